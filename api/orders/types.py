"""Orders GraphQL types: carts, orders, tenders, refunds, receipts and stock shortfalls.
Every list is loaded through per-request DataLoaders (one query per batch)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from api.access.types import Channel
from api.errors import UserError, user_errors
from api.fulfillment.types import (
    FulfillmentMethod,
    FulfillmentOrderType,
    fulfillment_orders_of_order,
)
from api.inventory.types import LocationType, location_by_id
from api.loaders import Preloaded
from api.loyalty.types import CustomerType, load_customer
from api.pricing.types import Money, PriceQuoteType, money, percent
from api.relay import encode_id
from api.visibility import only_visible
from domain.shared.errors import DomainError
from fulfillment import model
from fulfillment import queries as q
from fulfillment.services import carts as cart_services
from fulfillment.services.shipping import METHODS
from fulfillment.tables import CartLineRow, CartRow, OrderLineRow, OrderRow, RefundRow, TenderRow

CartStatus = strawberry.enum(model.CartStatus, name="CartStatus")
OrderStatus = strawberry.enum(model.OrderStatus, name="OrderStatus")
TenderKind = strawberry.enum(model.TenderKind, name="TenderKind")
RefundReason = strawberry.enum(model.RefundReason, name="RefundReason")


# -- loaders ----------------------------------------------------------------------------------


def order_loader(info: Info) -> Any:
    return info.context.loaders.by_key("orders.order", q.orders_by_ids)


def cart_loader(info: Info) -> Any:
    return info.context.loaders.by_key("orders.cart", q.carts_by_ids)


def _lines(info: Info) -> Any:
    return info.context.loaders.by_key("orders.lines", q.lines_of_orders, default=[])


def _tenders(info: Info) -> Any:
    return info.context.loaders.by_key("orders.tenders", q.tenders_of_orders, default=[])


def _refunds(info: Info) -> Any:
    return info.context.loaders.by_key("orders.refunds", q.refunds_of_orders, default=[])


def _cart_lines(info: Info) -> Any:
    return info.context.loaders.by_key("orders.cart_lines", q.lines_of_carts, default=[])


def _titles(info: Info) -> Any:
    return info.context.loaders.by_key("orders.variant_titles", q.variant_titles)


async def preload_order(session: AsyncSession, order_id: int) -> Preloaded:
    """Inside the placing transaction: the order and what its response shows (lines, tenders,
    fulfillment orders and their lines, the locations and the customer they name), so the
    answer needs no connection after commit."""
    from fulfillment.services import fulfillment_reads as reads
    from inventory.queries import locations_by_ids
    from loyalty.queries import customers_by_ids

    await session.flush()
    pre = Preloaded(session)
    order = (await pre.fetch("orders.order", q.orders_by_ids, [order_id]))[order_id]
    lines = (await pre.fetch("orders.lines", q.lines_of_orders, [order_id], []))[order_id]
    await pre.fetch("orders.tenders", q.tenders_of_orders, [order_id], [])
    await pre.fetch("orders.refunds", q.refunds_of_orders, [order_id], [])
    fos = (
        await pre.fetch(
            "fulfillment_orders_by_order", reads.fulfillment_orders_by_order_ids, [order_id], ()
        )
    )[order_id]
    await pre.fetch(
        "fulfillment_order_lines", reads.lines_by_fulfillment_order_ids, [f.id for f in fos], ()
    )
    places = [order.location_id, *(ln.pickup_location_id for ln in lines)]
    places += [p for f in fos for p in (f.location_id, f.pickup_location_id)]
    await pre.fetch("location", locations_by_ids, places)
    await pre.fetch("customer", customers_by_ids, [order.customer_id])
    return pre


# -- carts ------------------------------------------------------------------------------------


@strawberry.type(description="Stock held for a cart line at one location until it expires.")
class CartHold:
    location_db_id: strawberry.Private[int]
    quantity: int
    expires_at: datetime | None
    ready_at: datetime | None = strawberry.field(description="Pickup ready / estimated dispatch.")
    transfer: bool = strawberry.field(description="Goods travel to the pickup store first.")
    reasons: list[str] = strawberry.field(description="Why this location (sourcing trace).")

    @strawberry.field
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)


@strawberry.type(name="CartLine")
class CartLineType:
    id: relay.GlobalID
    variant_id: relay.GlobalID
    variant_db_id: strawberry.Private[int]
    quantity: int
    method: FulfillmentMethod
    pickup_location_db_id: strawberry.Private[int | None]
    holds: list[CartHold]

    @classmethod
    def from_row(cls, row: CartLineRow) -> CartLineType:
        return cls(
            id=encode_id("CartLine", row.id),
            variant_id=encode_id("Variant", row.variant_id),
            variant_db_id=row.variant_id,
            quantity=row.quantity,
            method=row.method,
            pickup_location_db_id=row.pickup_location_id,
            holds=[
                CartHold(
                    location_db_id=int(h["locationId"]),
                    quantity=int(h["quantity"]),
                    expires_at=_dt(h.get("expiresAt")),
                    ready_at=_dt(h.get("readyAt")),
                    transfer=bool(h.get("transfer")),
                    reasons=list(h.get("reasons") or []),
                )
                for h in row.holds
            ],
        )

    @strawberry.field(
        description="Units held for this line (0: not held; checkout sources it again)."
    )
    def held_quantity(self) -> int:
        return sum(h.quantity for h in self.holds)

    @strawberry.field(
        description="Units that could be promised for this line now: its holds plus what is "
        "free where it can come from (SHIP: any shipping location; PICKUP: the pickup store; "
        "null for CARRY_OUT: the till sells what is on the shelf). Below quantity: offer less, "
        "another store or delivery."
    )
    async def available(self, info: Info) -> int | None:
        if self.method is model.FulfillmentMethod.CARRY_OUT:
            return None
        found = await info.context.loaders.by_key("orders.promisable", q.promisable).load(
            self.variant_db_id
        )
        held = sum(h.quantity for h in self.holds)
        if found is None:
            return held
        if self.method is model.FulfillmentMethod.SHIP:
            return held + found.ship
        return held + found.at.get(self.pickup_location_db_id or 0, 0)

    @strawberry.field
    async def sku(self, info: Info) -> str:
        found = await _titles(info).load(self.variant_db_id)
        return found[0] if found else ""

    @strawberry.field
    async def title(self, info: Info) -> str:
        found = await _titles(info).load(self.variant_db_id)
        return found[1] if found else ""

    @strawberry.field
    async def pickup_location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.pickup_location_db_id)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@strawberry.type(description="A delivery option with its price for this cart.")
class ShippingOption:
    code: str
    name: str
    price: Money
    free_over: Money | None
    lead_days: int


def shipping_options(goods_total: int | None, currency: str = "RUB") -> list[ShippingOption]:
    return [
        ShippingOption(
            code=m.code,
            name=m.name,
            price=money(m.price if goods_total is None else m.price_for(goods_total), currency),
            free_over=money(m.free_over, currency) if m.free_over is not None else None,
            lead_days=m.lead_days,
        )
        for m in METHODS.values()
    ]


@strawberry.type(description="The cart priced by the engine now, or why it cannot be.")
class CartQuote:
    user_errors: list[UserError]
    quote: PriceQuoteType | None = None


@strawberry.type(name="Cart", description="A basket in any channel.")
class CartType(relay.Node):
    cart_id: relay.NodeID[int]
    token: str = strawberry.field(
        description="Anonymous web/app carts: keep it and send it back (it is the cart's key)."
    )
    channel: Channel
    status: CartStatus
    currency: str
    voucher_codes: list[str]
    shipping_method: str | None
    shipping_address: JSON | None
    email: str | None
    phone: str | None
    updated_at: datetime
    customer_db_id: strawberry.Private[int | None]
    location_db_id: strawberry.Private[int | None]
    row: strawberry.Private[CartRow]

    @classmethod
    def from_row(cls, row: CartRow) -> CartType:
        return cls(
            cart_id=row.id,
            token=row.token,
            channel=row.channel,  # type: ignore[arg-type]
            status=row.status,
            currency=row.currency,
            voucher_codes=list(row.voucher_codes),
            shipping_method=row.shipping_method,
            shipping_address=row.ship_address,
            email=row.email,
            phone=row.phone,
            updated_at=row.updated_at,
            customer_db_id=row.customer_id,
            location_db_id=row.location_id,
            row=row,
        )

    @classmethod
    def can_see(cls, info: Info, node: CartType) -> bool:
        # By id, never by token: the owner, or staff / a device of the cart's store.
        return cart_services.may_use(info.context.principal, node.row, token=None)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await cart_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]

    @strawberry.field
    async def lines(self, info: Info) -> list[CartLineType]:
        return [CartLineType.from_row(r) for r in await _cart_lines(info).load(self.cart_id)]

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        return await load_customer(info, self.customer_db_id)

    @strawberry.field(description="The store of a POS or endless-aisle cart.")
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)

    @strawberry.field(description="Live price quote: vouchers, tier discounts, delivery.")
    async def quote(self, info: Info) -> CartQuote:
        lines = await _cart_lines(info).load(self.cart_id)
        if not lines:
            return CartQuote(user_errors=[])
        try:
            async with info.context.read() as session:
                quote = await cart_services.quote_cart(session, self.row, lines)
        except DomainError as exc:
            return CartQuote(user_errors=user_errors(exc))
        return CartQuote(user_errors=[], quote=PriceQuoteType.build(quote))

    @strawberry.field(description="Delivery options (list prices; free over the threshold).")
    def shipping_options(self) -> list[ShippingOption]:
        return shipping_options(None, self.currency)


# -- orders -----------------------------------------------------------------------------------


@strawberry.type
class OrderLineDiscount:
    name: str
    kind: str
    stage: str
    amount: Money
    voucher_code: str | None


@strawberry.type(name="OrderLine", description="A line with its price snapshot (VAT included).")
class OrderLineType:
    id: relay.GlobalID
    line_no: int
    variant_id: relay.GlobalID
    sku: str
    title: str
    quantity: int
    method: FulfillmentMethod
    unit_price: Money
    subtotal: Money
    discount_total: Money = strawberry.field(
        description="Every discount of the line, including its share of order discounts."
    )
    total: Money = strawberry.field(description="What the customer paid for the line.")
    vat: Money
    vat_rate: Decimal
    discounts: list[OrderLineDiscount]
    cancelled_quantity: int
    fulfilled_quantity: int
    returned_quantity: int
    pickup_location_db_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, r: OrderLineRow, currency: str) -> OrderLineType:
        return cls(
            id=encode_id("OrderLine", r.id),
            line_no=r.line_no,
            variant_id=encode_id("Variant", r.variant_id),
            sku=r.sku,
            title=r.title,
            quantity=r.quantity,
            method=r.method,
            unit_price=money(r.unit_price, currency),
            subtotal=money(r.subtotal, currency),
            discount_total=money(r.discount_total, currency),
            total=money(r.total, currency),
            vat=money(r.tax, currency),
            vat_rate=percent(r.tax_rate_bp),
            discounts=[
                OrderLineDiscount(
                    name=d.get("name", ""),
                    kind=d.get("kind", ""),
                    stage=d.get("stage", ""),
                    amount=money(int(d.get("amount", 0)), currency),
                    voucher_code=d.get("voucherCode"),
                )
                for d in r.discounts
            ],
            cancelled_quantity=r.cancelled_quantity,
            fulfilled_quantity=r.fulfilled_quantity,
            returned_quantity=r.returned_quantity,
            pickup_location_db_id=r.pickup_location_id,
        )

    @strawberry.field
    def open_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity - self.fulfilled_quantity

    @strawberry.field
    async def pickup_location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.pickup_location_db_id)


@strawberry.type(name="Tender", description="How (part of) the order was paid.")
class TenderType:
    id: relay.GlobalID
    kind: TenderKind
    amount: Money
    tendered: Money = strawberry.field(description="Cash handed over.")
    change: Money
    points: int
    reference: str | None
    refunded: Money

    @classmethod
    def from_row(cls, r: TenderRow, currency: str) -> TenderType:
        return cls(
            id=encode_id("Tender", r.id),
            kind=r.kind,
            amount=money(r.amount, currency),
            tendered=money(r.tendered, currency),
            change=money(r.change, currency),
            points=r.points,
            reference=r.reference,
            refunded=money(r.refunded, currency),
        )


@strawberry.type(name="Refund")
class RefundType:
    id: relay.GlobalID
    kind: TenderKind
    reason: RefundReason
    amount: Money
    points: int
    reference: str
    created_at: datetime

    @classmethod
    def from_row(cls, r: RefundRow, currency: str) -> RefundType:
        return cls(
            id=encode_id("Refund", r.id),
            kind=r.kind,
            reason=r.reason,
            amount=money(r.amount, currency),
            points=r.points,
            reference=r.reference,
            created_at=r.created_at,
        )


@strawberry.type(description="VAT at one rate on a receipt.")
class ReceiptTax:
    rate: Decimal
    net: Money
    vat: Money


@strawberry.type(description="What the till prints.")
class Receipt:
    number: str
    placed_at: datetime
    lines: list[OrderLineType]
    taxes: list[ReceiptTax]
    total: Money
    tenders: list[TenderType]
    change: Money
    points_earned: int
    needs_recount: bool = strawberry.field(
        description="The store's count was short for this sale: recount the shelf."
    )


def can_see_order(info: Info, row: OrderRow) -> bool:
    return _order_visible(info, customer_id=row.customer_id, location_id=row.location_id)


def _order_visible(info: Info, *, customer_id: int | None, location_id: int | None) -> bool:
    """Its customer; the selling store's staff and devices; staff of any store (any store
    takes back any order)."""
    p = info.context.principal
    if p.customer_id is not None and p.customer_id == customer_id:
        return True
    if location_id is not None and (
        p.client_location_id == location_id or p.can_act_at(location_id)
    ):
        return True
    return p.acts_somewhere


@strawberry.type(name="Order", description="An order from any channel.")
class OrderType(relay.Node):
    order_id: relay.NodeID[int]
    number: str
    channel: Channel
    status: OrderStatus
    placed_at: datetime = strawberry.field(
        description="When it was sold (an offline sale: the till's time)."
    )
    recorded_at: datetime
    currency: str
    subtotal: Money
    discount_total: Money
    shipping: Money
    shipping_discount: Money
    vat_total: Money
    total: Money
    voucher_codes: list[str]
    shipping_method: str | None
    shipping_address: JSON | None
    email: str | None
    client_sale_id: str | None
    needs_recount: bool
    payment_discrepancy: Money = strawberry.field(
        description="An offline till sale paid differently from the price in force when it "
        "happened (the till's cached prices were stale): tenders minus total, to reconcile. "
        "Zero otherwise."
    )
    review_notes: list[str] = strawberry.field(
        description="For the back office: what an offline till sale got that the server could "
        "not honour (a voucher used up meanwhile, points no longer there). The sale is "
        "recorded all the same."
    )
    points_earned: int
    sourcing: JSON = strawberry.field(description="The sourcing decisions and their reasons.")
    customer_db_id: strawberry.Private[int | None]
    location_db_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, r: OrderRow) -> OrderType:
        c = r.currency
        return cls(
            order_id=r.id,
            number=r.number,
            channel=r.channel,  # type: ignore[arg-type]
            status=r.status,
            placed_at=r.placed_at,
            recorded_at=r.recorded_at,
            currency=c,
            subtotal=money(r.subtotal, c),
            discount_total=money(r.discount_total, c),
            shipping=money(r.shipping, c),
            shipping_discount=money(r.shipping_discount, c),
            vat_total=money(r.tax_total, c),
            total=money(r.total, c),
            voucher_codes=list(r.voucher_codes),
            shipping_method=r.shipping_method,
            shipping_address=r.ship_address,
            email=r.email,
            client_sale_id=r.client_sale_id,
            needs_recount=r.needs_recount,
            payment_discrepancy=money(r.payment_discrepancy, c),
            review_notes=list(r.review_notes),
            points_earned=r.points_earned,
            sourcing=r.sourcing,
            customer_db_id=r.customer_id,
            location_db_id=r.location_id,
        )

    @classmethod
    def can_see(cls, info: Info, node: OrderType) -> bool:
        return _order_visible(
            info, customer_id=node.customer_db_id, location_id=node.location_db_id
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await order_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLineType]:
        rows = await _lines(info).load(self.order_id)
        return [OrderLineType.from_row(r, self.currency) for r in rows]

    @strawberry.field
    async def tenders(self, info: Info) -> list[TenderType]:
        rows = await _tenders(info).load(self.order_id)
        return [TenderType.from_row(r, self.currency) for r in rows]

    @strawberry.field
    async def refunds(self, info: Info) -> list[RefundType]:
        rows = await _refunds(info).load(self.order_id)
        return [RefundType.from_row(r, self.currency) for r in rows]

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        return await load_customer(info, self.customer_db_id)

    @strawberry.field(description="Who fulfils what: one per location and method.")
    async def fulfillment_orders(self, info: Info) -> list[FulfillmentOrderType]:
        return await fulfillment_orders_of_order(info, self.order_id)

    @strawberry.field(description="The store that sold it (POS, endless aisle).")
    async def selling_location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)

    @strawberry.field(description="Receipt data: lines, VAT per rate, tenders, change.")
    async def receipt(self, info: Info) -> Receipt:
        lines = await self.lines(info)
        tenders = await self.tenders(info)
        rates: dict[Decimal, tuple[int, int]] = {}
        for line in lines:
            net, vat = rates.get(line.vat_rate, (0, 0))
            rates[line.vat_rate] = (
                net + line.total.amount - line.vat.amount,
                vat + line.vat.amount,
            )
        c = self.currency
        return Receipt(
            number=self.number,
            placed_at=self.placed_at,
            lines=lines,
            taxes=[
                ReceiptTax(rate=rate, net=money(net, c), vat=money(vat, c))
                for rate, (net, vat) in sorted(rates.items())
            ],
            total=self.total,
            tenders=tenders,
            change=money(sum(t.change.amount for t in tenders), c),
            points_earned=self.points_earned,
            needs_recount=self.needs_recount,
        )


@strawberry.type(description="Another way to get units a line is short of.")
class StockAlternative:
    location_db_id: strawberry.Private[int]
    method: FulfillmentMethod
    available: int
    ready_at: datetime | None

    @strawberry.field
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)


@strawberry.type(description="A line that cannot be served whole: what is there and where else.")
class LineShortfall:
    line_id: relay.GlobalID | None
    variant_id: relay.GlobalID
    requested: int
    available: int
    alternatives: list[StockAlternative]


async def recent_orders_of_customer(info: Info, customer_id: int) -> list[OrderType]:
    """For ``Customer.orders``: batched over every customer on the page."""
    rows = await info.context.loaders.by_key(
        "orders.recent_by_customer", q.recent_orders_of_customers, default=[]
    ).load(customer_id)
    return await only_visible(info, [OrderType.from_row(r) for r in rows])
