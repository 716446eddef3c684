from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from inventory.model import LocationKind as _LocationKind
from inventory.tables import LocationRow

LocationKind = strawberry.enum(_LocationKind, name="LocationKind")


@strawberry.type(name="Location", description="A warehouse, store or pickup point.")
class LocationType(relay.Node):
    location_id: relay.NodeID[int]
    code: str
    name: str
    kind: LocationKind
    address: str
    city: str
    latitude: float | None
    longitude: float | None
    ships: bool = strawberry.field(description="Ships orders to customers.")
    offers_pickup: bool
    sells_in_store: bool
    pickup_lead_minutes: int

    @classmethod
    def from_row(cls, row: LocationRow) -> LocationType:
        return cls(
            location_id=row.id,
            code=row.code,
            name=row.name,
            kind=row.kind,
            address=row.address,
            city=row.city,
            latitude=row.latitude,
            longitude=row.longitude,
            ships=row.ships,
            offers_pickup=row.offers_pickup,
            sells_in_store=row.sells_in_store,
            pickup_lead_minutes=row.pickup_lead_minutes,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await info.context.loaders.location.load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


async def location_by_id(info: Info, location_id: int | None) -> LocationType | None:
    if location_id is None:
        return None
    row = await info.context.loaders.location.load(location_id)
    return LocationType.from_row(row) if row is not None else None


__all__ = ["LocationKind", "LocationType", "location_by_id"]
