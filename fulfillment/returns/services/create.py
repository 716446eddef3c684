"""Starting a return (app or any store) and cancelling one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Principal
from domain.shared.clock import utcnow
from domain.shared.errors import DomainError, MultipleErrors, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.model import RefundReason
from fulfillment.returns.errors import ReturnQuantityExceeded, ReturnState
from fulfillment.returns.model import ReturnReason, ReturnStatus, ReturnWindow, check_window
from fulfillment.returns.services.common import (
    check_access,
    customer_may_use,
    lock_order,
    lock_order_lines,
    lock_return,
    plan,
    record_changed,
    settle,
)
from fulfillment.returns.services.policy import window_days
from fulfillment.returns.tables import ReturnLineRow, ReturnRow
from fulfillment.services.fulfillment_orders import (
    HANDED_OVER,
    refresh_order_status,
    release_order_lines,
)
from fulfillment.tables import FulfillmentOrderRow, OrderLineRow, OrderRow


@dataclass(frozen=True)
class ReturnLineRequest:
    order_line_id: int
    quantity: int
    reason: ReturnReason
    note: str | None = None


async def pending_quantities(session: AsyncSession, order_id: int) -> dict[int, int]:
    """Units per order line on returns started but not yet received."""
    rows = await session.execute(
        select(ReturnLineRow.order_line_id, func.sum(ReturnLineRow.quantity))
        .join(ReturnRow, ReturnRow.id == ReturnLineRow.return_id)
        .where(ReturnRow.order_id == order_id, ReturnRow.status == ReturnStatus.REQUESTED)
        .group_by(ReturnLineRow.order_line_id)
    )
    return {int(i): int(q) for i, q in rows}


async def window_for(session: AsyncSession, order: OrderRow) -> ReturnWindow:
    """The window runs from the last hand-over of the order (delivery, pickup, carry-out), or
    from the order's placement if nothing records one."""
    handed_over = await session.scalar(
        select(func.max(FulfillmentOrderRow.completed_at)).where(
            FulfillmentOrderRow.order_id == order.id,
            FulfillmentOrderRow.status.in_(list(HANDED_OVER)),
        )
    )
    return ReturnWindow(await window_days(session, order.channel), handed_over or order.placed_at)


def _split(
    requests: Sequence[ReturnLineRequest],
    lines: dict[int, OrderLineRow],
    pending: dict[int, int],
) -> dict[int, tuple[int, int]]:
    """order line id -> (units to receive, units to cancel); raises with every problem."""
    problems: list[DomainError] = []
    out: dict[int, tuple[int, int]] = {}
    for i, req in enumerate(requests):
        field = f"lines[{i}]"
        line = lines.get(req.order_line_id)
        if line is None:
            problems.append(ValidationFailed("That line is not on this order.", field=field))
            continue
        if req.order_line_id in out:
            problems.append(
                ValidationFailed(
                    f"Line {line.line_no} ({line.sku}) is listed twice; give it once.", field=field
                )
            )
            continue
        if req.quantity < 1:
            problems.append(
                ValidationFailed(
                    f"Return at least 1 unit of line {line.line_no} ({line.sku}).",
                    field=f"{field}.quantity",
                )
            )
            continue
        on_way = pending.get(line.id, 0)
        returnable = line.fulfilled_quantity - line.returned_quantity - on_way
        not_handed = line.quantity - line.cancelled_quantity - line.fulfilled_quantity
        if req.quantity > returnable + not_handed:
            parts = [
                f"{line.fulfilled_quantity} handed over",
                f"{line.returned_quantity} already returned",
            ]
            if on_way:
                parts.append(f"{on_way} on an open return")
            if not_handed:
                parts.append(f"{not_handed} not handed over yet")
            problems.append(
                ReturnQuantityExceeded(
                    f"Line {line.line_no} ({line.sku}) was bought {line.quantity} time(s) "
                    f"({', '.join(parts)}); {req.quantity} cannot be returned. Return at most "
                    f"{max(returnable + not_handed, 0)}.",
                    field=f"{field}.quantity",
                )
            )
            continue
        receive = min(req.quantity, max(returnable, 0))
        out[line.id] = (receive, req.quantity - receive)
    if not requests:
        problems.append(ValidationFailed("Choose at least one line to return.", field="lines"))
    if problems:
        raise problems[0] if len(problems) == 1 else MultipleErrors(problems)
    return out


