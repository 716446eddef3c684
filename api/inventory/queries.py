"""Inventory reads: locations, staff stock check, storefront availability, levels, ledger,
discrepancies. Resolvers parse, call one query function, map."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from api.auth import STAFF, allow
from api.inventory.types import (
    InventoryDiscrepancy,
    LocationKind,
    LocationType,
    Pickup,
    StockAtLocation,
    StockCheck,
    StockFigures,
    StockLevelType,
    StockMovementType,
    StoreAvailability,
    VariantAvailability,
)
from api.limits import page_size
from api.relay import Connection, connection, decode_cursor, decode_id
from domain.access.model import Principal, Role
from domain.shared.clock import utcnow
from domain.shared.errors import Forbidden, ValidationFailed
from inventory import queries as q
from inventory.tables import LocationRow, StockLevelRow, StockMovementRow

#: Storefront: how far to look for pickup stores, and how many to list.
DEFAULT_PICKUP_RADIUS_KM = 50.0
MAX_STORES = 20


@strawberry.input(description="Where to measure distances from: a location, or coordinates.")
class NearInput:
    location_id: relay.GlobalID | None = None
    latitude: float | None = None
    longitude: float | None = None


def own_locations(principal: Principal) -> frozenset[int]:
    ids = set(principal.location_ids)
    if principal.client_location_id is not None:
        ids.add(principal.client_location_id)
    return frozenset(ids)


async def _origin(
    info: Info, near: NearInput | None, *, fallback: int | None = None
) -> tuple[float, float] | None:
    location_id = fallback
    if near is not None:
        if near.location_id is not None:
            location_id = decode_id(near.location_id, "Location", field="near.locationId")
        elif near.latitude is not None and near.longitude is not None:
            if not (-90 <= near.latitude <= 90 and -180 <= near.longitude <= 180):
                raise ValidationFailed("Latitude is -90..90, longitude -180..180.", field="near")
            return (near.latitude, near.longitude)
        else:
            raise ValidationFailed(
                "Give near.locationId, or both latitude and longitude.", field="near"
            )
    if location_id is None:
        return None
    row = await info.context.loaders.location.load(location_id)
    if row is None:
        raise ValidationFailed("No such location.", field="near.locationId")
    if row.latitude is None or row.longitude is None:
        return None
    return (row.latitude, row.longitude)


#: ``radiusKm`` of the storefront availability fields.
PickupRadius = Annotated[
    float | None,
    strawberry.argument(
        description="Pickup stores within this many km (default 50) of near, else of your "
        "store. Without a centre it cannot apply and is ignored: every pickup location, most "
        "available first."
    ),
]


def _radius(radius_km: float | None) -> float | None:
    if radius_km is not None and not 0 < radius_km <= 20_000:
        raise ValidationFailed("radiusKm is more than 0 and at most 20000.", field="radiusKm")
    return radius_km


def _pickup(ready_at: datetime | None) -> Pickup:
    return Pickup(possible=ready_at is not None, ready_at=ready_at)


#: (variant id, origin or None, radius in km or None): one storefront availability.
AvailabilityKey = tuple[int, tuple[float, float] | None, float | None]


async def _availabilities(
    session: AsyncSession, keys: Sequence[AvailabilityKey]
) -> dict[AvailabilityKey, tuple[bool, list[q.LocationStock]]]:
    """Every variant of the batch in three statements (shipping, stores, incoming)."""
    now = utcnow()
    shippable = await q.shippable_quantities(session, [k[0] for k in keys])
    groups: dict[tuple[tuple[float, float] | None, float | None], list[int]] = {}
    for variant_id, origin, radius in keys:
        groups.setdefault((origin, radius), []).append(variant_id)
    out: dict[AvailabilityKey, tuple[bool, list[q.LocationStock]]] = {}
    for (origin, radius), variant_ids in groups.items():
        stores = await q.stock_by_locations(
            session,
            variant_ids=variant_ids,
            now=now,
            origin=origin,
            radius_km=radius,
            pickup_only=True,
            limit=MAX_STORES,
        )
        for v in variant_ids:
            out[(v, origin, radius)] = (shippable.get(v, 0) > 0, stores[v])
    return out


async def variant_availability(
    info: Info, variant_id: int, near: NearInput | None, radius_km: float | None
) -> VariantAvailability:
    """Shared by ``availability`` and ``Variant.availability``: no internal figures. Batched:
    a page of variants costs the same few statements as one."""
    radius = _radius(radius_km) or DEFAULT_PICKUP_RADIUS_KM
    origin = await _origin(info, near, fallback=info.context.principal.client_location_id)
    loader = info.context.loaders.by_key("inventory.availability", _availabilities)
    can_ship, stores = await loader.load(
        (variant_id, origin, radius if origin is not None else None)
    )
    return VariantAvailability(
        can_ship=can_ship,
        stores=[
            StoreAvailability(
                location=LocationType.from_row(s.location),
                distance_km=s.distance_km,
                in_stock=s.figures.available > 0,
                pickup=_pickup(s.pickup_ready_at),
            )
            for s in stores
        ],
    )


def _scoped(principal: Principal, location_id: int) -> None:
    if not principal.can_act_at(location_id):
        raise Forbidden(
            "You can see this for your own locations only; ask their manager.", field="locationId"
        )


@strawberry.type
class InventoryQuery:
    @strawberry.field(description="Active locations by code; filter by kind.")
    async def locations(
        self,
        info: Info,
        kind: LocationKind | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LocationType]:
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after, types=(str,))
        stmt = (
            select(LocationRow)
            .where(LocationRow.active.is_(True))
            .order_by(LocationRow.code)
            .limit(limit + 1)
        )
        if kind is not None:
            stmt = stmt.where(LocationRow.kind == kind)
        if cursor is not None:
            stmt = stmt.where(LocationRow.code > str(cursor[0]))
        async with info.context.read() as session:
            rows = list(await session.scalars(stmt))
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.code], node=LocationType.from_row
        )

    @strawberry.field(
        permission_classes=[STAFF],
        description="Staff stock check of one item (by SKU, barcode or variant id): every "
        "location holding it, the staff member's own store first, then nearest first. With no "
        "centre (no near, and no store of your own with coordinates, e.g. an admin or a back "
        "office key) every holding location is listed, most available first.",
    )
    async def stock_check(
        self,
        info: Info,
        sku: str | None = None,
        barcode: str | None = None,
        variant_id: relay.GlobalID | None = None,
        near: NearInput | None = None,
        radius_km: Annotated[
            float | None,
            strawberry.argument(
                description="Only locations within this many km of the centre (near, else "
                "your store); your own stores always stay. Without a centre it cannot apply "
                "and is ignored: every holding location is listed."
            ),
        ] = None,
    ) -> StockCheck:
        principal = info.context.principal
        vid = decode_id(variant_id, "Variant", field="variantId") if variant_id else None
        own = own_locations(principal)
        fallback = principal.client_location_id or (min(own) if own else None)
        origin = await _origin(info, near, fallback=fallback)
        radius = _radius(radius_km)
        async with info.context.read() as session:
            variant = await q.resolve_variant(session, variant_id=vid, sku=sku, barcode=barcode)
            rows = await q.stock_by_location(
                session,
                variant_id=variant.id,
                now=utcnow(),
                origin=origin,
                radius_km=radius,
                own_location_ids=own,
            )
        return StockCheck(
            variant_db_id=variant.id,
            sku=variant.sku,
            title=variant.title,
            locations=[
                StockAtLocation(
                    location=LocationType.from_row(r.location),
                    is_own=r.location.id in own,
                    distance_km=r.distance_km,
                    available=r.figures.available,
                    incoming_expected_at=r.incoming_expected_at,
                    needs_recount=r.needs_recount,
                    pickup=_pickup(r.pickup_ready_at),
                    **r.figures.as_dict(),
                )
                for r in rows
            ],
        )

    @strawberry.field(
        description="Storefront availability of one item: can it ship, and per nearby store "
        "whether and when it can be collected. Same as Variant.availability."
    )
    async def availability(
        self,
        info: Info,
        variant_id: relay.GlobalID,
        near: NearInput | None = None,
        radius_km: PickupRadius = None,
    ) -> VariantAvailability:
        vid = decode_id(variant_id, "Variant", field="variantId")
        return await variant_availability(info, vid, near, radius_km)

    @strawberry.field(
        permission_classes=[STAFF], description="Stock levels at one location, by level id."
    )
    async def stock_levels(
        self,
        info: Info,
        location_id: relay.GlobalID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StockLevelType]:
        loc = decode_id(location_id, "Location", field="locationId")
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        stmt = (
            select(StockLevelRow)
            .where(StockLevelRow.location_id == loc)
            .order_by(StockLevelRow.id)
            .limit(limit + 1)
        )
        if cursor is not None:
            stmt = stmt.where(StockLevelRow.id > int(cursor[0]))
        async with info.context.read() as session:
            rows = list(await session.scalars(stmt))
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=StockLevelType.from_row
        )

    @strawberry.field(
        permission_classes=[allow(Role.STORE_MANAGER, Role.WAREHOUSE, Role.MERCHANDISER)],
        description="The stock ledger of one location, newest first (optionally one item).",
    )
    async def stock_movements(
        self,
        info: Info,
        location_id: relay.GlobalID,
        variant_id: relay.GlobalID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StockMovementType]:
        loc = decode_id(location_id, "Location", field="locationId")
        _scoped(info.context.principal, loc)
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        stmt = (
            select(StockMovementRow)
            .where(StockMovementRow.location_id == loc)
            .order_by(StockMovementRow.id.desc())
            .limit(limit + 1)
        )
        if variant_id is not None:
            vid = decode_id(variant_id, "Variant", field="variantId")
            stmt = stmt.where(StockMovementRow.variant_id == vid)
        if cursor is not None:
            stmt = stmt.where(StockMovementRow.id < int(cursor[0]))
        async with info.context.read() as session:
            rows = list(await session.scalars(stmt))
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=StockMovementType.from_row
        )

    @strawberry.field(
        permission_classes=[allow(Role.STORE_MANAGER, Role.WAREHOUSE, Role.MERCHANDISER)],
        description="Levels whose figures differ from their ledger or their holds (reconcile). "
        "Empty when the books are straight. Location staff see their own locations.",
    )
    async def inventory_discrepancies(
        self, info: Info, limit: int = 100
    ) -> list[InventoryDiscrepancy]:
        principal = info.context.principal
        async with info.context.read() as session:
            found = await q.discrepancies(session, limit=min(max(limit, 1), 1000))
        found = [d for d in found if principal.can_act_at(d.location_id)]
        locations = await info.context.loaders.location.load_many([d.location_id for d in found])
        return [
            InventoryDiscrepancy(
                variant_db_id=d.variant_id,
                location=LocationType.from_row(loc),
                level=StockFigures.of(d.level),
                ledger=StockFigures.of(d.ledger),
                held_reserved=d.held_reserved,
                held_committed=d.held_committed,
                differences=d.differences,
            )
            for d, loc in zip(found, locations, strict=True)
        ]
