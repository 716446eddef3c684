"""Pricing inputs and their conversion to domain values (bad values become userErrors)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import strawberry
from strawberry import relay

from api.access.types import Channel
from api.pricing.types import PromotionKind
from api.relay import decode_id
from domain.pricing import model
from domain.shared.errors import ValidationFailed


def to_bp(value: Decimal | None, *, field: str = "percent") -> int:
    if value is None:
        return 0
    try:
        bp = value * 100
        if bp != bp.to_integral_value():
            raise InvalidOperation
    except InvalidOperation as exc:
        raise ValidationFailed("Give a percent with at most 2 decimals.", field=field) from exc
    return int(bp)


@strawberry.input
class QuoteLineInput:
    variant_id: relay.GlobalID | None = None
    sku: str | None = None
    quantity: int = 1


@strawberry.input
class PriceQuoteInput:
    lines: list[QuoteLineInput]
    channel: Channel | None = strawberry.field(default=None, description="Default: your key's.")
    location_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The store (default: your POS/staff device's store)."
    )
    customer_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Staff only; a signed-in customer is always priced as self."
    )
    voucher_codes: list[str] = strawberry.field(default_factory=list)
    shipping: int = strawberry.field(default=0, description="Delivery charge, minor units.")
    currency: str = "RUB"
    country: str = "RU"
    region: str | None = None


@strawberry.input
class PriceSetLine:
    amount: int = strawberry.field(description="Minor units, VAT included.")
    sku: str | None = None
    variant_id: relay.GlobalID | None = None
    currency: str = "RUB"
    compare_at: int | None = None
    channels: list[Channel] = strawberry.field(
        default_factory=list, description="Empty: every channel; [WEB, APP]: online only."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    ends_at: datetime | None = None


@strawberry.input
class PricesSetInput:
    prices: list[PriceSetLine]


@strawberry.input
class PromotionTargetInput:
    skus: list[str] = strawberry.field(default_factory=list)
    variant_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    product_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    category_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    brand_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)

    def to_target(self) -> model.Target:
        def ids(values: list[relay.GlobalID], type_name: str, field: str) -> frozenset[int]:
            return frozenset(decode_id(v, type_name, field=f"target.{field}") for v in values)

        return model.Target(
            variant_ids=ids(self.variant_ids, "Variant", "variantIds"),
            product_ids=ids(self.product_ids, "Product", "productIds"),
            category_ids=ids(self.category_ids, "Category", "categoryIds"),
            brand_ids=ids(self.brand_ids, "Brand", "brandIds"),
        )


@strawberry.input
class PromotionCreateInput:
    name: str
    kind: PromotionKind
    percent: Decimal | None = None
    amount: int = strawberry.field(default=0, description="Minor units (off, or bundle price).")
    threshold: int = strawberry.field(default=0, description="Minimum spend, minor units.")
    buy_quantity: int = 0
    get_quantity: int = 0
    target: PromotionTargetInput | None = None
    channels: list[Channel] = strawberry.field(default_factory=list)
    location_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    customer_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    tiers: list[str] = strawberry.field(default_factory=list)
    segments: list[str] = strawberry.field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    exclusive: bool = False
    voucher_only: bool = False
    currency: str = "RUB"

    def to_model(self) -> tuple[model.Promotion, list[str]]:
        target = self.target or PromotionTargetInput()
        return (
            model.Promotion(
                id=0,
                name=self.name,
                kind=model.PromotionKind(self.kind.value),
                currency=self.currency,
                percent_bp=to_bp(self.percent),
                amount=self.amount,
                threshold=self.threshold,
                buy_quantity=self.buy_quantity,
                get_quantity=self.get_quantity,
                target=target.to_target(),
                channels=frozenset(self.channels),
                location_ids=frozenset(
                    decode_id(g, "Location", field="locationIds") for g in self.location_ids
                ),
                customer_ids=frozenset(
                    decode_id(g, "Customer", field="customerIds") for g in self.customer_ids
                ),
                tiers=frozenset(t.upper() for t in self.tiers),
                segments=frozenset(self.segments),
                starts_at=self.starts_at,
                ends_at=self.ends_at,
                priority=self.priority,
                exclusive=self.exclusive,
                voucher_only=self.voucher_only,
            ),
            list(target.skus),
        )


@strawberry.input(description="Only the fields given change.")
class PromotionUpdateInput:
    id: relay.GlobalID
    name: str | None = strawberry.UNSET
    percent: Decimal | None = strawberry.UNSET
    amount: int | None = strawberry.UNSET
    threshold: int | None = strawberry.UNSET
    buy_quantity: int | None = strawberry.UNSET
    get_quantity: int | None = strawberry.UNSET
    target: PromotionTargetInput | None = strawberry.UNSET
    channels: list[Channel] | None = strawberry.UNSET
    location_ids: list[relay.GlobalID] | None = strawberry.UNSET
    tiers: list[str] | None = strawberry.UNSET
    segments: list[str] | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.UNSET
    ends_at: datetime | None = strawberry.UNSET
    priority: int | None = strawberry.UNSET
    exclusive: bool | None = strawberry.UNSET

    def changes(self) -> tuple[dict[str, object], list[str] | None]:
        out: dict[str, object] = {}
        skus: list[str] | None = None
        plain = (
            "name",
            "amount",
            "threshold",
            "buy_quantity",
            "get_quantity",
            "priority",
            "exclusive",
        )
        for name in plain:
            value = getattr(self, name)
            if value is not strawberry.UNSET:
                if value is None:
                    raise ValidationFailed("Cannot be null.", field=_camel(name))
                out[name] = value
        if self.percent is not strawberry.UNSET:
            out["percent_bp"] = to_bp(self.percent)
        if self.target is not strawberry.UNSET:
            target = self.target or PromotionTargetInput()
            out["target"] = target.to_target()
            skus = list(target.skus)
        if self.channels is not strawberry.UNSET:
            out["channels"] = frozenset(self.channels or ())
        if self.location_ids is not strawberry.UNSET:
            out["location_ids"] = frozenset(
                decode_id(g, "Location", field="locationIds") for g in self.location_ids or ()
            )
        if self.tiers is not strawberry.UNSET:
            out["tiers"] = frozenset(t.upper() for t in self.tiers or ())
        if self.segments is not strawberry.UNSET:
            out["segments"] = frozenset(self.segments or ())
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not strawberry.UNSET:
                out[name] = value
        return out, skus


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@strawberry.input
class PromotionEndInput:
    id: relay.GlobalID


@strawberry.input
class VoucherCreateInput:
    code: str
    promotion_id: relay.GlobalID
    usage_limit: int | None = None
    per_customer_limit: int | None = None
    min_spend: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@strawberry.input(description="Only the fields given change; active: false withdraws the code.")
class VoucherUpdateInput:
    id: relay.GlobalID
    usage_limit: int | None = strawberry.UNSET
    per_customer_limit: int | None = strawberry.UNSET
    min_spend: int | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.UNSET
    ends_at: datetime | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET

    def changes(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in ("usage_limit", "per_customer_limit", "starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not strawberry.UNSET:
                out[name] = value
        for name in ("min_spend", "active"):
            value = getattr(self, name)
            if value is not strawberry.UNSET:
                if value is None:
                    raise ValidationFailed("Cannot be null.", field=_camel(name))
                out[name] = value
        return out


@strawberry.input
class TaxRateSetInput:
    tax_class: str
    country: str
    rate: Decimal
    region: str | None = None
    name: str = ""


@strawberry.input
class ProductTaxClassSetInput:
    product_id: relay.GlobalID
    tax_class: str
