"""Orders queries: a cart, shipping methods, an order by id or number, order lists (a
customer's across every channel, a store's), scoped to what the caller may see."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.access.types import Channel
from api.limits import page_size
from api.orders import reviews
from api.orders.reviews import PosReviewStatus, PosSaleReviewType
from api.orders.types import (
    CartType,
    OrderStatus,
    OrderType,
    ShippingOption,
    can_see_order,
    order_loader,
    shipping_options,
)
from api.relay import Connection, connection, decode_cursor, decode_id
from domain.access.model import PrincipalKind
from domain.shared.errors import DomainError, Forbidden, ValidationFailed
from fulfillment import queries as q
from fulfillment.model import OrderStatus as Status
from fulfillment.services import carts


@strawberry.type
class OrdersQuery:
    @strawberry.field(
        description="A cart by id (owner, its store's staff) or by token (anyone "
        "holding it); null if it does not exist or is not yours."
    )
    async def cart(
        self, info: Info, id: relay.GlobalID | None = None, token: str | None = None
    ) -> CartType | None:
        ref = carts.CartRef(decode_id(id, "Cart") if id is not None else None, token)
        try:
            async with info.context.read() as session:
                row = await carts.load_cart(session, info.context.principal, ref)
        except DomainError:
            return None
        return CartType.from_row(row)

    @strawberry.field(description="Delivery methods with list prices and free-delivery thresholds.")
    def shipping_methods(self) -> list[ShippingOption]:
        return shipping_options(None)

    @strawberry.field(description="An order by id or by its number (W-100001, S01-100002).")
    async def order(
        self, info: Info, id: relay.GlobalID | None = None, number: str | None = None
    ) -> OrderType | None:
        if (id is None) == (number is None):
            raise ValidationFailed("Give id or number.", field="id")
        if id is not None:
            row = await order_loader(info).load(decode_id(id, "Order"))
        else:
            async with info.context.read() as session:
                row = await q.order_by_number(session, number or "")
        if row is None or not can_see_order(info, row):
            return None
        order_loader(info).prime(row.id, row)
        return OrderType.from_row(row)

    @strawberry.field(
        description="Orders, newest first. A customer sees their own (every "
        "channel); store staff their stores' sales or a customer's "
        "orders; admins everything."
    )
    async def orders(
        self,
        info: Info,
        customer_id: relay.GlobalID | None = None,
        location_id: relay.GlobalID | None = None,
        channel: Channel | None = None,
        status: OrderStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OrderType]:
        p = info.context.principal
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after, types=(datetime, int))
        customers = (
            (decode_id(customer_id, "Customer", field="customerId"),) if customer_id else None
        )
        locations = (
            (decode_id(location_id, "Location", field="locationId"),) if location_id else None
        )
        if p.kind is PrincipalKind.CUSTOMER:
            if customers is not None and customers != (p.customer_id,):
                raise Forbidden("You can see your own orders only.", field="customerId")
            customers = (p.customer_id,)  # type: ignore[assignment]
        elif p.is_staff:
            if locations is not None and not p.can_act_at(locations[0]):
                raise Forbidden("You can see your own stores' orders only.", field="locationId")
            if locations is None and customers is None and not p.acts_everywhere:
                locations = tuple(sorted(p.location_ids))
        elif p.client_location_id is not None:
            if locations is not None and locations != (p.client_location_id,):
                raise Forbidden("A store device sees its own store's orders.", field="locationId")
            locations = (p.client_location_id,)
        else:
            raise Forbidden("Sign in to see orders.", field="customerId")
        rows = await _list(
            info,
            q.OrderFilter(
                customer_ids=customers,
                location_ids=locations,
                channel=channel.value if channel is not None else None,
                status=Status(status.value) if status is not None else None,
            ),
            limit,
            cursor,
        )
        for r in rows:
            order_loader(info).prime(r.id, r)
        return connection(
            rows,
            first=limit,
            after=after,
            key=lambda r: [r.placed_at.isoformat(), r.id],
            node=OrderType.from_row,
        )

    @strawberry.field(
        description="Till sales waiting for a store manager (payment discrepancy or review "
        "notes), oldest first, with the amounts. Store managers see their stores, admins all."
    )
    async def pos_sale_reviews(
        self,
        info: Info,
        location_id: relay.GlobalID | None = None,
        status: PosReviewStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PosSaleReviewType]:
        return await reviews.pos_sale_reviews(
            info, location_id=location_id, status=status, first=first, after=after
        )


async def _list(info: Info, f: q.OrderFilter, limit: int, cursor: list | None) -> list:
    after = (datetime.fromisoformat(cursor[0]), int(cursor[1])) if cursor else None
    async with info.context.read() as session:
        return await q.list_orders(session, f, first=limit, after=after)
