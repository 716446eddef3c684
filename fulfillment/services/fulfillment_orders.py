"""Fulfillment orders: the part of an order one location fulfils with one method.

Created at checkout from the routing decision (``create_fulfillment_orders``); worked by the
store (``fulfillment.services.fulfillment_work``: start, ready, ship, deliver, pick up, reject);
cancelled in part or whole by ``release_order_lines`` (order cancel, pickup deadline).

Which units can be cancelled (``release_order_lines``): those of fulfillment orders that are
OPEN, IN_PROGRESS or READY_FOR_PICKUP - the goods are still in the building, so the committed
stock is given back there. Units SHIPPED (a parcel, or a transfer on its way to the pickup
store), PICKED_UP or DELIVERED are with the carrier or the customer: that is a return, not a
cancellation (``NOT_CANCELLABLE``).

Stock: every non-carry-out fulfillment-order line points at the COMMITTED inventory hold behind
its units (owner ``order:<number>``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.errors import Conflict, NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.events import FulfillmentOrderChanged, OrderUpdated
from fulfillment.model import FulfillmentMethod, FulfillmentStatus, OrderStatus
from fulfillment.sourcing import Allocation
from fulfillment.tables import FulfillmentOrderLineRow, FulfillmentOrderRow, OrderLineRow, OrderRow
from inventory.model import HoldChannel
from inventory.services import holds

#: the goods are still at the location: their commitment can be released
CANCELLABLE = frozenset(
    {FulfillmentStatus.OPEN, FulfillmentStatus.IN_PROGRESS, FulfillmentStatus.READY_FOR_PICKUP}
)
#: nothing more will happen to these
CLOSED = frozenset(
    {
        FulfillmentStatus.PICKED_UP,
        FulfillmentStatus.DELIVERED,
        FulfillmentStatus.CANCELLED,
        FulfillmentStatus.REJECTED,
    }
)
HANDED_OVER = frozenset({FulfillmentStatus.PICKED_UP, FulfillmentStatus.DELIVERED})


class NotCancellable(Conflict):
    code = "NOT_CANCELLABLE"


class InvalidTransition(Conflict):
    code = "INVALID_TRANSITION"


class PickupCodeInvalid(ValidationFailed):
    code = "PICKUP_CODE_INVALID"


class FulfillmentOrderNotFound(NotFound):
    code = "NOT_FOUND"


#: Set by ``only_fulfillment_order``: release_order_lines called further down (e.g. through
#: the cancel service, whose signature knows nothing of fulfillment orders) then cancels units
#: of that fulfillment order only - an expired pickup, the unplaceable part of a rejection.
_ONLY_FO: contextvars.ContextVar[int | None] = contextvars.ContextVar("only_fo", default=None)


@contextlib.contextmanager
def only_fulfillment_order(fulfillment_order_id: int) -> Iterator[None]:
    token = _ONLY_FO.set(fulfillment_order_id)
    try:
        yield
    finally:
        _ONLY_FO.reset(token)


def order_owner(number: str) -> str:
    """Inventory hold owner of an order's commitments (shared with checkout)."""
    return f"order:{number}"


@dataclass(frozen=True)
class FulfillmentItem:
    order_line_id: int
    allocation: Allocation  # for CARRY_OUT: location = selling store, method CARRY_OUT
    hold_id: int | None  # the COMMITTED inventory hold behind these units (None: CARRY_OUT)


# -- events ----------------------------------------------------------------------------------


def fo_event(
    fo: FulfillmentOrderRow, previous: FulfillmentStatus | None
) -> FulfillmentOrderChanged:
    return FulfillmentOrderChanged(
        fulfillment_order_id=fo.id,
        order_id=fo.order_id,
        location_id=fo.location_id,
        method=str(fo.method),
        status=str(fo.status),
        previous_status=str(previous) if previous is not None else None,
        pickup_location_id=fo.pickup_location_id,
    )


def order_event(order: OrderRow, change: str) -> OrderUpdated:
    return OrderUpdated(
        order_id=order.id,
        number=order.number,
        status=str(order.status),
        change=change,
        channel=order.channel,
        customer_id=order.customer_id,
        location_id=order.location_id,
        total=order.total,
        currency=order.currency,
    )


