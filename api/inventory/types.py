from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.access.model import Role
from domain.catalog import queries as catalog_queries
from inventory import queries as q
from inventory.model import AdjustReason as _AdjustReason
from inventory.model import Figures
from inventory.model import LocationKind as _LocationKind
from inventory.model import MovementKind as _MovementKind
from inventory.model import StockState as _StockState
from inventory.model import TransferStatus as _TransferStatus
from inventory.tables import LocationRow, StockLevelRow, StockMovementRow, TransferRow

LocationKind = strawberry.enum(_LocationKind, name="LocationKind")
MovementKind = strawberry.enum(_MovementKind, name="StockMovementKind")
AdjustReason = strawberry.enum(_AdjustReason, name="StockAdjustReason")
StockState = strawberry.enum(_StockState, name="StockState")
TransferStatus = strawberry.enum(_TransferStatus, name="TransferStatus")

#: Who reads the stock ledger and transfers (as ``stockMovements``), at their own locations.
LEDGER_READERS = frozenset({Role.STORE_MANAGER, Role.WAREHOUSE, Role.MERCHANDISER, Role.ADMIN})


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
    opening_hours: JSON = strawberry.field(
        description='Local hours per day range, e.g. {"mon-fri": "10:00-22:00", "sat": "11:00-20:00"}.'
    )
    timezone: str
    priority: int
    active: bool

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
            opening_hours=row.opening_hours,
            timezone=row.timezone,
            priority=row.priority,
            active=row.active,
        )

    @classmethod
    def can_see(cls, info: Info, node: LocationType) -> bool:
        return node.active or info.context.principal.is_staff  # the store locator is public

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


async def _sku(info: Info, variant_id: int) -> str:
    row = await info.context.loaders.by_key(
        "inventory_variant", catalog_queries.variants_by_ids
    ).load(variant_id)
    return row.sku if row is not None else ""


@strawberry.type(description="The buckets of one item at one location.")
class StockFigures:
    on_hand: int = strawberry.field(description="Sellable units physically there.")
    committed: int = strawberry.field(description="Allocated to orders and transfers not yet out.")
    reserved: int = strawberry.field(description="Held by carts (with expiry).")
    safety_stock: int = strawberry.field(description="Kept back from online promises.")
    damaged: int
    quality_control: int
    incoming: int = strawberry.field(description="In transit to here.")
    available: int = strawberry.field(
        description="onHand - committed - reserved - safetyStock: what can still be promised."
    )

    @classmethod
    def of(cls, f: Figures) -> StockFigures:
        return cls(available=f.available, **f.as_dict())


@strawberry.type(name="StockLevel", description="One item at one location.")
class StockLevelType(relay.Node):
    level_id: relay.NodeID[int]
    variant_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]
    figures: StockFigures
    needs_recount: bool = strawberry.field(
        description="Promises exceed the shelf (a till sold past zero, a count came short): count it."
    )
    updated_at: datetime

    @strawberry.field(description="The catalog variant's global id.")
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.variant_db_id)

    @strawberry.field
    async def location(self, info: Info) -> LocationType:
        loc = await location_by_id(info, self.location_db_id)
        assert loc is not None
        return loc

    @classmethod
    def from_row(cls, row: StockLevelRow) -> StockLevelType:
        return cls(
            level_id=row.id,
            variant_db_id=row.variant_id,
            location_db_id=row.location_id,
            figures=StockFigures.of(Figures.of(row)),
            needs_recount=row.needs_recount,
            updated_at=row.updated_at,
        )

    @classmethod
    def can_see(cls, info: Info, node: StockLevelType) -> bool:
        return info.context.principal.is_staff  # any store's figures, as in stockCheck

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await level_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


def level_loader(info: Info) -> Any:
    return info.context.loaders.by_key("stock_level", q.levels_by_ids)


@strawberry.type(name="StockMovement", description="One line of the append-only stock ledger.")
class StockMovementType(relay.Node):
    movement_id: relay.NodeID[int]
    variant_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]
    kind: MovementKind
    reason: str
    change: StockFigures = strawberry.field(description="The change of every bucket.")
    actor: str
    document_ref: str
    note: str
    created_at: datetime

    @strawberry.field
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.variant_db_id)

    @strawberry.field
    async def location(self, info: Info) -> LocationType:
        loc = await location_by_id(info, self.location_db_id)
        assert loc is not None
        return loc

    @classmethod
    def from_row(cls, row: StockMovementRow) -> StockMovementType:
        f = Figures(
            on_hand=row.d_on_hand,
            committed=row.d_committed,
            reserved=row.d_reserved,
            safety_stock=row.d_safety_stock,
            damaged=row.d_damaged,
            quality_control=row.d_quality_control,
            incoming=row.d_incoming,
        )
        return cls(
            movement_id=row.id,
            variant_db_id=row.variant_id,
            location_db_id=row.location_id,
            kind=row.kind,
            reason=row.reason,
            change=StockFigures.of(f),
            actor=row.actor,
            document_ref=row.document_ref,
            note=row.note,
            created_at=row.created_at,
        )

    @classmethod
    def can_see(cls, info: Info, node: StockMovementType) -> bool:
        """As ``stockMovements``: stock roles, at their own locations."""
        p = info.context.principal
        return p.role in LEDGER_READERS and p.can_act_at(node.location_db_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await movement_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


def movement_loader(info: Info) -> Any:
    return info.context.loaders.by_key("stock_movement", q.movements_by_ids)


@strawberry.type
class TransferLine:
    variant_db_id: strawberry.Private[int]
    quantity: int
    received: int
    discrepancy: int = strawberry.field(description="Shipped but never arrived (set on closing).")

    @strawberry.field
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.variant_db_id)


