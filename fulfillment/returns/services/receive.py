"""Receiving a return at any location: stock lands where the goods are, the refund is paid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.access.model import Principal
from domain.shared.clock import utcnow
from domain.shared.errors import DomainError, Forbidden, MultipleErrors, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.model import RefundReason
from fulfillment.returns.errors import ReturnState
from fulfillment.returns.model import STORE_FAULT, Disposition, ReturnStatus
from fulfillment.returns.services.common import (
    lock_order,
    lock_order_lines,
    lock_return,
    plan,
    record_changed,
    settle,
)
from fulfillment.returns.tables import ReturnLineRow, ReturnRow
from inventory.model import StockState
from inventory.services.stock import return_stock

STOCK_STATE = {
    Disposition.RESTOCK: StockState.SELLABLE,
    Disposition.DAMAGED: StockState.DAMAGED,
    Disposition.QUALITY_CONTROL: StockState.QUALITY_CONTROL,
}


@dataclass(frozen=True)
class ReceiveLine:
    return_line_id: int
    disposition: Disposition
    quantity: int | None = None  # None: every unit on the return line


def _received(
    lines: list[ReturnLineRow], given: Sequence[ReceiveLine]
) -> dict[int, tuple[int, Disposition]]:
    """return line id -> (units, disposition); every line with units needs a disposition."""
    by_id = {r.id: r for r in lines}
    problems: list[DomainError] = []
    out: dict[int, tuple[int, Disposition]] = {}
    for i, g in enumerate(given):
        line = by_id.get(g.return_line_id)
        if line is None:
            problems.append(
                ValidationFailed("That line is not on this return.", field=f"lines[{i}]")
            )
            continue
        qty = line.quantity if g.quantity is None else g.quantity
        if qty < 0 or qty > line.quantity:
            problems.append(
                ValidationFailed(
                    f"This return line expects {line.quantity} unit(s); {qty} cannot be received.",
                    field=f"lines[{i}].quantity",
                )
            )
            continue
        out[line.id] = (qty, g.disposition)
    missing = [r for r in lines if r.quantity > 0 and r.id not in out]
    if missing:
        problems.append(
            ValidationFailed(
                f"Give a disposition (RESTOCK, DAMAGED, QUALITY_CONTROL) for {len(missing)} more "
                "line(s) of this return.",
                field="lines",
            )
        )
    if not problems and not any(q for q, _ in out.values()):
        problems.append(
            ValidationFailed(
                "Nothing received; cancel the return if the customer keeps the goods.",
                field="lines",
            )
        )
    if problems:
        raise problems[0] if len(problems) == 1 else MultipleErrors(problems)
    return out


async def receive_return(
    uow: UnitOfWork,
    principal: Principal,
    *,
    return_id: int,
    location_id: int,
    lines: Sequence[ReceiveLine],
    now: datetime | None = None,
) -> int:
    return (
        await receive(
            uow, principal, return_id=return_id, location_id=location_id, lines=lines, now=now
        )
    ).id


async def receive(
    uow: UnitOfWork,
    principal: Principal,
    *,
    return_id: int,
    location_id: int,
    lines: Sequence[ReceiveLine],
    now: datetime | None = None,
    store_credit_up_to: int | None = None,
    credit_customer_id: int | None = None,
) -> ReturnRow:
    """The goods of a REQUESTED return arrive at ``location_id`` (any store or warehouse the
    staff member may act at). Per line: RESTOCK puts the units on the shelf there (on_hand +,
    a RETURN movement), DAMAGED and QUALITY_CONTROL into those buckets. Then the refund is paid
    (``refund_rules``) to the original tenders or store credit, earned points are taken back
    pro rata, and the return is RECEIVED. A second receipt of the same return is refused
    (RETURN_STATE) and changes nothing."""
    now = now or utcnow()
    if not principal.can_act_at(location_id):
        raise Forbidden(
            f"You cannot receive goods at location {location_id}; choose one of your stores.",
            field="locationId",
        )
    async with uow:
        session = uow.session
        ret, rows = await lock_return(session, return_id)
        if ret.status is not ReturnStatus.REQUESTED:
            raise ReturnState(
                f"Return {ret.id} is already {ret.status.value.lower()}"
                + (f" at location {ret.location_id}" if ret.location_id else "")
                + "; nothing was changed.",
                field="returnId",
            )
        order = await lock_order(session, ret.order_id)
        received = _received(rows, lines)
        order_lines = await lock_order_lines(session, order.id)
        returning: dict[int, int] = {}
        for row in rows:
            qty, disposition = received.get(row.id, (0, Disposition.RESTOCK))
            row.received_quantity = qty
            row.disposition = disposition if qty else None
            if qty:
                returning[row.order_line_id] = returning.get(row.order_line_id, 0) + qty
        refund_plan = await plan(
            session,
            order,
            order_lines,
            returning,
            store_fault=any(r.reason in STORE_FAULT for r in rows if r.received_quantity),
        )
        await _stock_in(uow, ret, rows, location_id, principal.actor)
        for line_id, qty in returning.items():
            order_lines[line_id].returned_quantity += qty
        await session.flush()
        await settle(
            uow,
            order=order,
            ret=ret,
            lines=rows,
            refund_plan=refund_plan,
            reference=f"return:{ret.id}",
            reason=RefundReason.RETURN,
            actor=principal.actor,
            now=now,
            store_credit_up_to=store_credit_up_to,
            credit_customer_id=credit_customer_id,
        )
        _close(ret, location_id, principal.actor, now)
        record_changed(uow, order, ret)
        await session.flush()
        await uow.commit()
    return ret


async def _stock_in(
    uow: UnitOfWork, ret: ReturnRow, rows: Sequence[ReturnLineRow], location_id: int, actor: str
) -> None:
    # One location, items in variant order: the global (variant, location) lock order, so two
    # receipts (or a receipt and a checkout) of the same items never deadlock.
    for row in sorted(rows, key=lambda r: (r.variant_id, r.id)):
        if row.received_quantity and row.disposition is not None:
            await return_stock(
                uow,
                variant_id=row.variant_id,
                location_id=location_id,
                quantity=row.received_quantity,
                disposition=STOCK_STATE[row.disposition],
                actor=actor,
                document_ref=f"return:{ret.id}",
            )


def _close(ret: ReturnRow, location_id: int, actor: str, now: datetime) -> None:
    ret.status = ReturnStatus.RECEIVED
    ret.location_id = location_id
    ret.received_by = actor
    ret.received_at = now
    ret.version += 1