# -- creation --------------------------------------------------------------------------------


def _allocation_json(a: Allocation) -> dict[str, Any]:
    return {
        "key": a.key,
        "variantId": a.variant_id,
        "quantity": a.quantity,
        "transfer": a.transfer,
        "readyAt": a.ready_at.isoformat() if a.ready_at else None,
        "reasons": list(a.reasons),
    }


async def create_fulfillment_orders(
    uow: UnitOfWork,
    *,
    order_id: int,
    items: Sequence[FulfillmentItem],
    actor: str,
    now: datetime | None = None,
    profile_version: int | None = None,
) -> list[int]:
    """One fulfillment order per (location, method, pickup store) with one line per item.
    CARRY_OUT groups are handed over already (PICKED_UP) and their order lines fulfilled.
    Returns the new fulfillment order ids in creation order."""
    now = now or datetime.now(UTC)
    if not items:
        return []
    groups: dict[tuple[int, FulfillmentMethod, int | None], list[FulfillmentItem]] = {}
    for item in items:
        a = item.allocation
        if a.quantity <= 0:
            raise ValidationFailed("A fulfillment line needs a positive quantity.", field="lines")
        if a.method is not FulfillmentMethod.CARRY_OUT and item.hold_id is None:
            raise ValidationFailed(
                "A shipped or collected line needs its committed stock hold.", field="lines"
            )
        groups.setdefault((a.location_id, a.method, a.pickup_location_id), []).append(item)
    ids: list[int] = []
    async with uow:
        session = uow.session
        for (location_id, method, pickup_id), group in groups.items():
            carry_out = method is FulfillmentMethod.CARRY_OUT
            ready = [g.allocation.ready_at for g in group if g.allocation.ready_at is not None]
            fo = FulfillmentOrderRow(
                order_id=order_id,
                location_id=location_id,
                method=method,
                status=FulfillmentStatus.PICKED_UP if carry_out else FulfillmentStatus.OPEN,
                pickup_location_id=pickup_id,
                ready_at=max(ready) if ready else None,
                sourcing={
                    "profileVersion": profile_version,
                    "allocations": [_allocation_json(g.allocation) for g in group],
                },
                completed_at=now if carry_out else None,
                version=1,
            )
            session.add(fo)
            await session.flush()
            for g in group:
                session.add(
                    FulfillmentOrderLineRow(
                        fulfillment_order_id=fo.id,
                        order_line_id=g.order_line_id,
                        variant_id=g.allocation.variant_id,
                        quantity=g.allocation.quantity,
                        cancelled_quantity=0,
                        hold_id=g.hold_id,
                    )
                )
            if carry_out:
                await _add_fulfilled(
                    session, {g.order_line_id: g.allocation.quantity for g in group}
                )
            ids.append(fo.id)
            uow.record(fo_event(fo, None))
        await session.flush()
        await uow.commit()
    return ids


async def _add_fulfilled(session: AsyncSession, quantities: Mapping[int, int]) -> None:
    if not quantities:
        return
    rows = await session.scalars(
        select(OrderLineRow)
        .where(OrderLineRow.id.in_(list(quantities)))
        .order_by(OrderLineRow.id)
        .with_for_update()
    )
    for row in rows:
        row.fulfilled_quantity += quantities[row.id]


# -- locking helpers -------------------------------------------------------------------------


async def lock_order(session: AsyncSession, order_id: int) -> OrderRow:
    order = await session.scalar(select(OrderRow).where(OrderRow.id == order_id).with_for_update())
    if order is None:
        raise NotFound(f"No order {order_id}.", field="orderId")
    return order


async def lock_fulfillment_orders(
    session: AsyncSession, *, order_id: int
) -> list[FulfillmentOrderRow]:
    return list(
        await session.scalars(
            select(FulfillmentOrderRow)
            .where(FulfillmentOrderRow.order_id == order_id)
            .order_by(FulfillmentOrderRow.id)
            .with_for_update()
        )
    )


