"""Per-request pricing loaders: shelf prices and price ranges batch per (channel, store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from domain.access.model import Channel
from domain.pricing import queries, services

# Keys: (variant or product id, channel, location id or None)
ShelfKey = tuple[int, Channel, int | None]


def _groups(keys: Sequence[ShelfKey]) -> dict[tuple[Channel, int | None], list[int]]:
    groups: dict[tuple[Channel, int | None], list[int]] = {}
    for object_id, channel, location in keys:
        groups.setdefault((channel, location), []).append(object_id)
    return groups


async def _shelf(session: AsyncSession, keys: Sequence[ShelfKey]) -> dict[ShelfKey, Any]:
    out: dict[ShelfKey, Any] = {}
    for (channel, location), ids in _groups(keys).items():
        found = await services.shelf_prices(session, ids, channel=channel, location_id=location)
        out.update({(i, channel, location): found[i] for i in ids if i in found})
    return out


def shelf_price(info: Info) -> DataLoader[ShelfKey, services.ShelfPrice | None]:
    return info.context.loaders.by_key("pricing.shelf", _shelf)


def promotion(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("pricing.promotion", queries.promotions_by_ids)


def voucher(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("pricing.voucher", queries.vouchers_by_ids)


def channel_and_store(info: Info, channel: Channel | None) -> tuple[Channel, int | None]:
    """The caller's channel unless one is asked for; a store device prices for its store."""
    principal = info.context.principal
    return (channel or principal.channel), principal.client_location_id
