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

from api.access.types import StaffUserType, staff_loader
from api.catalog import loaders as catalog_loaders
from api.catalog.types import CategoryType, ProductType
from api.inventory.types import LocationType, location_by_id
from api.loyalty.types import CustomerType, customer_loader
from api.relay import encode_id
from api.visibility import visible
from loyalty.clienteling import model
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
    """Staff-console reads: the query that led here checked its permission, and the customer
    still goes through the Customer rule (a warehouse account on a store screen sees ids)."""
    if customer_id is None:
        return None
    row = await customer_loader(info).load(customer_id)
    return await visible(info, CustomerType.from_row(row) if row is not None else None)


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
    def can_see(cls, info: Info, node: ConsultationType) -> bool:
        return info.context.principal.can_act_at(node.row.location_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await consultation_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]

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
        return await visible(info, StaffUserType.from_row(row) if row is not None else None)


def consultation_loader(info: Info) -> Any:
    return info.context.loaders.by_key("clienteling.consultation", cq.consultations_by_ids)


async def load_consultation(info: Info, consultation_id: int | None) -> ConsultationType | None:
    if consultation_id is None:
        return None
    row = await consultation_loader(info).load(consultation_id)
    return ConsultationType.from_row(row) if row is not None else None