async def lines_of(
    session: AsyncSession, fo_ids: Sequence[int], *, lock: bool = False
) -> list[FulfillmentOrderLineRow]:
    if not fo_ids:
        return []
    stmt = (
        select(FulfillmentOrderLineRow)
        .where(FulfillmentOrderLineRow.fulfillment_order_id.in_(list(fo_ids)))
        .order_by(FulfillmentOrderLineRow.id)
    )
    if lock:
        stmt = stmt.with_for_update()
    return list(await session.scalars(stmt))


# -- cancellation ----------------------------------------------------------------------------


_STAGE = {
    FulfillmentStatus.OPEN: 0,
    FulfillmentStatus.IN_PROGRESS: 1,
    FulfillmentStatus.READY_FOR_PICKUP: 2,
}


async def cancel_fo_line_units(
    uow: UnitOfWork,
    *,
    order: OrderRow,
    fo: FulfillmentOrderRow,
    line: FulfillmentOrderLineRow,
    quantity: int,
    actor: str,
    reason: str,
) -> None:
    """Give back ``quantity`` committed units of one fulfillment-order line: the hold is
    released whole and the remainder committed again under the order (same transaction)."""
    open_units = line.quantity - line.cancelled_quantity
    assert 0 < quantity <= open_units
    if line.hold_id is not None:
        await holds.release(uow, hold_ids=[line.hold_id], actor=actor, reason=reason)
        remainder = open_units - quantity
        line.hold_id = None
        if remainder > 0:
            kept = await holds.commit_direct(
                uow,
                variant_id=line.variant_id,
                location_id=stock_location(fo),
                quantity=remainder,
                owner_ref=order_owner(order.number),
                channel=HoldChannel.STAFF,
                actor=actor,
            )
            line.hold_id = kept.hold_id
    line.cancelled_quantity += quantity


def stock_location(fo: FulfillmentOrderRow) -> int:
    """Where the units are committed: the fulfillment order's location, or the pickup store
    once a transferred pickup has arrived there (READY_FOR_PICKUP)."""
    if fo.status is FulfillmentStatus.READY_FOR_PICKUP and fo.pickup_location_id is not None:
        return fo.pickup_location_id
    return fo.location_id


