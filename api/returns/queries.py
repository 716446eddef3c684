"""Return queries: one return, returns by order / customer / location, store credit."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.auth import allow
from api.limits import page_size
from api.pricing.types import Money, money
from api.relay import Connection, connection, decode_cursor, decode_id
from api.returns.mutations import ReturnWindow
from api.returns.types import ReturnType
from api.visibility import visible
from domain.access.model import Principal, Role
from domain.shared.errors import Forbidden
from fulfillment.returns import queries as q
from fulfillment.returns import services as returns
from fulfillment.services import store_credit
from loyalty.services import active_customer_id

VIEWERS = allow(Role.CUSTOMER, Role.CASHIER, Role.STORE_MANAGER, Role.WAREHOUSE)


async def _own_customer(info: Info, customer_gid: relay.GlobalID | None) -> int:
    """The customer the caller may read: themself, or (staff) the one named."""
    p: Principal = info.context.principal
    if p.customer_id is not None:
        if (
            customer_gid is not None
            and decode_id(customer_gid, "Customer", field="customerId") != p.customer_id
        ):
            raise Forbidden(
                "You can see your own returns and store credit only.", field="customerId"
            )
        async with info.context.read() as session:
            return await active_customer_id(session, p.customer_id) or p.customer_id
    if customer_gid is None:
        raise Forbidden("Staff must say which customer: give customerId.", field="customerId")
    return decode_id(customer_gid, "Customer", field="customerId")


@strawberry.type
class ReturnsQueryFields:
    @strawberry.field(name="return", permission_classes=[VIEWERS], description="A return by id.")
    async def return_(self, info: Info, return_id: relay.GlobalID) -> ReturnType | None:
        nodes = await ReturnType.resolve_nodes(
            info=info, node_ids=[str(decode_id(return_id, "Return", field="returnId"))]
        )
        return await visible(info, nodes[0])

    @strawberry.field(
        permission_classes=[VIEWERS],
        description="Returns, newest first: of an order, of a customer (customers: their own), "
        "or received or started at a location (staff of that location).",
    )
    async def returns(
        self,
        info: Info,
        order_id: relay.GlobalID | None = None,
        customer_id: relay.GlobalID | None = None,
        location_id: relay.GlobalID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReturnType]:
        p: Principal = info.context.principal
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        oid = decode_id(order_id, "Order", field="orderId") if order_id is not None else None
        lid = decode_id(location_id, "Location", field="locationId") if location_id else None
        cid: int | None = None
        if p.customer_id is not None or (customer_id is not None):
            cid = await _own_customer(info, customer_id)
        if lid is not None and not p.can_act_at(lid):
            raise Forbidden("You can list the returns of your own stores only.", field="locationId")
        if p.customer_id is None and not p.acts_somewhere:
            raise Forbidden("Staff of a store list returns.", field="locationId")
        if oid is None and cid is None and lid is None:
            if not p.acts_somewhere:
                raise Forbidden("Give orderId, customerId or locationId.", field="locationId")
        async with info.context.read() as session:
            rows = await q.returns_page(
                session,
                first=limit,
                before_id=int(cursor[0]) if cursor else None,
                order_id=oid,
                customer_id=cid,
                location_ids=[lid]
                if lid is not None
                else (None if (oid or cid or p.acts_everywhere) else sorted(p.location_ids)),
            )
        info.context.loaders.by_key("returns.return", q.returns_by_ids).prime_many(
            {r.id: r for r in rows}
        )
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=ReturnType.from_row
        )

    @strawberry.field(
        permission_classes=[VIEWERS],
        description="A customer's store-credit balance (customers: their own; staff: give "
        "customerId).",
    )
    async def store_credit_balance(
        self, info: Info, customer_id: relay.GlobalID | None = None
    ) -> Money:
        cid = await _own_customer(info, customer_id)
        async with info.context.read() as session:
            return money(await store_credit.balance(session, cid), "RUB")

    @strawberry.field(description='Return windows in days per channel ("*": every other).')
    async def return_windows(self, info: Info) -> list[ReturnWindow]:
        async with info.context.read() as session:
            found = await returns.windows(session)
        return [ReturnWindow(channel=c, days=d) for c, d in sorted(found.items())]
