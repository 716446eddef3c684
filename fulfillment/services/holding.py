"""Stock for carts and orders: sourcing (``routing.plan``) decides where, inventory's
conditional UPDATEs (``reserve`` / ``commit_hold`` / ``commit_direct`` / ``record_sale``) take
the units. Everything here runs inside the caller's unit of work.

A plan is a read; between the plan and the UPDATE another checkout may take the units. The
UPDATE then finds too little (no oversell, DESIGN invariant 1) and we plan again for what is
still missing, a few times, before reporting a shortfall.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.shared.errors import DomainError, MultipleErrors
from domain.shared.uow import UnitOfWork
from fulfillment.model import FulfillmentMethod
from inventory.errors import HoldExpired, HoldNotFound, InsufficientStock
from inventory.model import HoldChannel, hold_expiry
from inventory.services import holds as inv

if TYPE_CHECKING:
    from fulfillment.sourcing import Allocation, Decision, Shortfall

PLAN_ATTEMPTS = 4


def hold_channel(channel: str) -> HoldChannel:
    try:
        return HoldChannel(channel)
    except ValueError:
        return HoldChannel.STAFF


@dataclass(frozen=True)
class Want:
    """Units a line still needs (key: cart line id or order line index)."""

    key: int
    variant_id: int
    quantity: int
    method: FulfillmentMethod
    pickup_location_id: int | None = None


class StockShortfall(DomainError):
    """Some lines cannot be served; ``shortfalls`` carries what is available and alternatives."""

    code = "INSUFFICIENT_STOCK"

    def __init__(self, message: str, *, shortfalls: Sequence[Shortfall], field: str = "lines"):
        super().__init__(message, field=field)
        self.shortfalls = tuple(shortfalls)


async def lock_stock(uow: UnitOfWork, variant_ids: Iterable[int]) -> None:
    """Before any stock write of a unit of work that may touch several levels: lock every
    level of these variants in the global (variant, location) order (inventory ``lock_stock``).
    Planning under these locks also sees exactly what the writes will find."""
    await inv.lock_stock(uow, variant_ids=sorted(set(variant_ids)))


def held_units(holds: Iterable[dict[str, Any]], variant_id: int) -> dict[tuple[int, int], int]:
    """A line's own holds as units per (variant, location), for ``plan(own=...)``."""
    out: dict[tuple[int, int], int] = {}
    for h in holds:
        key = (variant_id, int(h["locationId"]))
        out[key] = out.get(key, 0) + int(h["quantity"])
    return out


async def plan(
    uow: UnitOfWork,
    wants: Sequence[Want],
    *,
    ship_to: tuple[float, float] | None,
    now: datetime,
    own: Mapping[tuple[int, int], int] | None = None,
) -> Decision:
    from fulfillment.services.routing import plan as route
    from fulfillment.sourcing import RouteLine, RouteRequest

    request = RouteRequest(
        lines=tuple(
            RouteLine(w.key, w.variant_id, w.quantity, w.method, w.pickup_location_id)
            for w in wants
        ),
        ship_to=ship_to,
        now=now,
    )
    return await route(uow.session, request, own=own)


def hold_json(
    alloc: Allocation, hold_id: int, expires_at: datetime | None, version: int
) -> dict[str, Any]:
    return {
        "holdId": hold_id,
        "locationId": alloc.location_id,
        "quantity": alloc.quantity,
        "transfer": alloc.transfer,
        "readyAt": alloc.ready_at.isoformat() if alloc.ready_at else None,
        "expiresAt": expires_at.isoformat() if expires_at else None,
        "reasons": list(alloc.reasons),
        "profileVersion": version,
    }


async def _take(
    uow: UnitOfWork,
    wants: Sequence[Want],
    *,
    ship_to: tuple[float, float] | None,
    now: datetime,
    owner_ref: Any,
    commit: bool,
    channel: str,
    actor: str,
) -> tuple[dict[int, list[tuple[Allocation, int]]], list[Shortfall], list[dict[str, Any]]]:
    """Reserve (``commit=False``) or commit the wanted units, re-planning after lost races.
    Returns per key the (allocation, hold id) taken, the lines that could not be served whole,
    and the decisions made (for ``orders.sourcing``)."""
    remaining = {w.key: w for w in wants}
    taken: dict[int, list[tuple[Allocation, int]]] = {}
    decisions: list[dict[str, Any]] = []
    shortfalls: list[Shortfall] = []
    expires_at = None if commit else hold_expiry(hold_channel(channel), now=now)
    for _ in range(PLAN_ATTEMPTS):
        if not remaining:
            break
        decision = await plan(uow, list(remaining.values()), ship_to=ship_to, now=now)
        decisions.append(decision.to_json())
        shortfalls = list(decision.shortfalls)
        short_keys = {s.key for s in shortfalls}
        lost_race = False
        # Fixed (variant, location) order: two carts never wait on each other's rows in a cycle.
        for alloc in sorted(
            (a for a in decision.allocations if a.key not in short_keys),
            key=lambda a: (a.variant_id, a.location_id, a.key),
        ):
            want = remaining[alloc.key]
            try:
                if commit:
                    hold = await inv.commit_direct(
                        uow,
                        variant_id=alloc.variant_id,
                        location_id=alloc.location_id,
                        quantity=alloc.quantity,
                        owner_ref=owner_ref(alloc.key),
                        channel=channel,
                        actor=actor,
                    )
                else:
                    hold = await inv.reserve(
                        uow,
                        variant_id=alloc.variant_id,
                        location_id=alloc.location_id,
                        quantity=alloc.quantity,
                        owner_ref=owner_ref(alloc.key),
                        expires_at=expires_at,
                        channel=channel,
                        actor=actor,
                    )
            except InsufficientStock:
                lost_race = True
                continue
            taken.setdefault(alloc.key, []).append((alloc, hold.hold_id))
            left = want.quantity - alloc.quantity
            if left > 0:
                remaining[alloc.key] = Want(
                    want.key, want.variant_id, left, want.method, want.pickup_location_id
                )
            else:
                del remaining[alloc.key]
        if shortfalls and not lost_race:
            break
    if remaining and not shortfalls:
        # Still short after the last attempt: ask once more what is there, for the message.
        decision = await plan(uow, list(remaining.values()), ship_to=ship_to, now=now)
        shortfalls = list(decision.shortfalls)
    return taken, [s for s in shortfalls if s.key in remaining], decisions


