"""The store staff console: who is in the store (with the consultant queue) and the customer
360 — a fixed number of queries each, whatever the size of the customer's history."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Principal
from domain.shared.clock import utcnow
from domain.shared.errors import Forbidden, NotFound
from fulfillment.queries import (
    CartSummary,
    OrderSummary,
    open_carts_of_customer,
    orders_of_customers,
)
from fulfillment.returns.queries import ReturnSummary, returns_of_customer
from loyalty.clienteling import model, queries
from loyalty.clienteling.model import InteractionType
from loyalty.clienteling.tables import ConsultationRow, InteractionRow
from loyalty.services import active_customer_id

RECENT = 20


@dataclass(frozen=True)
class Visitor:
    customer_id: int
    checked_in_at: datetime
    consultation: ConsultationRow | None


@dataclass(frozen=True)
class StoreVisitors:
    location_id: int
    since: datetime
    visitors: list[Visitor]
    queue: list[ConsultationRow]


def check_store(principal: Principal, location_id: int) -> None:
    if not principal.can_act_at(location_id):
        raise Forbidden(
            "You can see the visitors and customers of your own store only.", field="locationId"
        )


async def store_visitors(
    session: AsyncSession,
    *,
    location_id: int,
    principal: Principal,
    now: datetime | None = None,
    window: Any = model.VISIT_WINDOW,
) -> StoreVisitors:
    """Customers checked in at the store within the window (latest first), each with their
    open consultation, and the store's consultant queue (waiting requests oldest first)."""
    check_store(principal, location_id)
    now = now or utcnow()
    since = now - window
    checked = await queries.check_ins(session, location_id, since=since)
    queue = await queries.consultation_queue(session, location_id)
    by_customer = {c.customer_id: c for c in queue}
    return StoreVisitors(
        location_id=location_id,
        since=since,
        visitors=[Visitor(cid, at, by_customer.get(cid)) for cid, at in checked],
        queue=queue,
    )


@dataclass(frozen=True)
class Customer360:
    customer_id: int
    location_id: int
    personalised: bool
    views: list[InteractionRow] = field(default_factory=list)
    searches: list[InteractionRow] = field(default_factory=list)
    filters: list[InteractionRow] = field(default_factory=list)
    favourites: list[int] = field(default_factory=list)
    comparisons: list[InteractionRow] = field(default_factory=list)
    ratings: list[InteractionRow] = field(default_factory=list)
    preferences: model.Preferences | None = None
    products: dict[int, model.ProductFacts] = field(default_factory=dict)
    attributes: dict[str, model.AttributeInfo] = field(default_factory=dict)
    open_carts: list[CartSummary] = field(default_factory=list)
    orders: list[OrderSummary] = field(default_factory=list)
    returns: list[ReturnSummary] = field(default_factory=list)
    consultations: list[ConsultationRow] = field(default_factory=list)


async def customer_360(
    session: AsyncSession,
    *,
    customer_id: int,
    location_id: int,
    principal: Principal,
    now: datetime | None = None,
) -> Customer360:
    """Everything a consultant needs about the customer in front of them. Staff of a store see
    customers who checked in or consulted there in the visit window (admins and
    merchandisers: anyone). Behavioural data (views, filters, favourites, ratings,
    preferences) is left out for a customer who opted out of personalisation; orders, carts
    and returns are shown either way."""
    check_store(principal, location_id)
    now = now or utcnow()
    active = await active_customer_id(session, customer_id)
    if active is None:
        raise NotFound(f"Customer {customer_id} does not exist.", field="customerId")
    if principal.role.value in ("CASHIER", "STORE_MANAGER") and not await queries.was_at(
        session, active, location_id, since=now - model.VISIT_WINDOW
    ):
        raise Forbidden(
            "This customer has not checked in at your store; ask them to scan the store's QR "
            "code in the app, or start a consultation with them (consultationStart).",
            field="customerId",
        )
    personalised = (await queries.personalisation(session, [active]))[active]
    orders = await orders_of_customers(session, [active], limit=RECENT)
    carts = await open_carts_of_customer(session, active)
    returns = await returns_of_customer(session, active, limit=RECENT)
    consultations = await queries.consultations_of_customer(session, active)
    result = Customer360(
        customer_id=active,
        location_id=location_id,
        personalised=personalised,
        open_carts=carts,
        orders=orders,
        returns=returns,
        consultations=consultations,
    )
    if not personalised:
        return result
    rows = await queries.timeline(
        session,
        customer_id=active,
        since=now - model.PREFERENCE_HORIZON,
        limit=model.PREFERENCE_EVENTS,
    )
    events = [queries.to_model(r) for r in rows]
    product_ids = {pid for e in events for pid in (e.product_id, *e.product_ids) if pid}
    products = await queries.product_facts(session, list(product_ids))
    attributes = await queries.attribute_infos(session)

    def of(*types: InteractionType) -> list[InteractionRow]:
        return [r for r in rows if r.type in types][:RECENT]

    return replace(
        result,
        views=of(InteractionType.PRODUCT_VIEWED, InteractionType.PRODUCT_SCANNED,
                 InteractionType.REVIEW_READ),
        searches=of(InteractionType.SEARCHED),
        filters=of(InteractionType.FILTER_APPLIED),
        favourites=model.current_favourites(events)[:RECENT],
        comparisons=of(InteractionType.COMPARED),
        ratings=of(InteractionType.PRODUCT_RATED),
        preferences=model.derive_preferences(events, products, attributes),
        products=products,
        attributes=attributes,
    )  # fmt: skip
