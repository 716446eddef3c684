"""Fulfillment queries: a store's work queue, one fulfillment order, routing simulation,
sourcing profiles."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.auth import STAFF, allow
from api.errors import UserError, payload_or_errors
from api.fulfillment.access import QueueReader, may_read_queue, visible
from api.fulfillment.types import (
    FulfillmentMethod,
    FulfillmentOrderType,
    FulfillmentStatus,
    RoutingDecision,
    SourcingProfile,
    fo_loader,
)
from api.limits import page_size
from api.relay import Connection, connection, decode_cursor, decode_id
from domain.access.model import Principal, Role
from domain.shared.errors import Forbidden, NotFound, ValidationFailed
from fulfillment.model import FulfillmentMethod as Method
from fulfillment.services import fulfillment_reads as reads
from fulfillment.services import profiles, routing
from fulfillment.sourcing import RouteLine, RouteRequest
from inventory import queries as inventory

PROFILE_ROLES = allow(Role.MERCHANDISER)


def scoped(principal: Principal, location_id: int) -> None:
    if not may_read_queue(principal, location_id):
        raise Forbidden(
            "You can see the queue of your own stores only; pick one of them.", field="locationId"
        )


@strawberry.input
class GeoPointInput:
    latitude: float
    longitude: float


@strawberry.input(description="Name the item by exactly one of variantId or sku.")
class RoutingLineInput:
    variant_id: relay.GlobalID | None = None
    sku: str | None = None
    quantity: int
    method: FulfillmentMethod
    pickup_location_id: relay.GlobalID | None = None


@strawberry.input
class RoutingSimulateInput:
    lines: list[RoutingLineInput]
    ship_to: GeoPointInput | None = None
    exclude_location_ids: list[relay.GlobalID] | None = None
    profile_version: int | None = strawberry.field(
        default=None,
        description="Try a stored profile version before activating it (default: the active one).",
    )


@strawberry.type
class RoutingSimulatePayload:
    user_errors: list[UserError]
    decision: RoutingDecision | None = None


async def route_request(info: Info, input: RoutingSimulateInput) -> RouteRequest:
    if not input.lines:
        raise ValidationFailed("Add at least one line.", field="lines")
    if len(input.lines) > 100:
        raise ValidationFailed("Simulate at most 100 lines at a time.", field="lines")
    lines = []
    async with info.context.read() as session:
        for i, line in enumerate(input.lines):
            vid = (
                decode_id(line.variant_id, "Variant", field="variantId")
                if line.variant_id
                else None
            )
            variant = await inventory.resolve_variant(session, variant_id=vid, sku=line.sku)
            if line.quantity <= 0:
                raise ValidationFailed(
                    f"Line {i + 1}: quantity must be 1 or more.", field="quantity"
                )
            method = Method(line.method)
            store = (
                decode_id(line.pickup_location_id, "Location", field="pickupLocationId")
                if line.pickup_location_id
                else None
            )
            if method is Method.CARRY_OUT:
                raise ValidationFailed(
                    f"Line {i + 1}: carry-out is sold at the till, not routed; use SHIP or PICKUP.",
                    field="method",
                )
            if (method is Method.PICKUP) != (store is not None):
                raise ValidationFailed(
                    f"Line {i + 1}: a PICKUP line needs pickupLocationId, other lines none.",
                    field="pickupLocationId",
                )
            lines.append(RouteLine(i, int(variant.id), line.quantity, method, store))
    ship_to = (input.ship_to.latitude, input.ship_to.longitude) if input.ship_to else None
    if ship_to is not None and not (-90 <= ship_to[0] <= 90 and -180 <= ship_to[1] <= 180):
        raise ValidationFailed(
            "shipTo needs a latitude -90..90 and a longitude -180..180.", field="shipTo"
        )
    exclude = frozenset(
        decode_id(g, "Location", field="excludeLocationIds")
        for g in input.exclude_location_ids or []
    )
    return RouteRequest(tuple(lines), ship_to=ship_to, exclude_location_ids=exclude)


@strawberry.type
class FulfillmentQuery:
    @strawberry.field(
        permission_classes=[QueueReader],
        description="A location's work queue, oldest first: what it fulfils and the transfers "
        "coming to it as a pickup store. Staff of that location (merchandisers and admins "
        "anywhere) and the store's own devices.",
    )
    async def fulfillment_orders(
        self,
        info: Info,
        location_id: relay.GlobalID,
        status: list[FulfillmentStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[FulfillmentOrderType]:
        loc = decode_id(location_id, "Location", field="locationId")
        scoped(info.context.principal, loc)
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        async with info.context.read() as session:
            rows = await reads.queue(
                session,
                location_id=loc,
                statuses=status,
                after_id=int(cursor[0]) if cursor is not None else None,
                limit=limit + 1,
            )
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=FulfillmentOrderType.from_row
        )

    @strawberry.field(
        description="One fulfillment order: staff of its location or pickup store, or the "
        "customer who placed the order. Null when you may not see it."
    )
    async def fulfillment_order(
        self, info: Info, id: relay.GlobalID
    ) -> FulfillmentOrderType | None:
        fo_id = decode_id(id, "FulfillmentOrder")
        row = await fo_loader(info).load(fo_id)
        if row is None or not await visible(info, row):
            return None
        return FulfillmentOrderType.from_row(row)

    @strawberry.field(
        permission_classes=[STAFF],
        description="What sourcing would decide for these lines now, with its reasons, "
        "shortfalls and alternatives. Writes nothing.",
    )
    async def routing_simulate(
        self, info: Info, input: RoutingSimulateInput
    ) -> RoutingSimulatePayload:
        async def run() -> RoutingSimulatePayload:
            request = await route_request(info, input)
            async with info.context.read() as session:
                profile = None
                if input.profile_version is not None:
                    row = (
                        await profiles.profile_rows_by_versions(session, [input.profile_version])
                    ).get(input.profile_version)
                    if row is None:
                        raise NotFound(
                            f"No sourcing profile version {input.profile_version}.",
                            field="profileVersion",
                        )
                    profile = profiles.profile_of(row)
                decision = await routing.plan(session, request, profile=profile)
            return RoutingSimulatePayload(user_errors=[], decision=RoutingDecision.of(decision))

        return await payload_or_errors(RoutingSimulatePayload, run)

    @strawberry.field(permission_classes=[PROFILE_ROLES], description="Every profile version.")
    async def sourcing_profiles(self, info: Info) -> list[SourcingProfile]:
        async with info.context.read() as session:
            rows = await profiles.profile_rows(session)
        return [SourcingProfile.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[PROFILE_ROLES],
        description="One profile version; without a version, the active one.",
    )
    async def sourcing_profile(
        self, info: Info, version: int | None = None
    ) -> SourcingProfile | None:
        async with info.context.read() as session:
            rows = await profiles.profile_rows(session)
        for r in rows:
            if (version is None and r.active) or r.version == version:
                return SourcingProfile.from_row(r)
        return None


__all__: list[Any] = ["FulfillmentQuery"]
