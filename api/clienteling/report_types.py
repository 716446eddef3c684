"""Recommendations, the consultant attribution report and store activity events."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.access.types import Channel, StaffUserType, staff_loader
from api.catalog import loaders as catalog_loaders
from api.catalog.types import CategoryType, ProductType, VariantType
from api.clienteling.types import (
    Preferences,
    customer_by_id,
    product_by_id,
)
from api.inventory.types import LocationType, location_by_id
from api.loyalty.types import CustomerType
from api.relay import encode_id
from loyalty.clienteling import services

# ------------------------------------------------------------------ recommendations


@strawberry.type
class Recommendation:
    score: float
    reasons: list[str] = strawberry.field(
        description="Concrete, from attribute values: 'more bass than Sony WH-1000XM5, which "
        "you rated 2/5 for bass', 'weighs 230 g, under your 250 g'."
    )
    misses: list[str] = strawberry.field(description="Where it does not fit what was said.")
    price: int | None = strawberry.field(description="Shelf price, minor units.")
    currency: str
    product_db_id: strawberry.Private[int]
    variant_db_id: strawberry.Private[int | None]

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_by_id(info, self.product_db_id)

    @strawberry.field(description="The variant in stock for the channel or store, at that price.")
    async def variant(self, info: Info) -> VariantType | None:
        if self.variant_db_id is None:
            return None
        row = await catalog_loaders.variant(info).load(self.variant_db_id)
        return VariantType.from_row(row) if row is not None else None


@strawberry.type
class Recommendations:
    channel: Channel
    personalised: bool = strawberry.field(
        description="False: no usable history, or the customer opted out (context only)."
    )
    context_in_stock: bool | None = strawberry.field(
        description="Whether the context product can be sold now here; when not, the items "
        "are its closest alternatives in stock."
    )
    items: list[Recommendation]
    preferences: Preferences
    category_db_id: strawberry.Private[int | None]
    context_db_id: strawberry.Private[int | None]
    location_db_id: strawberry.Private[int | None]

    @classmethod
    def from_result(cls, r: services.RecommendationResult) -> Recommendations:
        return cls(
            channel=r.channel,
            personalised=r.personalised,
            context_in_stock=r.context.in_stock if r.context is not None else None,
            items=[
                Recommendation(
                    score=i.score,
                    reasons=list(i.reasons),
                    misses=list(i.misses),
                    price=i.product.price,
                    currency=i.product.currency,
                    product_db_id=i.product.id,
                    variant_db_id=i.product.variant_id,
                )
                for i in r.items
            ],
            preferences=Preferences.from_model(r.preferences),
            category_db_id=r.category_id,
            context_db_id=r.context.id if r.context is not None else None,
            location_db_id=r.location_id,
        )

    @strawberry.field
    async def category(self, info: Info) -> CategoryType | None:
        if self.category_db_id is None:
            return None
        row = await catalog_loaders.category(info).load(self.category_db_id)
        return CategoryType.from_row(row) if row is not None else None

    @strawberry.field
    async def context_product(self, info: Info) -> ProductType | None:
        return await product_by_id(info, self.context_db_id)

    @strawberry.field
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)


# ------------------------------------------------------------------ attribution


@strawberry.type
class MoneyTotal:
    currency: str
    amount: int = strawberry.field(description="Minor units.")


@strawberry.type
class AttributedOrder:
    order_id: relay.GlobalID
    channel: str
    placed_at: datetime
    currency: str
    total: int
    consultation_id: relay.GlobalID
    customer_db_id: strawberry.Private[int]

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        return await customer_by_id(info, self.customer_db_id)


@strawberry.type
class ConsultantAttribution:
    consultations: int
    orders: int
    revenue: list[MoneyTotal]
    attributed_orders: list[AttributedOrder]
    staff_db_id: strawberry.Private[int]

    @strawberry.field
    async def consultant(self, info: Info) -> StaffUserType | None:
        row = await staff_loader(info).load(self.staff_db_id)
        return StaffUserType.from_row(row) if row is not None else None


@strawberry.type
class AttributionReport:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    window_days: int
    consultants: list[ConsultantAttribution]
    location_db_id: strawberry.Private[int]

    @classmethod
    def from_result(cls, r: services.AttributionReport) -> AttributionReport:
        return cls(
            from_=r.since,
            to=r.until,
            window_days=r.window_days,
            consultants=[
                ConsultantAttribution(
                    consultations=s.consultations,
                    orders=s.orders,
                    revenue=[
                        MoneyTotal(currency=c, amount=a) for c, a in sorted(s.revenue.items())
                    ],
                    attributed_orders=[
                        AttributedOrder(
                            order_id=encode_id("Order", a.order.id),
                            channel=a.order.channel,
                            placed_at=a.order.placed_at,
                            currency=a.order.currency,
                            total=a.order.total,
                            consultation_id=encode_id("Consultation", a.consultation.id),
                            customer_db_id=a.order.customer_id,
                        )
                        for a in s.attributions
                    ],
                    staff_db_id=s.staff_user_id,
                )
                for s in r.staff
            ],
            location_db_id=r.location_id,
        )

    @strawberry.field
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)


@strawberry.type(description="A check-in or consultant request (and its acceptance) in a store.")
class StoreActivityEvent:
    event_id: str
    kind: str = strawberry.field(
        description="STORE_CHECK_IN, CONSULTANT_REQUESTED, CONSULTATION_ACCEPTED, "
        "CONSULTATION_CLOSED."
    )
    occurred_at: datetime
    customer_db_id: strawberry.Private[int]
    consultation_db_id: strawberry.Private[int | None]
    staff_db_id: strawberry.Private[int | None]
    location_db_id: strawberry.Private[int]

    @strawberry.field
    def location_id(self) -> relay.GlobalID:
        return encode_id("Location", self.location_db_id)

    @strawberry.field
    def customer_id(self) -> relay.GlobalID:
        return encode_id("Customer", self.customer_db_id)

    @strawberry.field
    def consultation_id(self) -> relay.GlobalID | None:
        cid = self.consultation_db_id
        return encode_id("Consultation", cid) if cid is not None else None

    @strawberry.field(description="Signed-in staff only; a device key alone sees ids.")
    async def customer(self, info: Info) -> CustomerType | None:
        if not info.context.principal.is_staff:
            return None
        return await customer_by_id(info, self.customer_db_id)
