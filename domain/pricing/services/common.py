"""Helpers shared by the pricing services: the clock, the loyalty boundary, event scoping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Channel
from domain.pricing import model, queries
from domain.pricing.events import PricingChanged

TierLookup = Callable[[AsyncSession, int, datetime], Awaitable[tuple[str, int] | None]]


async def loyalty_tier(
    session: AsyncSession, customer_id: int, at: datetime
) -> tuple[str, int] | None:
    """(tier code, discount percent) from the loyalty context's public service."""
    try:
        from loyalty.services import customer_tier
    except ImportError:  # a build without the loyalty context: no tier discount
        return None
    status = await customer_tier(session, customer_id, now=at)
    return status.tier.code, status.tier.discount_percent


#: The boundary to loyalty; tests and other deployments may replace it.
tier_lookup: TierLookup = loyalty_tier


async def tier_discount_for(
    session: AsyncSession, customer_id: int, *, at: datetime
) -> tuple[str | None, int]:
    """The customer's tier and its personalised discount in basis points (0 when none)."""
    found = await tier_lookup(session, customer_id, at)
    if found is None:
        return None, 0
    code, percent = found
    return code, percent * 100


async def customer_profile(
    session: AsyncSession, customer_id: int | None, *, at: datetime
) -> model.Customer:
    if customer_id is None:
        return model.Customer()
    tier, discount_bp = await tier_discount_for(session, customer_id, at=at)
    return model.Customer(
        id=customer_id,
        tier=tier,
        tier_discount_bp=discount_bp,
        segments=await queries.segments_of(session, customer_id),
    )


def serves_stores(channels: frozenset[Channel] | list[str]) -> bool:
    return not channels or Channel.POS in {Channel(c) for c in channels}


def promotion_event(
    kind: str,
    p: model.Promotion,
    variant_ids: list[int],
    *,
    actor: str,
    at: datetime,
    also: PricingChanged | None = None,
) -> PricingChanged:
    """Shelf labels change only for catalogue promotions anyone can get in a store."""
    shelf = (
        p.is_catalogue and serves_stores(p.channels) and not p.voucher_only and not p.personalised
    )
    all_stores = shelf and not p.location_ids
    locations = sorted(p.location_ids) if shelf else []
    variants = variant_ids
    if also is not None:  # an update: the stores and items of the old definition change too
        shelf = shelf or also.shelf
        all_stores = all_stores or also.all_stores
        locations = sorted(set(locations) | set(also.location_ids))
        variants = sorted(set(variants) | set(also.variant_ids))
    return PricingChanged(
        kind=kind,
        subject=f"promotion:{p.id}",
        variant_ids=variants,
        shelf=shelf,
        all_stores=all_stores,
        location_ids=[] if all_stores else locations,
        actor=actor,
        effective_at=at.isoformat(),
    )
