"""Inventory rules, free of persistence: stock figures, movement kinds and reasons, hold
durations per channel, pickup times from opening hours, distances, and transfer receipts."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any


class LocationKind(enum.StrEnum):
    WAREHOUSE = "WAREHOUSE"
    STORE = "STORE"
    PICKUP_POINT = "PICKUP_POINT"


class MovementKind(enum.StrEnum):
    RECEIVE = "RECEIVE"  # supplier delivery (or a bulk import of new stock)
    ADJUST = "ADJUST"  # shrinkage, found, damage write-off
    COUNT = "COUNT"  # cycle count: the difference between counted and system on_hand
    STATE = "STATE"  # between sellable, damaged and quality control
    SAFETY_STOCK = "SAFETY_STOCK"
    RESERVE = "RESERVE"  # cart hold
    RELEASE = "RELEASE"  # hold or commitment given back (cancelled, expired)
    COMMIT = "COMMIT"  # allocated to an order or a transfer
    SHIP = "SHIP"  # committed stock leaves (shipment, pickup handed over)
    SALE = "SALE"  # POS carry-out: a physical fact
    RETURN = "RETURN"  # customer return received (restock, damaged or quality control)
    TRANSFER_OUT = "TRANSFER_OUT"  # shipped from the source
    TRANSFER_IN = "TRANSFER_IN"  # incoming at / received by the destination


class AdjustReason(enum.StrEnum):
    SHRINKAGE = "SHRINKAGE"  # lost or stolen: on_hand goes down
    FOUND = "FOUND"  # turned up: on_hand goes up
    DAMAGE = "DAMAGE"  # broken beyond sale, written off: on_hand goes down


ADJUST_SIGN = {AdjustReason.SHRINKAGE: -1, AdjustReason.FOUND: 1, AdjustReason.DAMAGE: -1}


class StockState(enum.StrEnum):
    """Where a physical unit sits: sellable (counted in on_hand), damaged, quality control."""

    SELLABLE = "SELLABLE"
    DAMAGED = "DAMAGED"
    QUALITY_CONTROL = "QUALITY_CONTROL"


STATE_COLUMN = {
    StockState.SELLABLE: "on_hand",
    StockState.DAMAGED: "damaged",
    StockState.QUALITY_CONTROL: "quality_control",
}


class HoldStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"  # counts in `reserved`
    COMMITTED = "COMMITTED"  # counts in `committed`
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    FULFILLED = "FULFILLED"  # shipped, picked up or sold


class TransferStatus(enum.StrEnum):
    CREATED = "CREATED"  # stock committed at the source
    SHIPPED = "SHIPPED"  # left the source; incoming at the destination
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    RECEIVED = "RECEIVED"  # closed; any shortfall is recorded as a discrepancy
    CANCELLED = "CANCELLED"


class HoldChannel(enum.StrEnum):
    WEB = "WEB"
    APP = "APP"
    POS = "POS"
    CLICK_AND_COLLECT = "CLICK_AND_COLLECT"
    STAFF = "STAFF"


#: Web/app cart holds: long enough to pay, short enough not to starve a store.
CART_HOLD = timedelta(minutes=30)
#: A POS basket is held while the cashier scans, then committed at tender.
POS_HOLD = timedelta(minutes=15)
#: Click-and-collect without an explicit deadline: the usual pickup window.
DEFAULT_PICKUP_WINDOW = timedelta(days=3)


BUCKETS = (
    "on_hand",
    "committed",
    "reserved",
    "safety_stock",
    "damaged",
    "quality_control",
    "incoming",
)


@dataclass(frozen=True)
class Figures:
    """The buckets of one (variant, location) level."""

    on_hand: int = 0
    committed: int = 0
    reserved: int = 0
    safety_stock: int = 0
    damaged: int = 0
    quality_control: int = 0
    incoming: int = 0

    @property
    def available(self) -> int:
        return available(self.on_hand, self.committed, self.reserved, self.safety_stock)

    @property
    def unpromised(self) -> int:
        """Physical sellable units no hold or order has claimed (safety stock included)."""
        return self.on_hand - self.committed - self.reserved

    def plus(self, delta: Figures) -> Figures:
        return Figures(**{b: getattr(self, b) + getattr(delta, b) for b in BUCKETS})

    def as_dict(self) -> dict[str, int]:
        return {b: getattr(self, b) for b in BUCKETS}

    @classmethod
    def of(cls, row: Any) -> Figures:
        return cls(**{b: int(getattr(row, b)) for b in BUCKETS})


def available(on_hand: int, committed: int, reserved: int, safety_stock: int) -> int:
    """What can still be promised. Negative when the shelf is over-promised; never shown so."""
    return on_hand - committed - reserved - safety_stock


def sellable_quantity(figures: Figures) -> int:
    """What a shopper may be offered: available, floored at zero."""
    return max(figures.available, 0)


def needs_recount(figures: Figures) -> bool:
    """A level whose promises exceed its shelf (a POS sale took the last units, a count came
    short) is flagged until someone counts it."""
    return figures.on_hand < 0 or figures.on_hand < figures.committed + figures.reserved


def hold_expiry(
    channel: HoldChannel,
    *,
    now: datetime,
    pickup_deadline: datetime | None = None,
) -> datetime | None:
    """When a hold made now lapses. ``None``: it does not lapse (committed at once).

    Web/app carts get a TTL; POS baskets a short hold until tender commits them;
    click-and-collect holds at the pickup store until the pickup deadline.
    """
    if channel in (HoldChannel.WEB, HoldChannel.APP):
        return now + CART_HOLD
    if channel is HoldChannel.POS:
        return now + POS_HOLD
    if channel is HoldChannel.CLICK_AND_COLLECT:
        if pickup_deadline is not None:
            if pickup_deadline <= now:
                raise ValueError("the pickup deadline has passed")
            return pickup_deadline
        return now + DEFAULT_PICKUP_WINDOW
    return now + CART_HOLD


def is_expired(expires_at: datetime | None, *, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


# -- distance -------------------------------------------------------------------------------

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Place:
    location_id: int
    latitude: float | None
    longitude: float | None
    available: int = 0


def rank_locations(
    places: Iterable[Place],
    *,
    own: frozenset[int] = frozenset(),
    origin: tuple[float, float] | None,
    radius_km: float | None = None,
) -> list[tuple[int, float | None]]:
    """(location id, distance) with the caller's own locations first, then nearest first;
    locations without coordinates last. Outside ``radius_km`` drops out (own ones stay).

    Without an origin there is nothing to measure from: the radius cannot apply (every place
    stays) and the most available come first, so an admin's stock check still answers."""
    ranked: list[tuple[tuple[int, float, int], int, float | None]] = []
    for p in places:
        dist = None
        if origin is not None and p.latitude is not None and p.longitude is not None:
            dist = round(distance_km(origin[0], origin[1], p.latitude, p.longitude), 3)
        mine = p.location_id in own
        if origin is None:
            key = (0 if mine else 1, float(-p.available), p.location_id)
        else:
            if not mine and radius_km is not None and (dist is None or dist > radius_km):
                continue
            key = (0 if mine else 1, dist if dist is not None else math.inf, p.location_id)
        ranked.append((key, p.location_id, dist))
    ranked.sort(key=lambda r: r[0])
    return [(loc, dist) for _, loc, dist in ranked]


