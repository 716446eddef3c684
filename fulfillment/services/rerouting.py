"""When a location cannot fulfil (reject) and when a pickup is not collected (deadline).

Reject (OPEN or IN_PROGRESS): the units still needed are routed again with the rejecting
location - and every location that already rejected this order - excluded as a source, and
committed at the new location(s) in the same transaction; new fulfillment orders are created
and the rejected one points at the first of them (``replaced_by_id``). Units nobody has are
cancelled through the cancel service so the customer is refunded. The rejected
location's commitment is released, so its stock figures show the units as available again.

Pickup deadline: a READY_FOR_PICKUP order past its deadline is cancelled the same way:
its units are released at the store (available again) and the customer refunded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from domain.access.model import Principal, PrincipalKind, Role
from domain.shared.errors import ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.model import FulfillmentStatus
from fulfillment.services import routing
from fulfillment.services.fulfillment_orders import (
    FulfillmentItem,
    create_fulfillment_orders,
    lines_of,
    only_fulfillment_order,
    order_owner,
    refresh_order_status,
)
from fulfillment.services.fulfillment_work import (
    MayAct,
    _move,
    _open_lines,
    check_scope,
    lock_fo,
    require,
)
from fulfillment.sourcing import Allocation, RouteLine, RouteRequest
from fulfillment.tables import FulfillmentOrderRow, OrderRow
from inventory.errors import InsufficientStock
from inventory.model import HoldChannel
from inventory.services import holds

PLAN_ATTEMPTS = 3


@dataclass(frozen=True)
class _Acting(Principal):
    """Whoever triggers a cancellation here (the staff member who rejected, the sweeper),
    with back-office reach so the cancel service accepts it, and their own audit name."""

    name: str = "system"

    @property
    def actor(self) -> str:
        return self.name


async def cancel_units(
    uow: UnitOfWork,
    *,
    order_id: int,
    quantities: Mapping[int, int],
    fulfillment_order_id: int,
    actor: str,
    reason: str,
) -> dict[int, int]:
    """Cancel these units of one fulfillment order through the cancel service, so the
    customer is refunded (their share of the tenders, points, store credit) and the order
    status follows. The cancel service knows nothing of fulfillment orders: the units are
    taken from this one only (``only_fulfillment_order``)."""
    from fulfillment.services.cancel import cancel_order

    acting = _Acting(kind=PrincipalKind.STAFF, role=Role.ADMIN, name=actor)
    with only_fulfillment_order(fulfillment_order_id):
        done = await cancel_order(
            uow, acting, order_id=order_id, quantities=dict(quantities), reason=reason
        )
    return dict(done.quantities)


@dataclass(frozen=True)
class Rejected:
    new_fulfillment_order_ids: tuple[int, ...]
    cancelled: dict[int, int]  # order line id -> units nobody could take (cancelled)


def _ship_to(order: OrderRow) -> tuple[float, float] | None:
    address = order.ship_address or {}
    lat, lon = address.get("latitude"), address.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return (float(lat), float(lon))
    return None


async def reject(
    uow: UnitOfWork,
    *,
    fulfillment_order_id: int,
    reason: str,
    actor: str,
    may_act: MayAct = None,
    now: datetime | None = None,
) -> Rejected:
    now = now or datetime.now(UTC)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the store cannot fulfil it (e.g. 'damaged', 'not found on the shelf').",
            field="reason",
        )
    async with uow:
        session = uow.session
        fo = await lock_fo(uow, fulfillment_order_id)
        check_scope(fo.location_id, may_act)
        require(fo, {FulfillmentStatus.OPEN, FulfillmentStatus.IN_PROGRESS}, "rejected")
        order = await session.get(OrderRow, fo.order_id)
        assert order is not None
        lines = _open_lines(await lines_of(session, [fo.id], lock=True))
        earlier = await session.scalars(
            select(FulfillmentOrderRow.location_id).where(
                FulfillmentOrderRow.order_id == fo.order_id,
                FulfillmentOrderRow.status == FulfillmentStatus.REJECTED,
            )
        )
        exclude = frozenset({fo.location_id, *earlier})
        need = {ln.id: ln.quantity - ln.cancelled_quantity for ln in lines}
        by_id = {ln.id: ln for ln in lines}
        taken: list[tuple[int, Allocation, int]] = []  # (fo line id, allocation, hold id)
        profile_version = None
        decisions: list[dict[str, Any]] = []
        # All levels of the items, in the global order, before the first write (new commitments,
        # cancellations, releases below): no deadlock with checkouts or other reroutes.
        await holds.lock_stock(uow, variant_ids=[ln.variant_id for ln in lines])
        for _ in range(PLAN_ATTEMPTS):
            wanted = [
                RouteLine(
                    key=ln_id,
                    variant_id=by_id[ln_id].variant_id,
                    quantity=q,
                    method=fo.method,
                    pickup_location_id=fo.pickup_location_id,
                )
                for ln_id, q in need.items()
                if q > 0
            ]
            if not wanted:
                break
            decision = await routing.plan(
                session,
                RouteRequest(
                    lines=tuple(wanted),
                    ship_to=_ship_to(order),
                    exclude_location_ids=exclude,
                    now=now,
                ),
            )
            profile_version = decision.profile_version
            decisions.append(decision.to_json())
            lost = False
            for alloc in sorted(
                decision.allocations, key=lambda a: (a.variant_id, a.location_id, a.key)
            ):
                try:
                    hold = await holds.commit_direct(
                        uow,
                        variant_id=alloc.variant_id,
                        location_id=alloc.location_id,
                        quantity=alloc.quantity,
                        owner_ref=order_owner(order.number),
                        channel=HoldChannel.STAFF,
                        actor=actor,
                    )
                except InsufficientStock:
                    lost = True
                    continue
                taken.append((alloc.key, alloc, hold.hold_id))
                need[alloc.key] -= alloc.quantity
            if not lost:
                break
        # Units nobody has: cancelled (and refunded) while this order still holds them.
        unplaced: dict[int, int] = {}
        for ln_id, q in need.items():
            if q > 0:
                ol = by_id[ln_id].order_line_id
                unplaced[ol] = unplaced.get(ol, 0) + q
        cancelled: dict[int, int] = {}
        if unplaced:
            cancelled = await cancel_units(
                uow,
                order_id=order.id,
                quantities=unplaced,
                fulfillment_order_id=fo.id,
                actor=actor,
                reason="REJECTED",
            )
        # The rest moves: give back the commitment here, open work at the new location(s).
        for ln in lines:
            if ln.hold_id is not None:
                await holds.release(uow, hold_ids=[ln.hold_id], actor=actor, reason="REJECTED")
                ln.hold_id = None
        new_ids = await create_fulfillment_orders(
            uow,
            order_id=order.id,
            items=[
                FulfillmentItem(by_id[ln_id].order_line_id, alloc, hold_id)
                for ln_id, alloc, hold_id in taken
            ],
            actor=actor,
            now=now,
            profile_version=profile_version,
        )
        # the order keeps its routing history: why the work moved and where
        reroute = {
            "rejectedFulfillmentOrderId": fo.id,
            "locationId": fo.location_id,
            "reason": reason,
            "at": now.isoformat(),
            "newFulfillmentOrderIds": new_ids,
            "decisions": decisions,
        }
        order.sourcing = {
            **(order.sourcing or {}),
            "reroutes": [*(order.sourcing or {}).get("reroutes", []), reroute],
        }
        fo.reject_reason = reason
        fo.replaced_by_id = new_ids[0] if new_ids else None
        fo.completed_at = now
        fo.pickup_code = None
        await _move(uow, fo, FulfillmentStatus.REJECTED, now)
        await session.flush()
        await refresh_order_status(uow, order.id)
        await uow.commit()
    return Rejected(tuple(new_ids), cancelled)


async def expire_pickup(
    uow: UnitOfWork, *, fulfillment_order_id: int, now: datetime, actor: str = "system"
) -> bool:
    """Release one uncollected pickup past its deadline; False if it is no longer due."""
    async with uow:
        fo = await lock_fo(uow, fulfillment_order_id)
        if (
            fo.status is not FulfillmentStatus.READY_FOR_PICKUP
            or fo.pickup_deadline is None
            or fo.pickup_deadline > now
        ):
            return False
        lines = _open_lines(await lines_of(uow.session, [fo.id], lock=True))
        quantities: dict[int, int] = {}
        for ln in lines:
            quantities[ln.order_line_id] = (
                quantities.get(ln.order_line_id, 0) + ln.quantity - ln.cancelled_quantity
            )
        await cancel_units(
            uow,
            order_id=fo.order_id,
            quantities=quantities,
            fulfillment_order_id=fo.id,
            actor=actor,
            reason="PICKUP_EXPIRED",
        )
        await uow.commit()
    return True


async def sweep_pickup_deadlines(
    new_uow: Callable[[], UnitOfWork], *, now: datetime | None = None, limit: int = 500
) -> int:
    """Release every uncollected pickup past its deadline, one short transaction each;
    returns how many were released. ``new_uow`` returns a fresh unit of work."""
    now = now or datetime.now(UTC)
    uow = new_uow()
    async with uow:
        due = list(
            await uow.session.scalars(
                select(FulfillmentOrderRow.id)
                .where(
                    FulfillmentOrderRow.status == FulfillmentStatus.READY_FOR_PICKUP,
                    FulfillmentOrderRow.pickup_deadline <= now,
                )
                .order_by(FulfillmentOrderRow.pickup_deadline, FulfillmentOrderRow.id)
                .limit(limit)
            )
        )
    released = 0
    for fo_id in due:
        if await expire_pickup(new_uow(), fulfillment_order_id=fo_id, now=now):
            released += 1
    return released
