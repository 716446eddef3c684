"""Consultant attribution, computed at report time: an order the customer placed in any
channel within N days after a consultation is credited to the consultant (last touch).

Computed from the orders (fulfillment.queries.orders_of_customers) rather than stamped on
them, so a longer or shorter window is just another report, and orders placed by any
checkout (web, app, POS) count without that code knowing about consultants.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Principal
from domain.shared.errors import ValidationFailed
from fulfillment.model import OrderStatus
from fulfillment.queries import orders_of_customers
from loyalty.clienteling import model, queries
from loyalty.clienteling.services.console import check_store

MAX_DAYS = 90
MAX_ORDERS = 10_000


@dataclass(frozen=True)
class StaffAttribution:
    staff_user_id: int
    consultations: int
    orders: int
    revenue: dict[str, int]  # currency -> total in minor units
    attributions: list[model.Attribution]


@dataclass(frozen=True)
class AttributionReport:
    location_id: int
    since: datetime
    until: datetime
    window_days: int
    staff: list[StaffAttribution]


async def attribution_report(
    session: AsyncSession,
    *,
    location_id: int,
    since: datetime,
    until: datetime,
    window_days: int = model.ATTRIBUTION_DAYS,
    principal: Principal,
) -> AttributionReport:
    """Per consultant of the store: consultations accepted in [since, until), and the orders
    (not cancelled) their customers placed within ``window_days`` after each."""
    check_store(principal, location_id)
    if until <= since:
        raise ValidationFailed("`to` must be after `from`.", field="to")
    if not 1 <= window_days <= MAX_DAYS:
        raise ValidationFailed(f"windowDays is 1-{MAX_DAYS}.", field="windowDays")
    rows = await queries.consultations_accepted(
        session, location_id=location_id, since=since, until=until
    )
    facts = [
        model.ConsultationFact(r.id, r.customer_id, r.location_id, r.staff_user_id, r.accepted_at)
        for r in rows
        if r.staff_user_id is not None and r.accepted_at is not None
    ]
    customer_ids = sorted({f.customer_id for f in facts})
    orders = await orders_of_customers(
        session,
        customer_ids,
        since=since,
        until=until + timedelta(days=window_days),
        limit=MAX_ORDERS,
    )
    order_facts = [
        model.OrderFact(o.id, o.customer_id, o.channel, o.placed_at, o.currency, o.total)
        for o in orders
        if o.customer_id is not None and o.status is not OrderStatus.CANCELLED
    ]
    attributions = model.attribute_orders(facts, order_facts, days=window_days)
    by_staff: dict[int, list[model.Attribution]] = defaultdict(list)
    for a in attributions:
        by_staff[a.consultation.staff_user_id].append(a)
    consultations: dict[int, int] = defaultdict(int)
    for f in facts:
        consultations[f.staff_user_id] += 1
    staff = []
    for staff_id in sorted(consultations):
        mine = by_staff.get(staff_id, [])
        revenue: dict[str, int] = defaultdict(int)
        for a in mine:
            revenue[a.order.currency] += a.order.total
        staff.append(
            StaffAttribution(staff_id, consultations[staff_id], len(mine), dict(revenue), mine)
        )
    return AttributionReport(location_id, since, until, window_days, staff)
