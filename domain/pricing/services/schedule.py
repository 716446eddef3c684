"""The scheduler tick: announce scheduled price and promotion starts and ends once each."""

from __future__ import annotations

from datetime import datetime

from domain.pricing import queries
from domain.pricing.events import PricingChanged
from domain.pricing.repository import PricingRepository
from domain.pricing.services.common import promotion_event
from domain.pricing.services.prices import price_event
from domain.shared.clock import utcnow
from domain.shared.uow import UnitOfWork


async def announce_due(uow: UnitOfWork, *, now: datetime | None = None) -> list[PricingChanged]:
    """Emit events for every start or end that has passed and was not announced yet (run it
    every few seconds: ``omnicommerce pricing-tick``). Concurrent ticks announce each once."""
    now = now or utcnow()
    events: list[PricingChanged] = []
    async with uow:
        for due in await PricingRepository(uow.session).announce_due(now):
            if due.kind.startswith("PRICE_"):
                events.append(price_event(due.kind, [due.row], actor="scheduler", at=now))
            else:
                p = queries.to_promotion(due.row)
                variants = await queries.variant_ids_for_target(uow.session, p.target)
                events.append(promotion_event(due.kind, p, variants, actor="scheduler", at=now))
        uow.record(*events)
        await uow.commit()
    return events
