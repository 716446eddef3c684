"""Pricing GraphQL types, built from engine results and rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.access.types import Channel
from api.errors import UserError
from api.relay import encode_id
from domain.pricing import model
from domain.pricing.services import PriceRange, ShelfPrice
from domain.pricing.tables import PriceRow, PromotionRow, VoucherRow

PromotionKind = strawberry.enum(model.PromotionKind, name="PromotionKind")
PromotionStatus = strawberry.enum(model.PromotionStatus, name="PromotionStatus")
DiscountStage = strawberry.enum(model.Stage, name="DiscountStage")
PromotionReason = strawberry.enum(
    model.Reason, name="PromotionReason", description="Why a promotion did or did not apply."
)
VoucherReason = strawberry.enum(model.VoucherReason, name="VoucherReason")


@strawberry.type(description="An amount in minor units (kopecks for RUB) and its currency.")
class Money:
    amount: int
    currency: str

    @strawberry.field(description='Ready to show, e.g. "29 990,00 ₽".')
    def display(self) -> str:
        units, minor = divmod(abs(self.amount), 100)
        sign = "-" if self.amount < 0 else ""
        whole = f"{units:,}".replace(",", "\u00a0")
        symbol = "₽" if self.currency == "RUB" else self.currency
        return f"{sign}{whole},{minor:02d}\u00a0{symbol}"


def money(amount: int, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


def maybe_money(amount: int | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


def percent(bp: int) -> Decimal:
    """Basis points as a plain percent: 2000 -> 20, 750 -> 7.5, 1234 -> 12.34."""
    whole, rest = divmod(bp, 100)
    if not rest:
        return Decimal(whole)
    return Decimal(f"{whole}.{rest:02d}".rstrip("0"))


@strawberry.type(
    name="ShelfPrice", description="The price a shopper or a shelf label sees for one unit."
)
class ShelfPriceType:
    price: Money = strawberry.field(description="After catalogue promotions, VAT included.")
    list_price: Money = strawberry.field(description="The price in force before promotions.")
    compare_at: Money | None = strawberry.field(description='The "was" price, if shown.')
    vat: Money = strawberry.field(description="VAT contained in price.")
    vat_rate: Decimal = strawberry.field(description="Percent, e.g. 20.")
    on_promotion: bool

    @classmethod
    def build(cls, s: ShelfPrice) -> ShelfPriceType:
        return cls(
            price=money(s.amount, s.currency),
            list_price=money(s.list_amount, s.currency),
            compare_at=maybe_money(s.compare_at, s.currency),
            vat=money(s.tax, s.currency),
            vat_rate=percent(s.tax_rate_bp),
            on_promotion=bool(s.promotion_ids),
        )


@strawberry.type(
    name="PriceRange", description="Lowest and highest shelf price over a product's variants."
)
class PriceRangeType:
    min: Money
    max: Money
    min_compare_at: Money | None = strawberry.field(
        description='The cheapest variant\'s "was" price, if any.'
    )

    @classmethod
    def build(cls, r: PriceRange) -> PriceRangeType:
        return cls(
            min=money(r.min_amount, r.currency),
            max=money(r.max_amount, r.currency),
            min_compare_at=maybe_money(r.min_compare_at, r.currency),
        )


@strawberry.type(name="PriceEntry", description="One price entry; together they are the history.")
class PriceEntryType:
    id: strawberry.ID
    variant_id: relay.GlobalID
    price: Money
    compare_at: Money | None
    channels: list[Channel] = strawberry.field(description="Empty: every channel.")
    starts_at: datetime | None
    ends_at: datetime | None
    created_by: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: PriceRow) -> PriceEntryType:
        return cls(
            id=strawberry.ID(str(row.id)),
            variant_id=encode_id("Variant", row.variant_id),
            price=money(row.amount, row.currency),
            compare_at=maybe_money(row.compare_at, row.currency),
            channels=[Channel(c) for c in row.channels],
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            created_by=row.created_by,
            created_at=row.created_at,
        )


@strawberry.type(description="What a promotion discounts. Categories include subcategories.")
class PromotionTarget:
    variant_ids: list[relay.GlobalID]
    product_ids: list[relay.GlobalID]
    category_ids: list[relay.GlobalID]
    brand_ids: list[relay.GlobalID]


def _ids(type_name: str, ids: Iterable[int]) -> list[relay.GlobalID]:
    return [encode_id(type_name, i) for i in sorted(ids)]


@strawberry.type(name="Promotion")
class PromotionType(relay.Node):
    promotion_id: relay.NodeID[int]
    name: str
    kind: PromotionKind
    status: PromotionStatus
    percent: Decimal
    amount: Money
    threshold: Money = strawberry.field(description="Minimum spend of qualifying items.")
    buy_quantity: int
    get_quantity: int
    target: PromotionTarget
    channels: list[Channel]
    location_ids: list[relay.GlobalID]
    customer_ids: list[relay.GlobalID]
    tiers: list[str]
    segments: list[str]
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    exclusive: bool
    voucher_only: bool

    @classmethod
    def from_row(cls, row: PromotionRow) -> PromotionType:
        p = _to_model(row)
        return cls(
            promotion_id=row.id,
            name=p.name,
            kind=p.kind,
            status=p.status,
            percent=percent(p.percent_bp),
            amount=money(p.amount, p.currency),
            threshold=money(p.threshold, p.currency),
            buy_quantity=p.buy_quantity,
            get_quantity=p.get_quantity,
            target=PromotionTarget(
                variant_ids=_ids("Variant", p.target.variant_ids),
                product_ids=_ids("Product", p.target.product_ids),
                category_ids=_ids("Category", p.target.category_ids),
                brand_ids=_ids("Brand", p.target.brand_ids),
            ),
            channels=sorted(p.channels),
            location_ids=_ids("Location", p.location_ids),
            customer_ids=_ids("Customer", p.customer_ids),
            tiers=sorted(p.tiers),
            segments=sorted(p.segments),
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            priority=p.priority,
            exclusive=p.exclusive,
            voucher_only=p.voucher_only,
        )

    @classmethod
    def can_see(cls, info: Info, node: Any) -> bool:
        return _is_merchandiser(info)  # as the back-office lists

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        from api.pricing import loaders

        rows = await loaders.promotion(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


def _is_merchandiser(info: Info) -> bool:
    from domain.access.model import Role

    return bool(info.context.principal.role in (Role.MERCHANDISER, Role.ADMIN))


def _to_model(row: PromotionRow) -> model.Promotion:
    from domain.pricing.queries import to_promotion

    return to_promotion(row)


@strawberry.type(name="Voucher")
class VoucherType(relay.Node):
    voucher_id: relay.NodeID[int]
    code: str
    promotion_id: relay.GlobalID
    usage_limit: int | None
    used: int
    per_customer_limit: int | None
    min_spend: int = strawberry.field(description="Minor units.")
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool

    @classmethod
    def from_row(cls, row: VoucherRow) -> VoucherType:
        return cls(
            voucher_id=row.id,
            code=row.code,
            promotion_id=encode_id("Promotion", row.promotion_id),
            usage_limit=row.usage_limit,
            used=row.used,
            per_customer_limit=row.per_customer_limit,
            min_spend=row.min_spend,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            active=row.active,
        )

    @classmethod
    def can_see(cls, info: Info, node: Any) -> bool:
        return _is_merchandiser(info)  # as the back-office lists

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        from api.pricing import loaders

        rows = await loaders.voucher(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


# --- quotes ------------------------------------------------------------------------------


def _promotion_gid(promotion_id: int) -> relay.GlobalID | None:
    return None if promotion_id == model.TIER_PROMOTION_ID else encode_id("Promotion", promotion_id)


@strawberry.type(description="One discount on a line and the promotion that gave it.")
class LineDiscountType:
    promotion_id: relay.GlobalID | None = strawberry.field(
        description="Null for the loyalty tier discount."
    )
    promotion_name: str
    kind: PromotionKind
    stage: DiscountStage
    amount: Money
    voucher_code: str | None


@strawberry.type(description="A priced line. Amounts include VAT.")
class QuoteLineType:
    variant_id: relay.GlobalID
    sku: str
    quantity: int
    unit_price: Money = strawberry.field(description="List price in force.")
    compare_at: Money | None
    shelf_unit_price: Money = strawberry.field(description="After catalogue promotions.")
    subtotal: Money
    discounts: list[LineDiscountType]
    discount_total: Money
    total: Money
    tax_class: str
    vat_rate: Decimal
    vat: Money
    net: Money = strawberry.field(description="total - vat.")


@strawberry.type(description="A promotion the engine looked at, and why it applied or not.")
class PromotionConsideration:
    promotion_id: relay.GlobalID | None
    promotion_name: str
    kind: PromotionKind
    applied: bool
    reason: PromotionReason
    message: str
    discount: Money
    voucher_code: str | None


@strawberry.type(description="A voucher code as entered, and whether it was accepted.")
class VoucherCheck:
    code: str
    accepted: bool
    reason: VoucherReason
    message: str


@strawberry.type(name="PriceQuote", description="A cart priced by the one engine.")
class PriceQuoteType:
    currency: str
    channel: Channel
    lines: list[QuoteLineType]
    subtotal: Money
    discount_total: Money
    order_discount_total: Money
    shipping: Money
    shipping_discount: Money
    vat_total: Money
    total: Money
    considered: list[PromotionConsideration]
    vouchers: list[VoucherCheck]

    @classmethod
    def build(cls, q: model.Quote) -> PriceQuoteType:
        c = q.currency

        def m(amount: int) -> Money:
            return money(amount, c)

        return cls(
            currency=c,
            channel=q.channel,
            lines=[
                QuoteLineType(
                    variant_id=encode_id("Variant", x.variant_id),
                    sku=x.sku,
                    quantity=x.quantity,
                    unit_price=m(x.unit_price),
                    compare_at=maybe_money(x.compare_at, c),
                    shelf_unit_price=m(x.shelf_unit_price),
                    subtotal=m(x.subtotal),
                    discounts=[
                        LineDiscountType(
                            promotion_id=_promotion_gid(d.promotion_id),
                            promotion_name=d.promotion_name,
                            kind=d.kind,
                            stage=d.stage,
                            amount=m(d.amount),
                            voucher_code=d.voucher_code,
                        )
                        for d in x.discounts
                    ],
                    discount_total=m(x.discount_total),
                    total=m(x.total),
                    tax_class=x.tax_class,
                    vat_rate=percent(x.tax_rate_bp),
                    vat=m(x.tax),
                    net=m(x.net),
                )
                for x in q.lines
            ],
            subtotal=m(q.subtotal),
            discount_total=m(q.discount_total),
            order_discount_total=m(q.order_discount_total),
            shipping=m(q.shipping),
            shipping_discount=m(q.shipping_discount),
            vat_total=m(q.tax_total),
            total=m(q.total),
            considered=[
                PromotionConsideration(
                    promotion_id=_promotion_gid(n.promotion_id),
                    promotion_name=n.promotion_name,
                    kind=n.kind,
                    applied=n.applied,
                    reason=n.reason,
                    message=n.message,
                    discount=m(n.discount),
                    voucher_code=n.voucher_code,
                )
                for n in q.considered
            ],
            vouchers=[
                VoucherCheck(code=v.code, accepted=v.accepted, reason=v.reason, message=v.message)
                for v in q.vouchers
            ],
        )


@strawberry.type
class PriceQuoteResult:
    user_errors: list[UserError]
    quote: PriceQuoteType | None = None


@strawberry.type(description="A shelf price at the store may have changed: re-read the items.")
class PriceChangedEvent:
    event_id: str
    kind: str
    subject: str
    variant_ids: list[relay.GlobalID]
    effective_at: datetime | None
