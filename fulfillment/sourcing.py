"""Sourcing (routing): which location fulfils which units of an order. Pure rules, no database.

A versioned, data-driven ``Profile`` decides:

1. PICKUP lines come from the pickup store when it has the units. When it lacks them (and the
   profile allows transfers) the rest comes from other locations, ranked by the profile's
   criteria (distance measured to the pickup store), and travels to the store: the allocation
   has ``transfer=True`` and a ``ready_at`` = transfer lead time + the store's pickup lead inside
   its opening hours.
2. SHIP lines: one location that can ship every ship line whole is preferred (one parcel);
   otherwise locations are taken greedily (most units covered first, then the ranking) up to
   ``max_splits`` locations. Ranking criteria, in the profile's order: ``DISTANCE`` to the
   delivery address, ``STOCK_DEPTH`` (more available units first), ``PRIORITY`` (the location's
   priority number, lower first). The location id breaks any remaining tie, so a decision is
   deterministic.
3. What cannot be served becomes a ``Shortfall`` with alternatives (other pickup stores, delivery).

Every allocation carries its reasons ("why this location"); ``Decision.to_json`` is what the
order stores in ``orders.sourcing``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.shared.errors import ValidationFailed
from fulfillment.model import FulfillmentMethod
from inventory.model import distance_km, parse_opening_hours, pickup_ready_at

CRITERIA = ("DISTANCE", "STOCK_DEPTH", "PRIORITY")


# -- profile ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """The rules of one sourcing profile version (``sourcing_profiles.rules``)."""

    version: int = 0
    name: str = "built-in default"
    #: ranking order for ship locations and transfer sources
    criteria: tuple[str, ...] = CRITERIA
    #: ship lines: prefer one location that can ship everything
    prefer_single_location: bool = True
    #: ship lines of one order come from at most this many locations (1 = never split)
    max_splits: int = 2
    #: PICKUP lines may be served by a transfer from another location
    allow_transfers: bool = True
    #: truck time between two locations, before the pickup store's own lead time
    transfer_lead_minutes: int = 1440
    #: a location ships after this much work inside its opening hours
    ship_lead_minutes: int = 240
    #: ship-from locations farther than this from the address are not used (None: no limit)
    max_distance_km: float | None = None
    #: uncollected pickups are released this many days after they are ready
    pickup_window_days: int = 3

    @classmethod
    def from_rules(cls, rules: Mapping[str, Any], *, version: int = 0, name: str = "") -> Profile:
        """Validate a rules document (GraphQL input, stored JSON). Unknown keys are refused so
        a typo cannot silently change routing."""
        known = {
            "criteria",
            "prefer_single_location",
            "max_splits",
            "allow_transfers",
            "transfer_lead_minutes",
            "ship_lead_minutes",
            "max_distance_km",
            "pickup_window_days",
        }
        unknown = sorted(set(rules) - known)
        if unknown:
            raise ValidationFailed(
                f"Unknown sourcing rule(s) {', '.join(unknown)}; use {', '.join(sorted(known))}.",
                field="rules",
            )
        criteria = tuple(str(c).upper() for c in rules.get("criteria", CRITERIA))
        bad = [c for c in criteria if c not in CRITERIA]
        if bad or len(set(criteria)) != len(criteria):
            raise ValidationFailed(
                f"Criteria must be distinct values of {', '.join(CRITERIA)}; got {list(criteria)}.",
                field="criteria",
            )
        profile = cls(
            version=version,
            name=name or cls.name,
            criteria=criteria,
            prefer_single_location=bool(rules.get("prefer_single_location", True)),
            max_splits=_int(rules, "max_splits", 2, low=1, high=50),
            allow_transfers=bool(rules.get("allow_transfers", True)),
            transfer_lead_minutes=_int(
                rules, "transfer_lead_minutes", 1440, low=0, high=60 * 24 * 60
            ),
            ship_lead_minutes=_int(rules, "ship_lead_minutes", 240, low=0, high=60 * 24 * 30),
            max_distance_km=_float_or_none(rules.get("max_distance_km")),
            pickup_window_days=_int(rules, "pickup_window_days", 3, low=1, high=60),
        )
        return profile

    def rules(self) -> dict[str, Any]:
        return {
            "criteria": list(self.criteria),
            "prefer_single_location": self.prefer_single_location,
            "max_splits": self.max_splits,
            "allow_transfers": self.allow_transfers,
            "transfer_lead_minutes": self.transfer_lead_minutes,
            "ship_lead_minutes": self.ship_lead_minutes,
            "max_distance_km": self.max_distance_km,
            "pickup_window_days": self.pickup_window_days,
        }


def _int(rules: Mapping[str, Any], key: str, default: int, *, low: int, high: int) -> int:
    value = rules.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{key} must be a whole number from {low} to {high}.", field=key)
    return value


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValidationFailed(
            "max_distance_km must be a positive number or null.", field="max_distance_km"
        )
    return float(value)


DEFAULT_PROFILE = Profile()


# -- request and decision --------------------------------------------------------------------


@dataclass(frozen=True)
class RouteLine:
    key: int  # caller's key (cart line id / line index)
    variant_id: int
    quantity: int
    method: FulfillmentMethod  # SHIP or PICKUP (CARRY_OUT is never routed)
    pickup_location_id: int | None = None


@dataclass(frozen=True)
class RouteRequest:
    lines: tuple[RouteLine, ...]
    ship_to: tuple[float, float] | None = None  # lat, lon of the delivery address
    exclude_location_ids: frozenset[int] = frozenset()  # e.g. a store that rejected
    now: datetime | None = None


@dataclass(frozen=True)
class Allocation:
    key: int
    variant_id: int
    quantity: int
    location_id: int  # where stock is committed
    method: FulfillmentMethod
    pickup_location_id: int | None
    transfer: bool  # PICKUP served from another location (goods go to the pickup store)
    ready_at: datetime | None  # pickup ready time / estimated dispatch
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Alternative:
    location_id: int
    method: FulfillmentMethod
    available: int
    ready_at: datetime | None


@dataclass(frozen=True)
class Shortfall:
    key: int
    variant_id: int
    wanted: int
    available: int  # what could be allocated for the line
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class Decision:
    profile_version: int
    allocations: tuple[Allocation, ...]  # a line may be split over several allocations
    shortfalls: tuple[Shortfall, ...]
    decided_at: datetime | None = None

    @property
    def complete(self) -> bool:
        return not self.shortfalls

    def for_key(self, key: int) -> list[Allocation]:
        return [a for a in self.allocations if a.key == key]

    def to_json(self) -> dict[str, Any]:
        return {
            "profileVersion": self.profile_version,
            "decidedAt": _iso(self.decided_at),
            "allocations": [
                {
                    "key": a.key,
                    "variantId": a.variant_id,
                    "quantity": a.quantity,
                    "locationId": a.location_id,
                    "method": str(a.method),
                    "pickupLocationId": a.pickup_location_id,
                    "transfer": a.transfer,
                    "readyAt": _iso(a.ready_at),
                    "reasons": list(a.reasons),
                }
                for a in self.allocations
            ],
            "shortfalls": [
                {
                    "key": s.key,
                    "variantId": s.variant_id,
                    "wanted": s.wanted,
                    "available": s.available,
                    "alternatives": [
                        {
                            "locationId": alt.location_id,
                            "method": str(alt.method),
                            "available": alt.available,
                            "readyAt": _iso(alt.ready_at),
                        }
                        for alt in s.alternatives
                    ],
                }
                for s in self.shortfalls
            ],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- sites -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """What sourcing needs to know about an active location."""

    location_id: int
    code: str
    name: str
    latitude: float | None = None
    longitude: float | None = None
    ships: bool = False
    offers_pickup: bool = False
    priority: int = 100
    pickup_lead_minutes: int = 120
    opening_hours: Mapping[str, str] = field(default_factory=dict)
    timezone: str = "UTC"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"

    def coords(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    def after_work(self, start: datetime, minutes: int) -> datetime | None:
        """``minutes`` of work inside opening hours from ``start`` (None: never open)."""
        return pickup_ready_at(
            ready_from=start,
            lead_minutes=minutes,
            opening_hours=dict(self.opening_hours),
            tz=ZoneInfo(self.timezone or "UTC"),
        )


def _distance(site: Site, origin: tuple[float, float] | None) -> float | None:
    coords = site.coords()
    if origin is None or coords is None:
        return None
    return round(distance_km(origin[0], origin[1], coords[0], coords[1]), 3)


Stock = dict[tuple[int, int], int]  # (variant id, location id) -> available units


# -- planning --------------------------------------------------------------------------------


def decide(
    request: RouteRequest,
    *,
    sites: Iterable[Site],
    available: Mapping[tuple[int, int], int],
    profile: Profile = DEFAULT_PROFILE,
    now: datetime | None = None,
) -> Decision:
    """Route ``request`` over ``sites`` (active locations) with ``available`` units per
    (variant, location). Pure: the same inputs give the same decision."""
    now = now or request.now or datetime.now(UTC)
    everywhere = {s.location_id: s for s in sites}
    # An excluded location is never a source; an excluded pickup store still receives its
    # customer's goods by transfer (it rejected the picking, not the customer).
    by_id = {k: s for k, s in everywhere.items() if k not in request.exclude_location_ids}
    stock: Stock = {k: max(v, 0) for k, v in available.items() if k[1] in by_id}
    allocations: list[Allocation] = []
    served: dict[int, int] = {}
    for line in request.lines:
        if line.quantity <= 0:
            raise ValidationFailed("Each line needs a quantity of at least 1.", field="quantity")
        if line.method is FulfillmentMethod.CARRY_OUT:
            raise ValidationFailed(
                "Carry-out lines are sold at the till, not routed.", field="method"
            )
        if line.method is FulfillmentMethod.PICKUP and line.pickup_location_id is None:
            raise ValidationFailed(
                "A pickup line needs the store where the customer collects.",
                field="pickupLocationId",
            )
    pickups = [ln for ln in request.lines if ln.method is FulfillmentMethod.PICKUP]
    ships = [ln for ln in request.lines if ln.method is FulfillmentMethod.SHIP]
    for line in pickups:
        got = _route_pickup(line, everywhere, by_id, stock, profile, now)
        allocations.extend(got)
        served[line.key] = served.get(line.key, 0) + sum(a.quantity for a in got)
    got = _route_ship(ships, request.ship_to, by_id, stock, profile, now)
    allocations.extend(got)
    for a in got:
        served[a.key] = served.get(a.key, 0) + a.quantity
    shortfalls = tuple(
        Shortfall(
            key=line.key,
            variant_id=line.variant_id,
            wanted=line.quantity,
            available=served.get(line.key, 0),
            alternatives=_alternatives(line, by_id, available, request.ship_to, profile, now),
        )
        for line in request.lines
        if served.get(line.key, 0) < line.quantity
    )
    return Decision(profile.version, tuple(allocations), shortfalls, now)


def _take(stock: Stock, variant_id: int, location_id: int, quantity: int) -> int:
    have = stock.get((variant_id, location_id), 0)
    got = min(have, quantity)
    if got > 0:
        stock[(variant_id, location_id)] = have - got
    return got


def _rank_key(
    site: Site, *, depth: int, distance: float | None, profile: Profile
) -> tuple[float, ...]:
    parts: list[float] = []
    for criterion in profile.criteria:
        if criterion == "DISTANCE":
            parts.append(distance if distance is not None else math.inf)
        elif criterion == "STOCK_DEPTH":
            parts.append(-depth)
        elif criterion == "PRIORITY":
            parts.append(site.priority)
    parts.append(site.location_id)
    return tuple(parts)


def _why(site: Site, *, depth: int, distance: float | None, profile: Profile) -> list[str]:
    out = []
    for criterion in profile.criteria:
        if criterion == "DISTANCE" and distance is not None:
            out.append(f"distance {distance:g} km")
        elif criterion == "STOCK_DEPTH":
            out.append(f"stock depth {depth} available")
        elif criterion == "PRIORITY":
            out.append(f"location priority {site.priority}")
    return out


def _route_pickup(
    line: RouteLine,
    everywhere: Mapping[int, Site],
    sites: Mapping[int, Site],
    stock: Stock,
    profile: Profile,
    now: datetime,
) -> list[Allocation]:
    assert line.pickup_location_id is not None
    store = everywhere.get(line.pickup_location_id)
    if store is None or not store.offers_pickup:
        return []  # excluded, inactive or no pickup desk: a shortfall with alternatives
    out: list[Allocation] = []
    need = line.quantity
    have = stock.get((line.variant_id, store.location_id), 0)
    got = _take(stock, line.variant_id, store.location_id, need)
    if store.location_id not in sites:
        lacks = f"pickup store {store.label} cannot serve this line itself (excluded)"
    else:
        lacks = f"pickup store {store.label} has {have} of {line.quantity}"
    if got:
        out.append(
            Allocation(
                key=line.key,
                variant_id=line.variant_id,
                quantity=got,
                location_id=store.location_id,
                method=FulfillmentMethod.PICKUP,
                pickup_location_id=store.location_id,
                transfer=False,
                ready_at=store.after_work(now, store.pickup_lead_minutes),
                reasons=(f"pickup store {store.label} has {have} available",),
            )
        )
        need -= got
    if need == 0 or not profile.allow_transfers:
        return out
    origin = store.coords()
    candidates = [
        s
        for s in sites.values()
        if s.location_id != store.location_id and stock.get((line.variant_id, s.location_id), 0) > 0
    ]

    def key(s: Site) -> tuple[float, ...]:
        depth = stock.get((line.variant_id, s.location_id), 0)
        # a source that can send every missing unit at once comes first: one truck
        rank = _rank_key(s, depth=depth, distance=_distance(s, origin), profile=profile)
        return (0 if depth >= need else 1, *rank)

    for source in sorted(candidates, key=key):
        if need == 0 or len({a.location_id for a in out}) >= profile.max_splits:
            break
        depth = stock.get((line.variant_id, source.location_id), 0)
        dist = _distance(source, origin)
        got = _take(stock, line.variant_id, source.location_id, need)
        arrives = now + timedelta(minutes=profile.transfer_lead_minutes)
        out.append(
            Allocation(
                key=line.key,
                variant_id=line.variant_id,
                quantity=got,
                location_id=source.location_id,
                method=FulfillmentMethod.PICKUP,
                pickup_location_id=store.location_id,
                transfer=True,
                ready_at=store.after_work(arrives, store.pickup_lead_minutes),
                reasons=(
                    lacks,
                    f"transfer from {source.label} to the pickup store",
                    *_why(source, depth=depth, distance=dist, profile=profile),
                ),
            )
        )
        need -= got
    return out


def _ship_sites(
    sites: Mapping[int, Site], ship_to: tuple[float, float] | None, profile: Profile
) -> list[Site]:
    out = []
    for s in sites.values():
        if not s.ships:
            continue
        if profile.max_distance_km is not None and ship_to is not None:
            d = _distance(s, ship_to)
            if d is not None and d > profile.max_distance_km:
                continue
        out.append(s)
    return out


def _route_ship(
    lines: Sequence[RouteLine],
    ship_to: tuple[float, float] | None,
    sites: Mapping[int, Site],
    stock: Stock,
    profile: Profile,
    now: datetime,
) -> list[Allocation]:
    if not lines:
        return []
    candidates = _ship_sites(sites, ship_to, profile)
    need = {ln.key: ln.quantity for ln in lines}

    def depth(s: Site) -> int:
        return sum(min(stock.get((ln.variant_id, s.location_id), 0), need[ln.key]) for ln in lines)

    def whole(s: Site) -> bool:
        demand: dict[int, int] = {}
        for ln in lines:
            demand[ln.variant_id] = demand.get(ln.variant_id, 0) + need[ln.key]
        return all(stock.get((v, s.location_id), 0) >= q for v, q in demand.items())

    def key(s: Site) -> tuple[float, ...]:
        stock_depth = sum(stock.get((ln.variant_id, s.location_id), 0) for ln in lines)
        return _rank_key(s, depth=stock_depth, distance=_distance(s, ship_to), profile=profile)

    out: list[Allocation] = []
    used: list[int] = []
    total = sum(need.values())
    while sum(need.values()) > 0 and len(used) < profile.max_splits:
        pool = [s for s in candidates if s.location_id not in used and depth(s) > 0]
        if not pool:
            break
        single = [s for s in pool if whole(s)] if profile.prefer_single_location else []
        if single:
            chosen = min(single, key=key)
            first = (
                f"single location: {chosen.label} can ship every remaining unit"
                if used
                else f"single location: {chosen.label} can ship the whole order"
            )
        else:
            # cover the most units first, so the order is split as little as possible
            chosen = min(pool, key=lambda s: (-depth(s), *key(s)))
            first = f"{chosen.label} ships {depth(chosen)} of {sum(need.values())} remaining units"
        stock_depth = sum(stock.get((ln.variant_id, chosen.location_id), 0) for ln in lines)
        why = (
            first,
            *_why(
                chosen,
                depth=stock_depth,
                distance=_distance(chosen, ship_to),
                profile=profile,
            ),
            f"ranked first of {len(pool)} shipping location(s)",
        )
        used.append(chosen.location_id)
        ready = chosen.after_work(now, profile.ship_lead_minutes)
        for ln in lines:
            got = _take(stock, ln.variant_id, chosen.location_id, need[ln.key])
            if got:
                need[ln.key] -= got
                out.append(
                    Allocation(
                        key=ln.key,
                        variant_id=ln.variant_id,
                        quantity=got,
                        location_id=chosen.location_id,
                        method=FulfillmentMethod.SHIP,
                        pickup_location_id=None,
                        transfer=False,
                        ready_at=ready,
                        reasons=why,
                    )
                )
    if used and sum(need.values()) > 0 and len(used) >= profile.max_splits:
        left = sum(need.values())
        note = (
            f"at most {profile.max_splits} shipping location(s) per order; "
            f"{left} of {total} units left"
        )
        out = [replace(a, reasons=(*a.reasons, note)) for a in out]
    return out


def _alternatives(
    line: RouteLine,
    sites: Mapping[int, Site],
    available: Mapping[tuple[int, int], int],
    ship_to: tuple[float, float] | None,
    profile: Profile,
    now: datetime,
) -> tuple[Alternative, ...]:
    """Where else the customer could get the line: other pickup stores with stock (nearest to
    the chosen store or address first), and delivery if shipping locations have it."""
    origin = ship_to
    if line.pickup_location_id is not None and line.pickup_location_id in sites:
        origin = sites[line.pickup_location_id].coords() or ship_to
    stores = []
    for s in sites.values():
        have = max(available.get((line.variant_id, s.location_id), 0), 0)
        if not s.offers_pickup or have <= 0:
            continue
        if line.method is FulfillmentMethod.PICKUP and s.location_id == line.pickup_location_id:
            continue
        dist = _distance(s, origin)
        stores.append(((dist if dist is not None else math.inf, s.location_id), s, have))
    stores.sort(key=lambda t: t[0])
    out = [
        Alternative(
            s.location_id, FulfillmentMethod.PICKUP, have, s.after_work(now, s.pickup_lead_minutes)
        )
        for _, s, have in stores[:5]
    ]
    if line.method is FulfillmentMethod.PICKUP:
        ship_sites = _ship_sites(sites, ship_to, profile)
        shippable = [
            (s, max(available.get((line.variant_id, s.location_id), 0), 0)) for s in ship_sites
        ]
        shippable = [(s, q) for s, q in shippable if q > 0]
        if shippable:
            best = min(
                shippable, key=lambda t: (-t[1], _distance(t[0], ship_to) or 0, t[0].location_id)
            )
            out.append(
                Alternative(
                    best[0].location_id,
                    FulfillmentMethod.SHIP,
                    sum(q for _, q in shippable),
                    best[0].after_work(now, profile.ship_lead_minutes),
                )
            )
    return tuple(out)


# -- pickup deadline -------------------------------------------------------------------------


def pickup_deadline(
    *, ready: datetime, days: int, opening_hours: Mapping[str, str], timezone: str = "UTC"
) -> datetime:
    """When uncollected goods are released: at least ``days`` after they were ready, at the
    store's closing time that day (the next open day's if it is closed). A store without
    hours on file: exactly ``days`` later."""
    target = ready + timedelta(days=days)
    if not opening_hours:
        return target
    hours = parse_opening_hours(opening_hours)
    if not hours:
        return target
    tz = ZoneInfo(timezone or "UTC")
    local = target.astimezone(tz)
    for offset in range(8):
        day = local + timedelta(days=offset)
        span = hours.get(day.weekday())
        if span is None:
            continue
        closes = day.replace(hour=span[1].hour, minute=span[1].minute, second=0, microsecond=0)
        if closes >= local:
            return closes.astimezone(UTC)
    return target