# -- opening hours and pickup ----------------------------------------------------------------

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def parse_opening_hours(hours: Mapping[str, str]) -> dict[int, tuple[time, time]]:
    """``{"mon-fri": "10:00-22:00", "sat": "11:00-20:00"}`` -> {weekday: (open, close)}.
    A day not named is closed. Malformed entries raise ValueError."""
    out: dict[int, tuple[time, time]] = {}
    for days, span in hours.items():
        first, _, last = days.strip().lower().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day range {days!r}; use e.g. mon-fri or sat")
        start, end = DAYS.index(first), DAYS.index(last or first)
        m = _SPAN.match(span.strip())
        if m is None:
            raise ValueError(f"hours {span!r}: use HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        opens, closes = time(h1, m1), time(h2, m2) if h2 < 24 else time(23, 59)
        if closes <= opens:
            raise ValueError(f"hours {span!r}: closing must be after opening")
        day = start
        while True:
            out[day] = (opens, closes)
            if day == end:
                break
            day = (day + 1) % 7
    return out


def pickup_ready_at(
    *,
    ready_from: datetime,
    lead_minutes: int,
    opening_hours: Mapping[str, str],
    tz: tzinfo = UTC,
) -> datetime | None:
    """Earliest time a customer can collect: ``lead_minutes`` of store work inside opening
    hours, starting at ``ready_from``; then the store must be open. ``None`` if never open.
    No hours on file means always open."""
    if not opening_hours:
        return ready_from + timedelta(minutes=lead_minutes)
    days = parse_opening_hours(opening_hours)
    if not days:
        return None
    t = ready_from.astimezone(tz)
    remaining = timedelta(minutes=lead_minutes)
    for _ in range(15):  # two weeks of days is plenty for any lead time we allow
        span = days.get(t.weekday())
        if span is not None:
            opens = t.replace(hour=span[0].hour, minute=span[0].minute, second=0, microsecond=0)
            closes = t.replace(hour=span[1].hour, minute=span[1].minute, second=0, microsecond=0)
            start = max(t, opens)
            if start < closes:
                if start + remaining <= closes:
                    return (start + remaining).astimezone(UTC)
                remaining -= closes - start
        t = (t + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return None


# -- transfers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferLine:
    variant_id: int
    quantity: int  # shipped (planned before shipping)
    received: int = 0
    discrepancy: int = 0


def plan_receipt(
    lines: Sequence[TransferLine], receipt: Mapping[int, int], *, complete: bool
) -> tuple[list[TransferLine], dict[int, int], dict[int, int]]:
    """Apply a receipt (variant id -> units counted in) to a shipped transfer.

    Returns the new lines, what is received now per variant, and the shortfall written off per
    variant when ``complete`` closes the transfer. Raises ValueError (variant id, message) for
    units of a variant not on the transfer or more than was shipped.
    """
    by_variant = {line.variant_id: line for line in lines}
    for variant_id, qty in receipt.items():
        line = by_variant.get(variant_id)
        if line is None:
            raise ReceiptError(variant_id, "is not on this transfer")
        if qty <= 0:
            raise ReceiptError(variant_id, "needs a positive quantity")
        if line.received + qty > line.quantity:
            raise ReceiptError(
                variant_id,
                f"was shipped {line.quantity}, {line.received} already received; "
                f"{qty} more is too many",
            )
    new_lines, shortfall = [], {}
    for line in lines:
        got = receipt.get(line.variant_id, 0)
        updated = replace(line, received=line.received + got)
        if complete and updated.received < updated.quantity:
            short = updated.quantity - updated.received
            shortfall[line.variant_id] = short
            updated = replace(updated, discrepancy=short)
        new_lines.append(updated)
    return new_lines, dict(receipt), shortfall


def transfer_status_after_receipt(
    lines: Sequence[TransferLine], *, complete: bool
) -> TransferStatus:
    if complete or all(line.received >= line.quantity for line in lines):
        return TransferStatus.RECEIVED
    return TransferStatus.PARTIALLY_RECEIVED


class ReceiptError(ValueError):
    def __init__(self, variant_id: int, message: str) -> None:
        super().__init__(message)
        self.variant_id = variant_id
        self.message = message
