"""Clienteling queries: the staff console (storeVisitors, customer360), recommendations and
the consultant attribution report. Each calls one service in one short session."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.access.types import Channel
from api.auth import allow
from api.clienteling.console_types import Customer360Type, StoreVisitors
from api.clienteling.report_types import AttributionReport, Recommendations
from api.relay import decode_id
from domain.access.model import STORE_CHANNELS, Principal, Role
from domain.access.model import Channel as _Channel
from domain.shared.errors import Forbidden
from loyalty.clienteling import model, services

CONSOLE = allow(Role.CASHIER, Role.STORE_MANAGER)
#: Who may ask for a named customer's recommendations: store staff with the customer, and
#: back office (e-mail campaigns).
RECOMMENDERS = frozenset({Role.CASHIER, Role.STORE_MANAGER, Role.MERCHANDISER, Role.ADMIN})


@strawberry.input
class RecommendationContextInput:
    product_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The product page (or the model in the customer's hands)."
    )
    category_id: relay.GlobalID | None = None


def _recommendation_target(principal: Principal, customer_id: relay.GlobalID | None) -> int | None:
    if customer_id is None:
        return principal.customer_id  # a signed-in customer, or an anonymous session
    wanted = decode_id(customer_id, "Customer", field="customerId")
    if principal.customer_id is not None and principal.customer_id != wanted:
        raise Forbidden("You can get your own recommendations only.", field="customerId")
    if principal.customer_id is None and principal.role not in RECOMMENDERS:
        raise Forbidden("Sign in to get recommendations for a customer.", field="customerId")
    return wanted


@strawberry.type
class ClientelingQuery:
    @strawberry.field(
        permission_classes=[CONSOLE],
        description="Customers who checked in at your store recently (latest first), with "
        "their open consultation, and the consultant queue.",
    )
    async def store_visitors(self, info: Info, location_id: relay.GlobalID) -> StoreVisitors:
        loc = decode_id(location_id, "Location", field="locationId")
        async with info.context.read() as session:
            result = await services.store_visitors(
                session, location_id=loc, principal=info.context.principal
            )
        return StoreVisitors.from_result(result)

    @strawberry.field(
        permission_classes=[CONSOLE],
        description="The customer in front of you: online views, filters, favourites, in-store "
        "ratings, preferences with evidence, open carts, orders and returns in every channel, "
        "consultations; tier and points through customer.loyalty. Only customers who checked "
        "in or consulted at your store recently. Opted out of personalisation: no behavioural "
        "data.",
    )
    async def customer360(
        self, info: Info, customer_id: relay.GlobalID, location_id: relay.GlobalID
    ) -> Customer360Type:
        cid = decode_id(customer_id, "Customer", field="customerId")
        loc = decode_id(location_id, "Location", field="locationId")
        async with info.context.read() as session:
            result = await services.customer_360(
                session, customer_id=cid, location_id=loc, principal=info.context.principal
            )
        return Customer360Type.from_result(result)

    @strawberry.field(
        description="Products the channel (or store) can sell now, ranked against the "
        "customer's in-store ratings, filters and favourites, each with concrete reasons. "
        "Customers get their own (omit customerId; anonymous visitors: by X-Session-Id); "
        "staff and back office name the customer. With an out-of-stock context product: its "
        "closest alternatives in stock."
    )
    async def recommendations(
        self,
        info: Info,
        customer_id: relay.GlobalID | None = None,
        context: RecommendationContextInput | None = None,
        channel: Channel | None = None,
        location_id: relay.GlobalID | None = None,
        first: int = 10,
    ) -> Recommendations:
        principal: Principal = info.context.principal
        target = _recommendation_target(principal, customer_id)
        chosen = _Channel(channel.value) if channel is not None else principal.channel
        loc = (
            decode_id(location_id, "Location", field="locationId")
            if location_id is not None
            else (principal.client_location_id if chosen in STORE_CHANNELS else None)
        )
        async with info.context.read() as session:
            result = await services.recommend(
                session,
                principal=principal,
                customer_id=target,
                session_id=principal.session_id if target is None else None,
                channel=chosen,
                location_id=loc,
                context_product_id=decode_id(
                    context.product_id, "Product", field="context.productId"
                )
                if context and context.product_id
                else None,
                context_category_id=decode_id(
                    context.category_id, "Category", field="context.categoryId"
                )
                if context and context.category_id
                else None,
                limit=first,
            )
        return Recommendations.from_result(result)

    @strawberry.field(
        permission_classes=[allow(Role.STORE_MANAGER)],
        description="Orders (any channel) placed by consulted customers within windowDays "
        "after the consultation, credited to the consultant (last touch), per consultant of "
        "the store, for consultations accepted in [from, to).",
    )
    async def consultant_attribution(
        self,
        info: Info,
        location_id: relay.GlobalID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        window_days: int = model.ATTRIBUTION_DAYS,
    ) -> AttributionReport:
        loc = decode_id(location_id, "Location", field="locationId")
        async with info.context.read() as session:
            result = await services.attribution_report(
                session,
                location_id=loc,
                since=from_,
                until=to,
                window_days=window_days,
                principal=info.context.principal,
            )
        return AttributionReport.from_result(result)
