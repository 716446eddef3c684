"""Clienteling: queries, mutations and the storeActivity subscription for staff devices."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.clienteling.mutations import ClientelingMutation
from api.clienteling.queries import ClientelingQuery
from api.clienteling.report_types import StoreActivityEvent
from api.inventory.schema import StoreScreen
from api.relay import decode_id
from domain.shared.errors import Forbidden
from loyalty.clienteling.events import TOPIC


@strawberry.type
class ClientelingSubscription:
    @strawberry.subscription(
        permission_classes=[StoreScreen],
        description="Check-ins, consultant requests and their acceptance at one store, as "
        "they commit: for staff devices.",
    )
    async def store_activity(
        self, info: Info, location_id: relay.GlobalID
    ) -> AsyncGenerator[StoreActivityEvent, None]:
        p = info.context.principal
        loc = decode_id(location_id, "Location", field="locationId")
        if not (p.can_act_at(loc) or p.client_location_id == loc):
            raise Forbidden("Subscribe to your own store's activity only.", field="locationId")

        def where(payload: dict[str, Any]) -> bool:
            return bool(payload["location_id"] == loc)

        async for env in info.context.runtime.events.subscribe(TOPIC, where=where):
            pl = env.payload
            yield StoreActivityEvent(
                event_id=str(env.id),
                kind=pl["kind"],
                occurred_at=datetime.fromisoformat(pl["occurred_at"]),
                customer_db_id=pl["customer_id"],
                consultation_db_id=pl.get("consultation_id"),
                staff_db_id=pl.get("staff_user_id"),
                location_db_id=pl["location_id"],
            )


__all__ = ["ClientelingMutation", "ClientelingQuery", "ClientelingSubscription"]