async def release_order_lines(
    uow: UnitOfWork,
    *,
    order_id: int,
    quantities: Mapping[int, int] | None,
    actor: str,
    reason: str,
    fulfillment_order_id: int | None = None,
) -> dict[int, int]:
    """Cancel not-yet-handed-over units: ``quantities`` order_line_id -> units (None: every
    cancellable unit). Releases their committed stock, raises ``cancelled_quantity`` on the
    fulfillment-order lines and the order lines, and closes fulfillment orders with nothing
    left (CANCELLED). Raises NotCancellable (field ``lines``), writing nothing, when a line
    has fewer cancellable units than asked. ``fulfillment_order_id`` limits the cancellation
    to that fulfillment order (an expired pickup). The caller refreshes the order status
    (``refresh_order_status``) and refunds. Returns order_line_id -> units cancelled."""
    if fulfillment_order_id is None:
        fulfillment_order_id = _ONLY_FO.get()
    async with uow:
        session = uow.session
        order = await lock_order(session, order_id)
        fos = {fo.id: fo for fo in await lock_fulfillment_orders(session, order_id=order_id)}
        fo_lines = await lines_of(session, list(fos), lock=True)
        order_lines = {
            r.id: r
            for r in await session.scalars(
                select(OrderLineRow)
                .where(OrderLineRow.order_id == order_id)
                .order_by(OrderLineRow.id)
                .with_for_update()
            )
        }
        cancellable: dict[int, list[FulfillmentOrderLineRow]] = {}
        for fl in fo_lines:
            fo = fos[fl.fulfillment_order_id]
            if fulfillment_order_id is not None and fo.id != fulfillment_order_id:
                continue
            if fo.status in CANCELLABLE and fl.quantity > fl.cancelled_quantity:
                cancellable.setdefault(fl.order_line_id, []).append(fl)
        for lst in cancellable.values():
            # least advanced work first: an untouched order before one already picked
            lst.sort(key=lambda fl: (_STAGE[fos[fl.fulfillment_order_id].status], -fl.id))
        if quantities is None:
            wanted = {
                ol: sum(fl.quantity - fl.cancelled_quantity for fl in lst)
                for ol, lst in cancellable.items()
            }
        else:
            wanted = dict(quantities)
            problems = []
            for ol_id, qty in sorted(wanted.items()):
                line = order_lines.get(ol_id)
                if line is None:
                    raise NotFound(f"Order line {ol_id} is not on this order.", field="lines")
                if qty <= 0:
                    raise ValidationFailed(
                        f"Cancel at least 1 unit of line {line.line_no} ({line.sku}).",
                        field="lines",
                    )
                can = sum(fl.quantity - fl.cancelled_quantity for fl in cancellable.get(ol_id, []))
                if qty > can:
                    problems.append(
                        f"line {line.line_no} ({line.sku}): {can} of {line.quantity} unit(s) can "
                        f"still be cancelled, {qty} asked; the rest is shipped, handed over or "
                        "already cancelled - return it instead"
                    )
            if problems:
                raise NotCancellable("; ".join(problems) + ".", field="lines")
        done: dict[int, int] = {}
        # The levels of every item cancelled, in the global order, before the first release:
        # two cancels (or a cancel and a checkout) of the same items never deadlock.
        await holds.lock_stock(
            uow,
            variant_ids=[fl.variant_id for ol in wanted for fl in cancellable.get(ol, [])],
        )
        for ol_id in sorted(wanted):
            left = wanted[ol_id]
            for fl in cancellable.get(ol_id, []):
                if left == 0:
                    break
                take = min(left, fl.quantity - fl.cancelled_quantity)
                await cancel_fo_line_units(
                    uow,
                    order=order,
                    fo=fos[fl.fulfillment_order_id],
                    line=fl,
                    quantity=take,
                    actor=actor,
                    reason=reason,
                )
                left -= take
                done[ol_id] = done.get(ol_id, 0) + take
        for ol_id, qty in done.items():
            order_lines[ol_id].cancelled_quantity += qty
        touched = {fl.fulfillment_order_id for fl in fo_lines if fl.order_line_id in done}
        for fo_id in sorted(touched):
            fo = fos[fo_id]
            if all(
                fl.cancelled_quantity >= fl.quantity
                for fl in fo_lines
                if fl.fulfillment_order_id == fo_id
            ):
                previous = fo.status
                fo.status = FulfillmentStatus.CANCELLED
                fo.pickup_code = None
                fo.version += 1
                fo.updated_at = datetime.now(UTC)
                uow.record(fo_event(fo, previous))
        await session.flush()
        await uow.commit()
    return done


async def refresh_order_status(uow: UnitOfWork, order_id: int) -> None:
    """PLACED -> COMPLETED (every unit handed over or cancelled, some handed over, and no
    fulfillment order still open - a shipped parcel completes on delivery) or CANCELLED
    (every unit cancelled). Records OrderUpdated when the status changes."""
    async with uow:
        session = uow.session
        order = await lock_order(session, order_id)
        if order.status is not OrderStatus.PLACED:
            return
        lines = list(
            await session.scalars(select(OrderLineRow).where(OrderLineRow.order_id == order_id))
        )
        if not lines or any(
            ln.cancelled_quantity + ln.fulfilled_quantity < ln.quantity for ln in lines
        ):
            return
        open_work = await session.scalar(
            select(FulfillmentOrderRow.id)
            .where(
                FulfillmentOrderRow.order_id == order_id,
                FulfillmentOrderRow.status.not_in(list(CLOSED)),
            )
            .limit(1)
        )
        if open_work is not None:
            return  # a parcel still on its way
        if all(ln.cancelled_quantity == ln.quantity for ln in lines):
            order.status = OrderStatus.CANCELLED
        else:
            order.status = OrderStatus.COMPLETED
        order.version += 1
        order.updated_at = datetime.now(UTC)
        uow.record(order_event(order, str(order.status)))
        await session.flush()
        await uow.commit()