async def hold_units(
    uow: UnitOfWork,
    wants: Sequence[Want],
    *,
    ship_to: tuple[float, float] | None,
    now: datetime,
    channel: str,
    actor: str,
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, Shortfall]]:
    """Cart holds (TTL per channel). A line is held whole or not at all: a partly held line
    gives its partial holds back so that it does not sit on units it cannot use."""
    await lock_stock(uow, (w.variant_id for w in wants))
    expires_at = hold_expiry(hold_channel(channel), now=now)
    taken, shortfalls, decisions = await _take(
        uow,
        wants,
        ship_to=ship_to,
        now=now,
        owner_ref=lambda key: f"cart-line:{key}",
        commit=False,
        channel=channel,
        actor=actor,
    )
    short = {s.key: s for s in shortfalls}
    out: dict[int, list[dict[str, Any]]] = {}
    for key, parts in taken.items():
        if key in short:
            await inv.release(uow, hold_ids=[h for _, h in parts], actor=actor, reason="CART")
            continue
        version = int(decisions[-1].get("profileVersion") or 0) if decisions else 0
        out[key] = [hold_json(a, h, expires_at, version) for a, h in parts]
    return out, short


async def release_holds(uow: UnitOfWork, holds: Sequence[dict[str, Any]], *, actor: str) -> None:
    ids = [int(h["holdId"]) for h in holds]
    if ids:
        await inv.release(uow, hold_ids=ids, actor=actor, reason="CART")


@dataclass
class Committed:
    """Per key: the allocations and the COMMITTED hold behind each."""

    parts: dict[int, list[tuple[Allocation, int]]] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)


async def commit_units(
    uow: UnitOfWork,
    wants: Sequence[Want],
    held: dict[int, Sequence[dict[str, Any]]],
    *,
    ship_to: tuple[float, float] | None,
    now: datetime,
    order_ref: str,
    channel: str,
    actor: str,
) -> Committed:
    """Order commitments: a line's cart holds become commitments when they still cover it;
    any other line is sourced afresh and committed directly. Raises StockShortfall (nothing
    is kept: the caller's transaction rolls back) when a line cannot be served whole."""
    from fulfillment.sourcing import Allocation

    out = Committed()
    fresh: list[Want] = []
    # Every level of every variant, locked in the global order before the first write: the
    # commits, releases of stale holds and fresh commitments below take no new level locks.
    await lock_stock(uow, (w.variant_id for w in wants))
    for want in sorted(wants, key=lambda w: (w.variant_id, w.key)):
        holds = list(held.get(want.key, ()))
        if holds and sum(int(h["quantity"]) for h in holds) == want.quantity:
            try:
                await inv.commit_hold(uow, hold_ids=[int(h["holdId"]) for h in holds], actor=actor)
            except (HoldExpired, HoldNotFound):
                fresh.append(want)
                continue
            out.parts[want.key] = [
                (
                    Allocation(
                        key=want.key,
                        variant_id=want.variant_id,
                        quantity=int(h["quantity"]),
                        location_id=int(h["locationId"]),
                        method=want.method,
                        pickup_location_id=want.pickup_location_id,
                        transfer=bool(h.get("transfer")),
                        ready_at=datetime.fromisoformat(h["readyAt"]) if h.get("readyAt") else None,
                        reasons=tuple(h.get("reasons") or ()),
                    ),
                    int(h["holdId"]),
                )
                for h in holds
            ]
            out.decisions.append({"key": want.key, "fromCartHolds": holds})
        else:
            if holds:  # the line changed since it was held: give the stale holds back
                await release_holds(uow, holds, actor=actor)
            fresh.append(want)
    if fresh:
        taken, shortfalls, decisions = await _take(
            uow,
            fresh,
            ship_to=ship_to,
            now=now,
            owner_ref=lambda key: order_ref,
            commit=True,
            channel=channel,
            actor=actor,
        )
        out.decisions.extend(decisions)
        if shortfalls:
            raise StockShortfall(
                "Not enough stock for some lines; see the shortfalls for what is available "
                "and where else it can be had.",
                shortfalls=shortfalls,
            )
        out.parts.update(taken)
    return out


def errors_of(exc: BaseException) -> list[DomainError]:
    if isinstance(exc, MultipleErrors):
        return list(exc.errors)
    return [exc] if isinstance(exc, DomainError) else []
