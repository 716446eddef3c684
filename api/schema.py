"""The one schema: every context's queries, mutations and subscriptions, plus the limits."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import strawberry
from strawberry import relay
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from api.access.schema import AccessMutation, AccessQuery, AccessSubscription
from api.catalog.schema import CatalogMutation, CatalogQuery
from api.clienteling.schema import (
    ClientelingMutation,
    ClientelingQuery,
    ClientelingSubscription,
)
from api.errors import MaskUnexpectedErrors, Schema
from api.fulfillment.schema import (
    FulfillmentMutation,
    FulfillmentQuery,
    FulfillmentSubscription,
)
from api.input_guard import InputGuard
from api.inventory.schema import InventoryMutation, InventoryQuery, InventorySubscription
from api.limits import limit_extensions
from api.loyalty.schema import LoyaltyMutation, LoyaltyQuery
from api.orders.schema import OrdersMutation, OrdersQuery, OrdersSubscription
from api.pricing.schema import PricingMutation, PricingQuery, PricingSubscription
from api.ratelimit import CostLimit
from api.returns.schema import ReturnsMutation, ReturnsQuery, ReturnsSubscription
from api.trusted_documents import TrustedParserCache
from api.visibility import resolve_visible
from domain.shared.errors import ValidationFailed
from domain.shared.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


@strawberry.type
class NodeQuery:
    # Plain resolvers rather than relay.node(): that helper mutates the field when a schema is
    # built, so the Query class could serve only one schema per process.
    @strawberry.field(
        description="Any object by its global id; null if it does not exist or you may not see it."
    )
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        return await resolve_visible(info, id)

    @strawberry.field(description="Objects by global ids, in the order asked.")
    async def nodes(self, info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
        if len(ids) > info.context.settings.max_page_size:
            raise ValidationFailed(
                f"Ask for at most {info.context.settings.max_page_size} ids at once.", field="ids"
            )
        return list(await asyncio.gather(*(resolve_visible(info, gid) for gid in ids)))


@strawberry.type
class Query(
    NodeQuery,
    AccessQuery,
    InventoryQuery,
    CatalogQuery,
    LoyaltyQuery,
    PricingQuery,
    OrdersQuery,
    FulfillmentQuery,
    ReturnsQuery,
    ClientelingQuery,
):
    pass


@strawberry.type
class Mutation(
    AccessMutation,
    CatalogMutation,
    LoyaltyMutation,
    InventoryMutation,
    PricingMutation,
    OrdersMutation,
    FulfillmentMutation,
    ReturnsMutation,
    ClientelingMutation,
):
    pass


@strawberry.type
class Subscription(
    AccessSubscription,
    InventorySubscription,
    PricingSubscription,
    OrdersSubscription,
    FulfillmentSubscription,
    ReturnsSubscription,
    ClientelingSubscription,
):
    pass


def build_schema(settings: Settings) -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            # Clients repeat the same few documents: parse each once per process (validation
            # is cached by api.limits.DocumentLimits); trusted documents are parsed at load.
            partial(TrustedParserCache, maxsize=2048),
            *limit_extensions(settings),
            CostLimit,
            InputGuard,
            MaskUnexpectedErrors,
        ],
        config=StrawberryConfig(
            disable_field_suggestions=not settings.dev_mode,
            relay_max_results=settings.max_page_size,
        ),
    )


def schema_sdl() -> str:
    return build_schema(Settings(dev_mode=True)).as_str() + "\n"
