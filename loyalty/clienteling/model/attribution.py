"""Consultant attribution: which consultation an order is credited to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ConsultationFact:
    id: int
    customer_id: int
    location_id: int
    staff_user_id: int
    accepted_at: datetime


@dataclass(frozen=True)
class OrderFact:
    id: int
    customer_id: int
    channel: str
    placed_at: datetime
    currency: str
    total: int


@dataclass(frozen=True)
class Attribution:
    order: OrderFact
    consultation: ConsultationFact


def attribute_orders(
    consultations: Sequence[ConsultationFact], orders: Sequence[OrderFact], *, days: int
) -> list[Attribution]:
    """Each order goes to the latest consultation of the same customer that was accepted no
    more than ``days`` before it was placed (last touch); orders before any consultation, or
    after the window, are nobody's."""
    window = timedelta(days=days)
    by_customer: dict[int, list[ConsultationFact]] = {}
    for c in sorted(consultations, key=lambda c: (c.accepted_at, c.id)):
        by_customer.setdefault(c.customer_id, []).append(c)
    out = []
    for o in orders:
        best = None
        for c in by_customer.get(o.customer_id, []):
            if c.accepted_at <= o.placed_at <= c.accepted_at + window:
                best = c
        if best is not None:
            out.append(Attribution(o, best))
    return sorted(out, key=lambda a: (a.order.placed_at, a.order.id))
