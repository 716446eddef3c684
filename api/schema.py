"""The one schema: every context's queries, mutations and subscriptions, plus the limits."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry import relay
from strawberry.schema.config import StrawberryConfig

from api.access.schema import AccessMutation, AccessQuery, AccessSubscription
from api.errors import MaskUnexpectedErrors
from api.inventory.schema import InventoryQuery
from api.limits import limit_extensions
from domain.shared.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


@strawberry.type
class Query(AccessQuery, InventoryQuery):
    node: relay.Node | None = relay.node(description="Any object by its global id.")
    nodes: list[relay.Node | None] = relay.node(description="Objects by global ids, in order.")


@strawberry.type
class Mutation(AccessMutation):
    pass


@strawberry.type
class Subscription(AccessSubscription):
    pass


def build_schema(settings: Settings) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[*limit_extensions(settings), MaskUnexpectedErrors],
        config=StrawberryConfig(
            disable_field_suggestions=not settings.dev_mode,
            relay_max_results=settings.max_page_size,
        ),
    )


def schema_sdl() -> str:
    return build_schema(Settings(dev_mode=True)).as_str() + "\n"
