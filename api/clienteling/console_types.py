"""Staff console types: store visitors and the customer 360."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.catalog import loaders as catalog_loaders
from api.catalog.types import ProductType, VariantType
from api.clienteling.types import (
    ConsultationType,
    InteractionType,
    Preferences,
    customer_by_id,
    products_by_ids,
)
from api.inventory.types import LocationType, location_by_id
from api.loyalty.types import CustomerType
from api.relay import encode_id
from loyalty.clienteling import services

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
