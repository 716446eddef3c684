"""Clienteling GraphQL types: interactions, preferences with evidence, consultations, the
staff console (visitors, customer 360), recommendations and the attribution report."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from api.access.types import Channel, StaffUserType, staff_loader
from api.catalog import loaders as catalog_loaders
from api.catalog.types import CategoryType, ProductType, VariantType
from api.inventory.types import LocationType, location_by_id
from api.loyalty.types import CustomerType, customer_loader
from api.relay import encode_id
from loyalty.clienteling import model, services
from loyalty.clienteling import queries as cq
from loyalty.clienteling.tables import ConsultationRow, InteractionRow

InteractionKind = strawberry.enum(model.InteractionType, name="InteractionType")
ConsultationStatus = strawberry.enum(model.ConsultationStatus, name="ConsultationStatus")
RatingDirection = strawberry.enum(
    model.Direction,
    name="RatingDirection",
    description="What the customer wants compared with the rated model: MORE (of the "
    "attribute), LESS, JUST_RIGHT. Omitted: a low score means MORE (LESS for weight, "
    "impedance), a high score JUST_RIGHT.",
)


async def product_by_id(info: Info, product_id: int | None) -> ProductType | None:
    if product_id is None:
        return None
    row = await catalog_loaders.product(info).load(product_id)
    return ProductType.from_row(row) if row is not None else None


async def products_by_ids(info: Info, ids: Iterable[int]) -> list[ProductType]:
    rows = await catalog_loaders.product(info).load_many(list(ids))
    return [ProductType.from_row(r) for r in rows if r is not None]


async def customer_by_id(info: Info, customer_id: int | None) -> CustomerType | None:
    """Staff-console reads: the permission was checked by the query that led here."""
    if customer_id is None:
        return None
    row = await customer_loader(info).load(customer_id)
    return CustomerType.from_row(row) if row is not None else None


# ------------------------------------------------------------------ interactions


@strawberry.type
class AttributeRating:
    attribute: str
    score: int = strawberry.field(description="1-5.")
    direction: RatingDirection | None
    comment: str | None


@strawberry.type
class AttributeFilterValue:
    attribute: str
    min: float | None
    max: float | None
    equals: JSON | None


@strawberry.type(name="Interaction", description="One thing the customer did, on any channel.")
class InteractionType:
    id: relay.GlobalID
    type: InteractionKind
    channel: str
    occurred_at: datetime
    query: str | None
    brands: list[str]
    filters: list[AttributeFilterValue]
    price_min: int | None = strawberry.field(description="Minor units (kopecks).")
    price_max: int | None
    ratings: list[AttributeRating]
    comment: str | None
    recorded_by: str = strawberry.field(description="customer:N, staff:N or anonymous.")
    row: strawberry.Private[InteractionRow]

    @classmethod
    def from_row(cls, row: InteractionRow) -> InteractionType:
        m = cq.to_model(row)
        return cls(
            id=encode_id("Interaction", row.id),
            type=row.type,
            channel=row.channel,
            occurred_at=row.occurred_at,
            query=row.query,
            brands=list(m.brands),
            filters=[
                AttributeFilterValue(attribute=f.attribute, min=f.min, max=f.max, equals=f.equals)
                for f in m.filters
            ],
            price_min=row.price_min,
            price_max=row.price_max,
            ratings=[
                AttributeRating(
                    attribute=r.attribute,
                    score=r.score,
                    direction=r.direction,
                    comment=r.comment or None,
                )
                for r in m.ratings
            ],
            comment=row.comment,
            recorded_by=row.actor,
            row=row,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_by_id(info, self.row.product_id)

    @strawberry.field(description="COMPARED: the models compared.")
    async def products(self, info: Info) -> list[ProductType]:
        return await products_by_ids(info, self.row.product_ids or [])

    @strawberry.field
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.row.location_id)

    @strawberry.field
    def consultation_id(self) -> relay.GlobalID | None:
        cid = self.row.consultation_id
        return encode_id("Consultation", cid) if cid is not None else None


# ------------------------------------------------------------------ preferences


@strawberry.type(description="Why a preference is believed: the interaction behind it.")
class Evidence:
    kind: InteractionKind
    interaction_id: relay.GlobalID
    occurred_at: datetime
    text: str
    product_db_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, e: model.Evidence) -> Evidence:
        return cls(
            kind=e.kind,
            interaction_id=encode_id("Interaction", e.interaction_id),
            occurred_at=e.occurred_at,
            text=e.text,
            product_db_id=e.product_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_by_id(info, self.product_db_id)


@strawberry.type
class PriceRangePreference:
    min: int | None = strawberry.field(description="Minor units.")
    max: int | None
    currency: str
    evidence: Evidence | None


@strawberry.type
class BrandPreference:
    brand: str
    weight: float
    evidence: list[Evidence]


@strawberry.type
class CategoryPreference:
    weight: float
    evidence: list[Evidence]
    category_db_id: strawberry.Private[int]

    @strawberry.field
    async def category(self, info: Info) -> CategoryType | None:
        row = await catalog_loaders.category(info).load(self.category_db_id)
        return CategoryType.from_row(row) if row is not None else None


@strawberry.type(description="E.g. 'wants more bass than Sony WH-1000XM5 (7)', 'under 250 g'.")
class AttributePreference:
    attribute: str
    bound: str = strawberry.field(
        description="MIN (more than value), MAX (less than value), NEAR, EQUALS."
    )
    value: JSON
    description: str
    source: InteractionKind = strawberry.field(description="PRODUCT_RATED or FILTER_APPLIED.")
    evidence: Evidence


@strawberry.type(description="An opinion on something the catalog does not measure (comfort).")
class PreferenceNote:
    attribute: str
    score: int
    comment: str | None
    evidence: Evidence


@strawberry.type(description="What the customer's interactions say, each with its evidence.")
class Preferences:
    price_range: PriceRangePreference | None
    brands: list[BrandPreference]
    categories: list[CategoryPreference]
    attributes: list[AttributePreference]
    notes: list[PreferenceNote]
    favourite_ids: strawberry.Private[list[int]]
    rejected_ids: strawberry.Private[list[int]]

    @classmethod
    def from_model(cls, p: model.Preferences) -> Preferences:
        ev = Evidence.from_model
        price = None
        if p.price_min is not None or p.price_max is not None:
            price = PriceRangePreference(
                min=p.price_min,
                max=p.price_max,
                currency="RUB",
                evidence=ev(p.price_evidence) if p.price_evidence else None,
            )
        return cls(
            price_range=price,
            brands=[
                BrandPreference(
                    brand=str(w.key), weight=w.weight, evidence=[ev(e) for e in w.evidence]
                )
                for w in p.brands
            ],
            categories=[
                CategoryPreference(
                    weight=w.weight, evidence=[ev(e) for e in w.evidence], category_db_id=int(w.key)
                )
                for w in p.categories
            ],
            attributes=[
                AttributePreference(
                    attribute=a.attribute,
                    bound=a.bound,
                    value=a.value,
                    description=a.description,
                    source=a.source,
                    evidence=ev(a.evidence),
                )
                for a in p.attributes
            ],
            notes=[
                PreferenceNote(
                    attribute=n.attribute,
                    score=n.score,
                    comment=n.comment or None,
                    evidence=ev(n.evidence),
                )
                for n in p.notes
            ],
            favourite_ids=list(p.favourites),
            rejected_ids=sorted(p.rejected),
        )

    @strawberry.field(description="Models rated 2/5 or below on average: not recommended.")
    async def rejected(self, info: Info) -> list[ProductType]:
        return await products_by_ids(info, self.rejected_ids)


# ------------------------------------------------------------------ consultations


@strawberry.type(name="Consultation", description="A consultant with a customer in a store.")
class ConsultationType(relay.Node):
    consultation_id: relay.NodeID[int]
    status: ConsultationStatus
    requested_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    summary: str | None
    row: strawberry.Private[ConsultationRow]

    @classmethod
    def from_row(cls, row: ConsultationRow) -> ConsultationType:
        return cls(
            consultation_id=row.id,
            status=row.status,
            requested_at=row.requested_at,
            accepted_at=row.accepted_at,
            closed_at=row.closed_at,
            summary=row.summary,
            row=row,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        principal = info.context.principal
        rows = await consultation_loader(info).load_many([int(i) for i in node_ids])
        return [
            cls.from_row(r) if r is not None and principal.can_act_at(r.location_id) else None
            for r in rows
        ]

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        return await customer_by_id(info, self.row.customer_id)

    @strawberry.field
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.row.location_id)

    @strawberry.field(description="The consultant who accepted it.")
    async def consultant(self, info: Info) -> StaffUserType | None:
        if self.row.staff_user_id is None:
            return None
        row = await staff_loader(info).load(self.row.staff_user_id)
        return StaffUserType.from_row(row) if row is not None else None


def consultation_loader(info: Info) -> Any:
    return info.context.loaders.by_key("clienteling.consultation", cq.consultations_by_ids)


async def load_consultation(info: Info, consultation_id: int | None) -> ConsultationType | None:
    if consultation_id is None:
        return None
    row = await consultation_loader(info).load(consultation_id)
    return ConsultationType.from_row(row) if row is not None else None


# ------------------------------------------------------------------ staff console


@strawberry.type
class StoreVisitor:
    checked_in_at: datetime
    consultation: ConsultationType | None
    customer_db_id: strawberry.Private[int]

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        return await customer_by_id(info, self.customer_db_id)


@strawberry.type(description="Who is in the store now and who is waiting for a consultant.")
class StoreVisitors:
    since: datetime = strawberry.field(description="Check-ins from this time on.")
    visitors: list[StoreVisitor]
    queue: list[ConsultationType] = strawberry.field(
        description="Open consultations: waiting requests (oldest first), then in progress."
    )
    location_db_id: strawberry.Private[int]

    @classmethod
    def from_result(cls, r: services.StoreVisitors) -> StoreVisitors:
        return cls(
            since=r.since,
            visitors=[
                StoreVisitor(
                    checked_in_at=v.checked_in_at,
                    consultation=ConsultationType.from_row(v.consultation)
                    if v.consultation
                    else None,
                    customer_db_id=v.customer_id,
                )
                for v in r.visitors
            ],
            queue=[ConsultationType.from_row(c) for c in r.queue],
            location_db_id=r.location_id,
        )

    @strawberry.field
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)


@strawberry.type
class CustomerOrderSummary:
    id: relay.GlobalID
    number: str
    channel: str
    status: str
    placed_at: datetime
    currency: str
    total: int = strawberry.field(description="Minor units.")
    location_db_id: strawberry.Private[int | None]

    @strawberry.field(description="The store of a store sale; null for web and app orders.")
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)


@strawberry.type
class CartLineSummary:
    quantity: int
    variant_db_id: strawberry.Private[int]

    @strawberry.field
    async def variant(self, info: Info) -> VariantType | None:
        row = await catalog_loaders.variant(info).load(self.variant_db_id)
        return VariantType.from_row(row) if row is not None else None


@strawberry.type
class CustomerCartSummary:
    id: relay.GlobalID
    channel: str
    updated_at: datetime
    lines: list[CartLineSummary]


@strawberry.type
class CustomerReturnSummary:
    id: relay.GlobalID
    order_id: relay.GlobalID
    order_number: str
    status: str
    created_at: datetime
    refund_total: int = strawberry.field(description="Minor units.")
    currency: str
    location_db_id: strawberry.Private[int | None]

    @strawberry.field(description="Where it was received (or started, until received).")
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)


@strawberry.type(name="Customer360", description="The customer in front of the consultant.")
class Customer360Type:
    personalised: bool = strawberry.field(
        description="False: the customer opted out of personalisation; behavioural lists are "
        "empty and preferences null."
    )
    recent_views: list[InteractionType] = strawberry.field(
        description="Products viewed online, scanned in a store, reviews read; newest first."
    )
    searches: list[InteractionType]
    filters: list[InteractionType] = strawberry.field(
        description="Filters applied: attributes, brands and price range."
    )
    comparisons: list[InteractionType]
    ratings: list[InteractionType] = strawberry.field(
        description="Opinions per attribute given in stores (or in the app)."
    )
    preferences: Preferences | None
    open_carts: list[CustomerCartSummary]
    orders: list[CustomerOrderSummary] = strawberry.field(
        description="Every channel, newest first."
    )
    returns: list[CustomerReturnSummary] = strawberry.field(
        description="Returns in every channel, newest first."
    )
    consultations: list[ConsultationType]
    customer_db_id: strawberry.Private[int]
    favourite_ids: strawberry.Private[list[int]]

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType | None:
        return await customer_by_id(info, self.customer_db_id)

    @strawberry.field(description="Current favourites, most recent first.")
    async def favourites(self, info: Info) -> list[ProductType]:
        return await products_by_ids(info, self.favourite_ids)

    @classmethod
    def from_result(cls, r: services.Customer360) -> Customer360Type:
        rows = InteractionType.from_row
        return cls(
            personalised=r.personalised,
            recent_views=[rows(x) for x in r.views],
            searches=[rows(x) for x in r.searches],
            filters=[rows(x) for x in r.filters],
            comparisons=[rows(x) for x in r.comparisons],
            ratings=[rows(x) for x in r.ratings],
            preferences=Preferences.from_model(r.preferences) if r.preferences else None,
            open_carts=[
                CustomerCartSummary(
                    id=encode_id("Cart", c.id),
                    channel=c.channel,
                    updated_at=c.updated_at,
                    lines=[
                        CartLineSummary(quantity=q, variant_db_id=v)
                        for v, q in c.variant_quantities
                    ],
                )
                for c in r.open_carts
            ],
            orders=[
                CustomerOrderSummary(
                    id=encode_id("Order", o.id),
                    number=o.number,
                    channel=o.channel,
                    status=str(o.status.value if hasattr(o.status, "value") else o.status),
                    placed_at=o.placed_at,
                    currency=o.currency,
                    total=o.total,
                    location_db_id=o.location_id,
                )
                for o in r.orders
            ],
            returns=[
                CustomerReturnSummary(
                    id=encode_id("Return", x.id),
                    order_id=encode_id("Order", x.order_id),
                    order_number=x.order_number,
                    status=x.status,
                    created_at=x.created_at,
                    refund_total=x.refund_total,
                    currency=x.currency,
                    location_db_id=x.location_id,
                )
                for x in r.returns
            ],
            consultations=[ConsultationType.from_row(c) for c in r.consultations],
            customer_db_id=r.customer_id,
            favourite_ids=list(r.favourites),
        )


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
