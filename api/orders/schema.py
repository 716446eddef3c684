"""Orders: carts, checkout, POS sales, cancel, order queries and the orderUpdated subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

import fulfillment.merge  # noqa: F401  (registers the "orders" customer-merge step)
from api.orders.mutations import OrdersMutation
from api.orders.queries import OrdersQuery
from api.orders.types import OrderType, can_see_order, order_loader
from api.relay import decode_id
from domain.shared.errors import NotFound


@strawberry.type(description="An order changed (placed, paid, cancelled, fulfilled, returned).")
class OrderUpdatedEvent:
    event_id: str
    change: str
    order: OrderType | None


@strawberry.type
class OrdersSubscription:
    @strawberry.subscription(description="Changes of one order as they commit.")
    async def order_updated(
        self, info: Info, order_id: relay.GlobalID
    ) -> AsyncGenerator[OrderUpdatedEvent, None]:
        oid = decode_id(order_id, "Order", field="orderId")
        async with info.context.read() as session:
            from fulfillment.queries import orders_by_ids

            row = (await orders_by_ids(session, [oid])).get(oid)
        if row is None or not can_see_order(info, row):
            raise NotFound("There is no such order.", field="orderId")

        def where(payload: dict[str, Any]) -> bool:
            return bool(payload.get("order_id") == oid)

        async for env in info.context.runtime.events.subscribe("orders", where=where):
            async with info.context.read() as session:
                from fulfillment.queries import orders_by_ids

                fresh = (await orders_by_ids(session, [oid])).get(oid)
            yield OrderUpdatedEvent(
                event_id=str(env.id),
                change=str(env.payload.get("change")),
                order=OrderType.from_row(fresh) if fresh is not None else None,
            )


__all__ = ["OrdersMutation", "OrdersQuery", "OrdersSubscription", "order_loader"]
