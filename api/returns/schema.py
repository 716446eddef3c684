"""Returns: queries, mutations and the returnChanged subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.relay import decode_id
from api.returns.mutations import ReturnsMutationFields
from api.returns.queries import ReturnsQueryFields
from api.returns.types import ReturnType, can_see_return
from domain.shared.errors import Forbidden, NotFound, ValidationFailed
from fulfillment.queries import orders_by_ids
from fulfillment.returns.queries import returns_by_ids


@strawberry.type
class ReturnsQuery(ReturnsQueryFields):
    pass


@strawberry.type
class ReturnsMutation(ReturnsMutationFields):
    pass


@strawberry.type(description="A return was started, received or cancelled.")
class ReturnChangedEvent:
    event_id: str
    status: str
    return_: ReturnType | None = strawberry.field(name="return")


@strawberry.type
class ReturnsSubscription:
    @strawberry.subscription(
        description="Returns as they change: at a location (staff of that location: returns "
        "started or received there), or one return (its customer, or staff)."
    )
    async def return_changed(
        self,
        info: Info,
        location_id: relay.GlobalID | None = None,
        return_id: relay.GlobalID | None = None,
    ) -> AsyncGenerator[ReturnChangedEvent, None]:
        principal = info.context.principal
        factory = info.context.runtime.session_factory
        if location_id is not None:
            lid = decode_id(location_id, "Location", field="locationId")
            if not principal.can_act_at(lid):
                raise Forbidden("Follow the returns of your own stores only.", field="locationId")

            def where(payload: dict[str, Any]) -> bool:
                return bool(payload.get("location_id") == lid)

        elif return_id is not None:
            rid = decode_id(return_id, "Return", field="returnId")
            async with factory() as session:
                row = (await returns_by_ids(session, [rid])).get(rid)
                order = (
                    (await orders_by_ids(session, [row.order_id])).get(row.order_id)
                    if row
                    else None
                )
            if row is None or not can_see_return(principal, row, order):
                raise NotFound("There is no such return.", field="returnId")

            def where(payload: dict[str, Any]) -> bool:
                return bool(payload.get("return_id") == rid)

        else:
            raise ValidationFailed("Give locationId or returnId.", field="locationId")

        async for env in info.context.runtime.events.subscribe("returns", where=where):
            found = int(env.payload["return_id"])
            async with factory() as session:
                fresh = (await returns_by_ids(session, [found])).get(found)
            yield ReturnChangedEvent(
                event_id=str(env.id),
                status=str(env.payload.get("status")),
                return_=ReturnType.from_row(fresh) if fresh is not None else None,
            )
