"""Inventory's part of the schema: queries, mutations and the live stock subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.inventory.mutations import InventoryMutation
from api.inventory.queries import InventoryQuery
from api.inventory.types import InventoryChange, StockFigures
from api.relay import decode_id
from domain.access.model import STAFF_ROLES, STORE_CHANNELS
from domain.shared.errors import Forbidden
from inventory.model import BUCKETS, Figures, MovementKind


class StoreScreen(BasePermission):
    """Staff, or a store's own device (POS / staff tablet / shelf-label gateway key)."""

    message = "Sign in as staff, or use a store device's API key."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        p = info.context.principal
        return p.role in STAFF_ROLES or (
            p.channel in STORE_CHANNELS and p.client_location_id is not None
        )


def _change(env: Any) -> InventoryChange:
    p = env.payload
    return InventoryChange(
        event_id=str(env.id),
        location_db_id=p["location_id"],
        variant_db_id=p["variant_id"],
        kind=MovementKind(p["kind"]),
        figures=StockFigures.of(Figures(**{b: p[b] for b in BUCKETS})),
        needs_recount=p["needs_recount"],
        occurred_at=datetime.fromisoformat(env.occurred_at),
    )


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(
        permission_classes=[StoreScreen],
        description="Stock changes at one location as they commit (optionally only some "
        "items): for store screens and electronic shelf labels.",
    )
    async def inventory_changed(
        self,
        info: Info,
        location_id: relay.GlobalID,
        variant_ids: list[relay.GlobalID] | None = None,
    ) -> AsyncGenerator[InventoryChange, None]:
        p = info.context.principal
        loc = decode_id(location_id, "Location", field="locationId")
        if not (p.can_act_at(loc) or p.client_location_id == loc):
            raise Forbidden("Subscribe to your own store's stock only.", field="locationId")
        wanted = {decode_id(v, "Variant", field="variantIds") for v in variant_ids or []}

        def where(payload: dict[str, Any]) -> bool:
            return payload["location_id"] == loc and (not wanted or payload["variant_id"] in wanted)

        async for env in info.context.runtime.events.subscribe("inventory", where=where):
            yield _change(env)


__all__ = ["InventoryMutation", "InventoryQuery", "InventorySubscription"]
