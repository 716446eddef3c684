"""Routing: load what sourcing needs (the active profile, active locations, availability per
variant and location) and let the pure rules in ``fulfillment.sourcing`` decide. Read-only:
the caller commits the allocations with inventory's conditional UPDATE and re-plans if one
lost a race."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment import sourcing
from fulfillment.services import profiles
from fulfillment.sourcing import Decision, RouteRequest, Site
from inventory import queries as inventory


def site_of(row: object) -> Site:
    r: object = row
    return Site(
        location_id=r.id,  # type: ignore[attr-defined]
        code=r.code,  # type: ignore[attr-defined]
        name=r.name,  # type: ignore[attr-defined]
        latitude=r.latitude,  # type: ignore[attr-defined]
        longitude=r.longitude,  # type: ignore[attr-defined]
        ships=r.ships,  # type: ignore[attr-defined]
        offers_pickup=r.offers_pickup,  # type: ignore[attr-defined]
        priority=r.priority,  # type: ignore[attr-defined]
        pickup_lead_minutes=r.pickup_lead_minutes,  # type: ignore[attr-defined]
        opening_hours=dict(r.opening_hours or {}),  # type: ignore[attr-defined]
        timezone=r.timezone or "UTC",  # type: ignore[attr-defined]
    )


async def plan(
    session: AsyncSession,
    request: RouteRequest,
    *,
    profile: sourcing.Profile | None = None,
    own: Mapping[tuple[int, int], int] | None = None,
) -> Decision:
    """The routing decision for ``request`` under the active profile (or ``profile``).
    ``own``: units per (variant, location) the caller already holds for these lines; they
    count as available to it (re-planning a cart must not see its own holds as taken)."""
    now = request.now or datetime.now(UTC)
    if profile is None:
        profile = await profiles.active_profile(session)
    sites = [site_of(row) for row in await inventory.active_locations(session)]
    available = await inventory.available_by_location(
        session, (line.variant_id for line in request.lines), now=now
    )
    for key, units in (own or {}).items():
        available[key] = available.get(key, 0) + units
    return sourcing.decide(request, sites=sites, available=available, profile=profile, now=now)
