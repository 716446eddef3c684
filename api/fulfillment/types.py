"""Fulfillment GraphQL types: FulfillmentOrder (also what ``Order.fulfillmentOrders``
resolves to: use ``fulfillment_orders_of_order``), routing decisions, sourcing profiles."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from api.inventory.types import LocationType, location_by_id
from domain.access.model import PrincipalKind
from domain.catalog import queries as catalog_queries
from fulfillment import sourcing
from fulfillment.model import FulfillmentMethod as _FulfillmentMethod
from fulfillment.model import FulfillmentStatus as _FulfillmentStatus
from fulfillment.services import fulfillment_reads as reads
from fulfillment.tables import FulfillmentOrderRow, SourcingProfileRow


def _enum_once(cls: Any, **kw: Any) -> Any:
    """One GraphQL enum per Python enum: the orders API wraps FulfillmentMethod as well, and
    wrapping twice would define the type twice."""
    if getattr(cls, "__strawberry_definition__", None) is not None:
        return cls
    return strawberry.enum(cls, **kw)


FulfillmentMethod = _enum_once(
    _FulfillmentMethod,
    name="FulfillmentMethod",
    description="SHIP: delivered to an address; PICKUP: click-and-collect at a store; "
    "CARRY_OUT: taken at the till.",
)
FulfillmentStatus = _enum_once(_FulfillmentStatus, name="FulfillmentStatus")


class _Criterion(enum.StrEnum):
    DISTANCE = "DISTANCE"  # nearest to the address (or to the pickup store, for transfers)
    STOCK_DEPTH = "STOCK_DEPTH"  # most available units first
    PRIORITY = "PRIORITY"  # the location's priority number, lower first


SourcingCriterion = strawberry.enum(
    _Criterion,
    name="SourcingCriterion",
    description="Ranking criteria of a sourcing profile, applied in order.",
)


# -- loaders ---------------------------------------------------------------------------------


def fo_loader(info: Info) -> Any:
    return info.context.loaders.by_key("fulfillment_order", reads.fulfillment_orders_by_ids)


def fos_by_order_loader(info: Info) -> Any:
    return info.context.loaders.by_key(
        "fulfillment_orders_by_order", reads.fulfillment_orders_by_order_ids, default=()
    )


def fo_lines_loader(info: Info) -> Any:
    return info.context.loaders.by_key(
        "fulfillment_order_lines", reads.lines_by_fulfillment_order_ids, default=()
    )


def order_ref_loader(info: Info) -> Any:
    return info.context.loaders.by_key("fulfillment_order_ref", reads.order_refs_by_ids)


async def fulfillment_orders_of_order(info: Info, order_id: int) -> list[FulfillmentOrderType]:
    """For ``Order.fulfillmentOrders``: batched over every order on the page."""
    rows = await fos_by_order_loader(info).load(order_id)
    return [FulfillmentOrderType.from_row(r) for r in rows]


# -- fulfillment orders ----------------------------------------------------------------------


@strawberry.type(name="FulfillmentOrderLine")
class FulfillmentOrderLineType:
    line_db_id: strawberry.Private[int]
    order_line_db_id: strawberry.Private[int]
    variant_db_id: strawberry.Private[int]
    sku: str
    title: str
    quantity: int
    cancelled_quantity: int

    @strawberry.field(description="Units still to hand over (quantity - cancelledQuantity).")
    def open_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity

    @strawberry.field
    def order_line_id(self) -> relay.GlobalID:
        return relay.GlobalID("OrderLine", str(self.order_line_db_id))

    @strawberry.field
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))

    @classmethod
    def of(cls, line: reads.FoLine) -> FulfillmentOrderLineType:
        return cls(
            line_db_id=line.id,
            order_line_db_id=line.order_line_id,
            variant_db_id=line.variant_id,
            sku=line.sku,
            title=line.title,
            quantity=line.quantity,
            cancelled_quantity=line.cancelled_quantity,
        )


@strawberry.type(
    name="FulfillmentOrder",
    description="The part of an order one location fulfils with one method: the unit of a "
    "store's work queue.",
)
class FulfillmentOrderType(relay.Node):
    fulfillment_order_id: relay.NodeID[int]
    order_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]
    pickup_location_db_id: strawberry.Private[int | None]
    replaced_by_db_id: strawberry.Private[int | None]
    transfer_db_id: strawberry.Private[int | None]
    code: strawberry.Private[str | None]
    code_attempts: strawberry.Private[int]
    trace: strawberry.Private[dict[str, Any]]
    method: FulfillmentMethod
    status: FulfillmentStatus
    ready_at: datetime | None = strawberry.field(
        description="Promised: when a pickup can be collected / a parcel leaves."
    )
    pickup_deadline: datetime | None = strawberry.field(
        description="Uncollected goods are released after this."
    )
    ready_since: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    carrier: str | None
    tracking_number: str | None
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    def order_id(self) -> relay.GlobalID:
        return relay.GlobalID("Order", str(self.order_db_id))

    @strawberry.field
    async def order_number(self, info: Info) -> str:
        ref = await order_ref_loader(info).load(self.order_db_id)
        return ref.number if ref is not None else ""

    @strawberry.field(description="Where the goods are picked and (for SHIP) shipped from.")
    async def location(self, info: Info) -> LocationType:
        loc = await location_by_id(info, self.location_db_id)
        assert loc is not None
        return loc

    @strawberry.field(description="PICKUP: the store where the customer collects.")
    async def pickup_location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.pickup_location_db_id)

    @strawberry.field(
        description="PICKUP served from another location: the goods travel to the pickup store."
    )
    def transfer(self) -> bool:
        return (
            self.pickup_location_db_id is not None
            and self.pickup_location_db_id != self.location_db_id
        )

    @strawberry.field(description="The inventory transfer carrying the goods to the pickup store.")
    def transfer_id(self) -> relay.GlobalID | None:
        if self.transfer_db_id is None:
            return None
        return relay.GlobalID("Transfer", str(self.transfer_db_id))

    @strawberry.field(
        description="The code the customer shows at the pickup desk. Only the customer who "
        "placed the order sees it (in their app); staff never do, so a matching code proves "
        "the customer (or someone they gave it to) is at the desk."
    )
    async def pickup_code(self, info: Info) -> str | None:
        if self.code is None:
            return None
        p = info.context.principal
        if p.kind is not PrincipalKind.CUSTOMER or p.customer_id is None:
            return None
        ref = await order_ref_loader(info).load(self.order_db_id)
        return self.code if ref is not None and ref.customer_id == p.customer_id else None

    @strawberry.field(
        description="Pickup codes tried since the code was issued or last released; at the "
        "limit (PICKUP_CODE_MAX_ATTEMPTS) the code is locked until a store manager releases "
        "it with pickupCodeUnlock."
    )
    def pickup_code_attempts(self) -> int:
        return self.code_attempts

    @strawberry.field(description="A rejected order's work continues here.")
    async def replaced_by(self, info: Info) -> FulfillmentOrderType | None:
        if self.replaced_by_db_id is None:
            return None
        row = await fo_loader(info).load(self.replaced_by_db_id)
        return FulfillmentOrderType.from_row(row) if row is not None else None

    @strawberry.field
    async def lines(self, info: Info) -> list[FulfillmentOrderLineType]:
        rows = await fo_lines_loader(info).load(self.fulfillment_order_id)
        return [FulfillmentOrderLineType.of(r) for r in rows]

    @strawberry.field(description="Why this location: the reasons of the sourcing decision.")
    def reasons(self) -> list[str]:
        out: list[str] = []
        for alloc in self.trace.get("allocations", []):
            for reason in alloc.get("reasons", []):
                if reason not in out:
                    out.append(reason)
        return out

    @strawberry.field(description="The allocations behind this fulfillment order, as stored.")
    def sourcing(self) -> JSON:
        return self.trace

    @classmethod
    def from_row(cls, row: FulfillmentOrderRow) -> FulfillmentOrderType:
        return cls(
            fulfillment_order_id=row.id,
            order_db_id=row.order_id,
            location_db_id=row.location_id,
            pickup_location_db_id=row.pickup_location_id,
            replaced_by_db_id=row.replaced_by_id,
            transfer_db_id=row.transfer_id,
            code=row.pickup_code,
            code_attempts=row.pickup_code_attempts,
            trace=dict(row.sourcing or {}),
            method=row.method,
            status=row.status,
            ready_at=row.ready_at,
            pickup_deadline=row.pickup_deadline,
            ready_since=row.ready_since,
            shipped_at=row.shipped_at,
            completed_at=row.completed_at,
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            reject_reason=row.reject_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def can_see(cls, info: Info, node: FulfillmentOrderType) -> bool:
        from api.fulfillment.access import visible

        row = await fo_loader(info).load(node.fulfillment_order_id)
        return row is not None and await visible(info, row)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await fo_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


# -- routing ---------------------------------------------------------------------------------


async def _sku(info: Info, variant_id: int) -> str:
    row = await info.context.loaders.by_key(
        "fulfillment_variant", catalog_queries.variants_by_ids
    ).load(variant_id)
    return row.sku if row is not None else ""


@strawberry.type
class RoutingAllocation:
    line_index: int = strawberry.field(description="Index of the input line.")
    variant_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]
    pickup_location_db_id: strawberry.Private[int | None]
    quantity: int
    method: FulfillmentMethod
    transfer: bool
    ready_at: datetime | None
    reasons: list[str]

    @strawberry.field
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.variant_db_id)

    @strawberry.field(description="Where the units would be committed.")
    async def location(self, info: Info) -> LocationType:
        loc = await location_by_id(info, self.location_db_id)
        assert loc is not None
        return loc

    @strawberry.field
    async def pickup_location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.pickup_location_db_id)


@strawberry.type
class RoutingAlternative:
    location_db_id: strawberry.Private[int]
    method: FulfillmentMethod
    available: int
    ready_at: datetime | None

    @strawberry.field
    async def location(self, info: Info) -> LocationType:
        loc = await location_by_id(info, self.location_db_id)
        assert loc is not None
        return loc


@strawberry.type
class RoutingShortfall:
    line_index: int
    variant_db_id: strawberry.Private[int]
    wanted: int
    available: int = strawberry.field(description="Units that could be allocated.")
    alternatives: list[RoutingAlternative]

    @strawberry.field
    def variant_id(self) -> relay.GlobalID:
        return relay.GlobalID("Variant", str(self.variant_db_id))

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.variant_db_id)


@strawberry.type(description="What sourcing decides (or would decide) and why.")
class RoutingDecision:
    profile_version: int = strawberry.field(description="0: the built-in default profile.")
    complete: bool = strawberry.field(description="Every unit of every line is allocated.")
    allocations: list[RoutingAllocation]
    shortfalls: list[RoutingShortfall]

    @classmethod
    def of(cls, d: sourcing.Decision) -> RoutingDecision:
        return cls(
            profile_version=d.profile_version,
            complete=d.complete,
            allocations=[
                RoutingAllocation(
                    line_index=a.key,
                    variant_db_id=a.variant_id,
                    location_db_id=a.location_id,
                    pickup_location_db_id=a.pickup_location_id,
                    quantity=a.quantity,
                    method=a.method,
                    transfer=a.transfer,
                    ready_at=a.ready_at,
                    reasons=list(a.reasons),
                )
                for a in d.allocations
            ],
            shortfalls=[
                RoutingShortfall(
                    line_index=s.key,
                    variant_db_id=s.variant_id,
                    wanted=s.wanted,
                    available=s.available,
                    alternatives=[
                        RoutingAlternative(
                            location_db_id=alt.location_id,
                            method=alt.method,
                            available=alt.available,
                            ready_at=alt.ready_at,
                        )
                        for alt in s.alternatives
                    ],
                )
                for s in d.shortfalls
            ],
        )


# -- sourcing profiles -----------------------------------------------------------------------


@strawberry.type
class SourcingRules:
    criteria: list[SourcingCriterion]
    prefer_single_location: bool
    max_splits: int = strawberry.field(
        description="Ship lines come from at most this many locations."
    )
    allow_transfers: bool
    transfer_lead_minutes: int
    ship_lead_minutes: int
    max_distance_km: float | None
    pickup_window_days: int


@strawberry.type(description="A version of the sourcing rules. Versions never change.")
class SourcingProfile:
    version: int
    name: str
    active: bool
    rules: SourcingRules
    created_by: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: SourcingProfileRow) -> SourcingProfile:
        p = sourcing.Profile.from_rules(row.rules, version=row.version, name=row.name)
        return cls(
            version=row.version,
            name=row.name,
            active=row.active,
            rules=SourcingRules(
                criteria=[_Criterion(c) for c in p.criteria],
                prefer_single_location=p.prefer_single_location,
                max_splits=p.max_splits,
                allow_transfers=p.allow_transfers,
                transfer_lead_minutes=p.transfer_lead_minutes,
                ship_lead_minutes=p.ship_lead_minutes,
                max_distance_km=p.max_distance_km,
                pickup_window_days=p.pickup_window_days,
            ),
            created_by=row.created_by,
            created_at=row.created_at,
        )
