"""Fulfillment: queries, mutations and the store's work-queue subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.fulfillment.access import QueueReader
from api.fulfillment.mutations import FulfillmentMutation
from api.fulfillment.queries import FulfillmentQuery, scoped
from api.fulfillment.types import FulfillmentOrderType, FulfillmentStatus
from api.relay import decode_id
from fulfillment.services import fulfillment_reads as reads


@strawberry.type(description="A fulfillment order entered or moved in a location's queue.")
class FulfillmentQueueEvent:
    event_id: str
    status: FulfillmentStatus
    previous_status: FulfillmentStatus | None = strawberry.field(
        description="Null: new work (just created)."
    )
    fulfillment_order: FulfillmentOrderType | None


async def _queue_events(
    info: Info, location_id: relay.GlobalID, *, new_work_only: bool
) -> AsyncGenerator[FulfillmentQueueEvent, None]:
    loc = decode_id(location_id, "Location", field="locationId")
    scoped(info.context.principal, loc)

    def where(payload: dict[str, Any]) -> bool:
        mine = payload.get("location_id") == loc or payload.get("pickup_location_id") == loc
        return mine and (not new_work_only or payload.get("previous_status") is None)

    async for env in info.context.runtime.events.subscribe("fulfillment", where=where):
        p = env.payload
        async with info.context.read() as session:
            row = (await reads.fulfillment_orders_by_ids(session, [p["fulfillment_order_id"]])).get(
                p["fulfillment_order_id"]
            )
        yield FulfillmentQueueEvent(
            event_id=str(env.id),
            status=FulfillmentStatus(p["status"]),
            previous_status=(
                FulfillmentStatus(p["previous_status"]) if p.get("previous_status") else None
            ),
            fulfillment_order=FulfillmentOrderType.from_row(row) if row is not None else None,
        )


@strawberry.type
class FulfillmentSubscription:
    @strawberry.subscription(
        permission_classes=[QueueReader],
        description="New and moved work for one location as it commits: orders it fulfils "
        "and transfers coming to it as a pickup store. newWorkOnly: only newly created ones.",
    )
    async def fulfillment_queue_changed(
        self, info: Info, location_id: relay.GlobalID, new_work_only: bool = False
    ) -> AsyncGenerator[FulfillmentQueueEvent, None]:
        async for event in _queue_events(info, location_id, new_work_only=new_work_only):
            yield event

    @strawberry.subscription(
        permission_classes=[QueueReader],
        description="New work for one location (fulfillmentQueueChanged with newWorkOnly).",
    )
    async def fulfillment_order_created(
        self, info: Info, location_id: relay.GlobalID
    ) -> AsyncGenerator[FulfillmentQueueEvent, None]:
        async for event in _queue_events(info, location_id, new_work_only=True):
            yield event


__all__ = ["FulfillmentMutation", "FulfillmentQuery", "FulfillmentSubscription"]