async def create_return(
    uow: UnitOfWork,
    principal: Principal,
    *,
    order_id: int,
    lines: Sequence[ReturnLineRequest],
    to_store_credit: bool = False,
    window_override_reason: str | None = None,
    location_id: int | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    """Start a return of ``lines`` of order ``order_id``; returns its id.

    Units handed over (and not returned or on another open return) are to be received at a
    location (``receive_return``). Units not handed over yet are cancelled at once (their
    stock released where it was committed) and refunded now. Returning more than that raises
    RETURN_QUANTITY_EXCEEDED and changes nothing. Outside the return window only staff can
    start a return, with a reason that is recorded.
    """
    now = now or utcnow()
    async with uow:
        session = uow.session
        order = await lock_order(session, order_id)
        await check_access(session, principal, order, location_id=location_id)
        order_lines = await lock_order_lines(session, order_id)
        split = _split(lines, order_lines, await pending_quantities(session, order_id))
        override = None
        if any(receive for receive, _ in split.values()):
            override = check_window(
                await window_for(session, order),
                now=now,
                order_number=order.number,
                override_reason=window_override_reason,
                may_override=principal.is_staff,
            )
        if to_store_credit and order.customer_id is None:
            raise ValidationFailed(
                f"Order {order.number} has no customer profile to hold store credit; refund to "
                "the original payment, or attach the customer first.",
                field="toStoreCredit",
            )
        started_at = location_id if location_id is not None else principal.client_location_id
        ret = ReturnRow(
            order_id=order.id,
            customer_id=order.customer_id,
            status=ReturnStatus.REQUESTED,
            channel=principal.channel.value,
            started_at_location_id=started_at if principal.is_staff else None,
            currency=order.currency,
            to_store_credit=to_store_credit,
            window_closes_at=(await window_for(session, order)).closes_at,
            window_override_reason=override,
            window_override_by=principal.actor if override else None,
            points_reversed=0,
            note=(note or "").strip()[:1000] or None,
            actor=principal.actor,
            version=1,
        )
        session.add(ret)
        await session.flush()
        reasons = {r.order_line_id: r for r in lines}
        rows = [
            ReturnLineRow(
                return_id=ret.id,
                order_line_id=line_id,
                variant_id=order_lines[line_id].variant_id,
                quantity=receive,
                cancelled_quantity=cancel,
                received_quantity=0,
                reason=reasons[line_id].reason,
                note=(reasons[line_id].note or "").strip()[:500] or None,
            )
            for line_id, (receive, cancel) in split.items()
        ]
        session.add_all(rows)
        await session.flush()
        cancel = {i: c for i, (_, c) in split.items() if c}
        if cancel:
            await _cancel_unshipped(uow, order, ret, rows, cancel, principal.actor, now)
        if not any(r.quantity for r in rows):
            ret.status = ReturnStatus.RECEIVED  # nothing to receive: closed at once
            ret.received_at = now
        record_changed(uow, order, ret)
        await session.flush()
        await uow.commit()
    return ret.id


async def _cancel_unshipped(
    uow: UnitOfWork,
    order: OrderRow,
    ret: ReturnRow,
    rows: list[ReturnLineRow],
    cancel: dict[int, int],
    actor: str,
    now: datetime,
) -> None:
    session = uow.session
    order_lines = await lock_order_lines(session, order.id)
    refund_plan = await plan(session, order, order_lines, cancel, store_fault=False)
    await release_order_lines(
        uow, order_id=order.id, quantities=cancel, actor=actor, reason=f"return:{ret.id}"
    )
    await refresh_order_status(uow, order.id)
    await settle(
        uow,
        order=order,
        ret=ret,
        lines=rows,
        refund_plan=refund_plan,
        reference=f"return:{ret.id}:cancel",
        reason=RefundReason.CANCELLATION,
        actor=actor,
        now=now,
    )


async def cancel_return(
    uow: UnitOfWork, principal: Principal, *, return_id: int, now: datetime | None = None
) -> int:
    """The customer keeps the goods: a REQUESTED return becomes CANCELLED (its units may be
    returned again later). Staff, or the customer whose order it is."""
    now = now or utcnow()
    async with uow:
        session = uow.session
        ret, _ = await lock_return(session, return_id)
        order = await lock_order(session, ret.order_id)
        if not principal.is_staff and not await customer_may_use(session, principal, order):
            await check_access(session, principal, order, location_id=None)
        if ret.status is not ReturnStatus.REQUESTED:
            raise ReturnState(
                f"Return {ret.id} is {ret.status.value.lower()}; only a requested return can be "
                "cancelled.",
                field="returnId",
            )
        ret.status = ReturnStatus.CANCELLED
        ret.cancelled_at = now
        ret.version += 1
        record_changed(uow, order, ret)
        await session.flush()
        await uow.commit()
    return ret.id
