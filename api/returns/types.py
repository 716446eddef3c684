"""Returns GraphQL types. Lists load through per-request DataLoaders (one query per batch)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.inventory.types import LocationType, location_by_id
from api.loyalty.types import CustomerType, load_customer
from api.orders.types import OrderType, order_loader
from api.pricing.types import Money, money
from api.relay import encode_id
from api.visibility import visible
from domain.access.model import Principal
from fulfillment.returns import model
from fulfillment.returns import queries as q
from fulfillment.returns.tables import ReturnLineRow, ReturnRow
from fulfillment.tables import OrderRow

ReturnStatus = strawberry.enum(model.ReturnStatus, name="ReturnStatus")
ReturnReason = strawberry.enum(
    model.ReturnReason,
    name="ReturnReason",
    description="Why the customer brings it back. DEFECTIVE, WRONG_ITEM and DAMAGED_IN_TRANSIT "
    "are the store's fault: returning the whole order for one of them refunds delivery too.",
)
Disposition = strawberry.enum(
    model.Disposition,
    name="ReturnDisposition",
    description="What happens to a received unit: RESTOCK (sellable at the receiving location), "
    "DAMAGED, QUALITY_CONTROL.",
)


def return_loader(info: Info) -> Any:
    return info.context.loaders.by_key("returns.return", q.returns_by_ids)


def _lines(info: Info) -> Any:
    return info.context.loaders.by_key("returns.lines", q.lines_of_returns, default=[])


def can_see_return(principal: Principal, row: ReturnRow, order: OrderRow | None) -> bool:
    """The customer whose order it is; staff of any store (any store takes back any order, as
    any store sees any order)."""
    if principal.customer_id is not None:
        return principal.customer_id in (row.customer_id, order.customer_id if order else None)
    return principal.acts_somewhere


@strawberry.type(name="ReturnLine", description="Units of one order line coming back.")
class ReturnLineType:
    id: relay.GlobalID
    order_line_id: relay.GlobalID
    variant_id: relay.GlobalID
    quantity: int = strawberry.field(description="Handed-over units to receive.")
    cancelled_quantity: int = strawberry.field(
        description="Units never handed over: cancelled when the return was started (their "
        "stock released where it was committed) and refunded at once."
    )
    received_quantity: int
    reason: ReturnReason
    disposition: Disposition | None
    refund: Money = strawberry.field(description="This line's part of the refund.")
    note: str | None

    @classmethod
    def from_row(cls, r: ReturnLineRow, currency: str) -> ReturnLineType:
        return cls(
            id=encode_id("ReturnLine", r.id),
            order_line_id=encode_id("OrderLine", r.order_line_id),
            variant_id=encode_id("Variant", r.variant_id),
            quantity=r.quantity,
            cancelled_quantity=r.cancelled_quantity,
            received_quantity=r.received_quantity,
            reason=r.reason,
            disposition=r.disposition,
            refund=money(r.refund_amount, currency),
            note=r.note,
        )


@strawberry.type(name="Return", description="A return of (part of) an order, from any channel.")
class ReturnType(relay.Node):
    return_id: relay.NodeID[int]
    status: ReturnStatus
    channel: str = strawberry.field(description="Where it was started (APP, WEB, POS, STAFF).")
    currency: str
    to_store_credit: bool
    window_closes_at: datetime
    window_override_reason: str | None = strawberry.field(
        description="Set when staff accepted it after the window closed."
    )
    window_override_by: str | None
    refund_goods: Money
    refund_shipping: Money
    refund_withheld: Money = strawberry.field(
        description="Multi-buy discount the kept goods no longer qualify for (see docs/returns.md)."
    )
    refund_total: Money
    points_reversed: int
    note: str | None
    created_at: datetime
    received_at: datetime | None
    cancelled_at: datetime | None
    order_db_id: strawberry.Private[int]
    customer_db_id: strawberry.Private[int | None]
    location_db_id: strawberry.Private[int | None]
    started_at_db_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, r: ReturnRow) -> ReturnType:
        c = r.currency
        return cls(
            return_id=r.id,
            status=r.status,
            channel=r.channel,
            currency=c,
            to_store_credit=r.to_store_credit,
            window_closes_at=r.window_closes_at,
            window_override_reason=r.window_override_reason,
            window_override_by=r.window_override_by,
            refund_goods=money(r.refund_goods, c),
            refund_shipping=money(r.refund_shipping, c),
            refund_withheld=money(r.refund_withheld, c),
            refund_total=money(r.refund_total, c),
            points_reversed=r.points_reversed,
            note=r.note,
            created_at=r.created_at,
            received_at=r.received_at,
            cancelled_at=r.cancelled_at,
            order_db_id=r.order_id,
            customer_db_id=r.customer_id,
            location_db_id=r.location_id,
            started_at_db_id=r.started_at_location_id,
        )

    @classmethod
    async def can_see(cls, info: Info, node: ReturnType) -> bool:
        row = await return_loader(info).load(node.return_id)
        order = await order_loader(info).load(node.order_db_id)
        return row is not None and can_see_return(info.context.principal, row, order)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await return_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]

    @strawberry.field
    async def lines(self, info: Info) -> list[ReturnLineType]:
        rows = await _lines(info).load(self.return_id)
        return [ReturnLineType.from_row(r, self.currency) for r in rows]

    @strawberry.field
    async def order(self, info: Info) -> OrderType | None:
        row = await order_loader(info).load(self.order_db_id)
        return await visible(info, OrderType.from_row(row) if row is not None else None)

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        return await load_customer(info, self.customer_db_id)

    @strawberry.field(description="Where the goods were received.")
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)

    @strawberry.field(description="The store that started it (staff), if any.")
    async def started_at(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.started_at_db_id)


async def load_return(info: Info, return_id: int | None) -> ReturnType | None:
    if return_id is None:
        return None
    row = await return_loader(info).load(return_id)
    return ReturnType.from_row(row) if row is not None else None