@strawberry.type(name="Transfer", description="Stock moving between two locations.")
class TransferType(relay.Node):
    transfer_id: relay.NodeID[int]
    from_db_id: strawberry.Private[int]
    to_db_id: strawberry.Private[int]
    status: TransferStatus
    document_ref: str
    expected_at: datetime | None
    created_by: str
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None

    @strawberry.field
    async def from_location(self, info: Info) -> LocationType:
        loc = await location_by_id(info, self.from_db_id)
        assert loc is not None
        return loc

    @strawberry.field
    async def to_location(self, info: Info) -> LocationType:
        loc = await location_by_id(info, self.to_db_id)
        assert loc is not None
        return loc

    @strawberry.field
    async def lines(self, info: Info) -> list[TransferLine]:
        rows = await info.context.loaders.by_key(
            "transfer_lines", q.transfer_lines_by_transfer_ids, default=[]
        ).load(self.transfer_id)
        return [
            TransferLine(
                variant_db_id=r.variant_id,
                quantity=r.quantity,
                received=r.received,
                discrepancy=r.discrepancy,
            )
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: TransferRow) -> TransferType:
        return cls(
            transfer_id=row.id,
            from_db_id=row.from_location_id,
            to_db_id=row.to_location_id,
            status=row.status,
            document_ref=row.document_ref,
            expected_at=row.expected_at,
            created_by=row.created_by,
            created_at=row.created_at,
            shipped_at=row.shipped_at,
            received_at=row.received_at,
        )

    @classmethod
    def can_see(cls, info: Info, node: TransferType) -> bool:
        """Stock roles at either end of the transfer."""
        p = info.context.principal
        return p.role in LEDGER_READERS and (
            p.can_act_at(node.from_db_id) or p.can_act_at(node.to_db_id)
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await transfer_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


def transfer_loader(info: Info) -> Any:
    return info.context.loaders.by_key("transfer", q.transfers_by_ids)


@strawberry.type(description="Whether and when a customer can collect here.")
class Pickup:
    possible: bool
    ready_at: datetime | None = strawberry.field(
        description="Earliest collection time, within opening hours (from incoming stock if "
        "none is on the shelf)."
    )


@strawberry.type(description="Stock of one item at one location, for staff.")
class StockAtLocation:
    location: LocationType
    is_own: bool = strawberry.field(description="The staff member's own store or device's store.")
    distance_km: float | None
    on_hand: int
    available: int
    reserved: int
    committed: int
    safety_stock: int
    damaged: int
    quality_control: int
    incoming: int
    incoming_expected_at: datetime | None
    needs_recount: bool
    pickup: Pickup


@strawberry.type(description="A staff stock check of one item.")
class StockCheck:
    variant_db_id: strawberry.Private[int]
    sku: str
    title: str
    locations: list[StockAtLocation]

    @strawberry.field
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))


@strawberry.type(description="A store near the shopper: can the item be collected there, and when.")
class StoreAvailability:
    location: LocationType
    distance_km: float | None
    in_stock: bool
    pickup: Pickup


@strawberry.type(description="What a shopper may be told: shipping and nearby pickup.")
class VariantAvailability:
    can_ship: bool = strawberry.field(description="Some shipping location has it available.")
    stores: list[StoreAvailability]


@strawberry.type(description="A level whose figures differ from its ledger or its holds.")
class InventoryDiscrepancy:
    variant_db_id: strawberry.Private[int]
    location: LocationType
    level: StockFigures
    ledger: StockFigures
    held_reserved: int = strawberry.field(description="Sum of open cart holds.")
    held_committed: int = strawberry.field(description="Sum of open commitments.")
    differences: JSON = strawberry.field(description="bucket -> level minus ledger (or holds).")

    @strawberry.field
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.variant_db_id)


@strawberry.type(
    description="A level changed (after commit): new figures for screens and shelf labels."
)
class InventoryChange:
    event_id: str
    location_db_id: strawberry.Private[int]
    variant_db_id: strawberry.Private[int]
    kind: MovementKind
    figures: StockFigures
    needs_recount: bool
    occurred_at: datetime

    @strawberry.field
    def location_id(self) -> relay.GlobalID:
        return relay.GlobalID("Location", str(self.location_db_id))

    @strawberry.field
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.variant_db_id)


__all__ = [
    "AdjustReason",
    "InventoryChange",
    "InventoryDiscrepancy",
    "LocationKind",
    "LocationType",
    "MovementKind",
    "Pickup",
    "StockAtLocation",
    "StockCheck",
    "StockFigures",
    "StockLevelType",
    "StockMovementType",
    "StockState",
    "StoreAvailability",
    "TransferStatus",
    "TransferType",
    "VariantAvailability",
    "location_by_id",
]
