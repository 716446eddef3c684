"""Refunds: money given back for a cancellation, a return or an exchange, spread over the
order's tenders.

Order of tenders (``REFUND_ORDER``): POINTS first, then STORE_CREDIT, then CARD, then CASH;
within a kind, the tender taken first is refunded first. Points and store credit come back
first so that a partial return can never turn points or store credit into cash, and card
before cash so that a card payment is not paid out in cash at a till. No tender ever gets
back more than ``amount - refunded``; the sum over tenders is what the customer paid, so a
refund above what is left raises ``RefundExceedsPaid`` and writes nothing.

- POINTS: the points go back through loyalty ``reverse_points(of=REDEEM)`` against the order
  number; the number of points is pro rata to the money refunded on that tender, counted
  cumulatively (``points * refunded // amount``), so refunding the whole tender in any number
  of steps gives back exactly the points redeemed.
- STORE_CREDIT: back to the customer's store credit.
- CARD / CASH: recorded; the terminal or the till pays it out.
- ``to_store_credit=True``: everything that is not points goes to the customer's store credit
  instead (the tenders' ``refunded`` still rises, so the order can never refund more than it
  took). Needs a customer on the order.

Each ``order_refunds`` row names the tender whose amount it used (``tender_id``) and how the
money went back (``kind``). Idempotent per ``(order, reference)``: refunds of one order
serialise on the order row, and a replay returns the rows already written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.errors import DomainError, IdempotencyKeyReused, NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.events import OrderUpdated
from fulfillment.model import RefundReason, TenderKind
from fulfillment.services import store_credit
from fulfillment.tables import OrderRow, RefundRow, TenderRow
from loyalty.model import PointsKind
from loyalty.services import reverse_points

REFUND_ORDER: tuple[TenderKind, ...] = (
    TenderKind.POINTS,
    TenderKind.STORE_CREDIT,
    TenderKind.CARD,
    TenderKind.CASH,
)


class RefundExceedsPaid(DomainError):
    code = "REFUND_EXCEEDS_PAID"


class OrderNotFound(NotFound):
    code = "ORDER_NOT_FOUND"


@dataclass(frozen=True)
class RefundLine:
    tender_id: int | None
    kind: TenderKind
    amount: int
    points: int


@dataclass(frozen=True)
class TenderBalance:
    """What the refund rules need of a tender."""

    id: int
    kind: TenderKind
    amount: int
    refunded: int
    points: int = 0

    @property
    def left(self) -> int:
        return self.amount - self.refunded


@dataclass(frozen=True)
class TenderShare:
    tender: TenderBalance
    amount: int
    points: int  # POINTS tenders: points given back for ``amount``


def points_back(tender: TenderBalance, amount: int) -> int:
    """Points returned when ``amount`` more of a POINTS tender is refunded: the cumulative
    pro-rata share minus what earlier refunds gave, so the steps sum to ``tender.points``."""
    if tender.kind is not TenderKind.POINTS or tender.amount == 0:
        return 0
    before = tender.points * tender.refunded // tender.amount
    after = tender.points * (tender.refunded + amount) // tender.amount
    return after - before


def split_refund(tenders: Sequence[TenderBalance], amount: int) -> list[TenderShare]:
    """Spread ``amount`` over ``tenders`` in ``REFUND_ORDER`` (pure). Raises RefundExceedsPaid
    if the tenders have less left than ``amount``."""
    if amount < 0:
        raise ValidationFailed(f"A refund cannot be negative; got {amount}.", field="amount")
    ordered = sorted(tenders, key=lambda t: (REFUND_ORDER.index(t.kind), t.id))
    left_total = sum(max(t.left, 0) for t in ordered)
    if amount > left_total:
        raise RefundExceedsPaid(
            f"The order has {left_total / 100:.2f} left to refund; {amount / 100:.2f} "
            "requested. Check what was already refunded.",
            field="amount",
        )
    shares: list[TenderShare] = []
    remaining = amount
    for tender in ordered:
        if remaining == 0:
            break
        take = min(remaining, max(tender.left, 0))
        if take > 0:
            shares.append(TenderShare(tender, take, points_back(tender, take)))
            remaining -= take
    return shares


def _line(row: RefundRow) -> RefundLine:
    return RefundLine(row.tender_id, row.kind, row.amount, row.points)


async def refunds_of_orders(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, list[RefundRow]]:
    """Refund rows per order, oldest first (loaders)."""
    rows = await session.scalars(
        select(RefundRow).where(RefundRow.order_id.in_(order_ids)).order_by(RefundRow.id)
    )
    out: dict[int, list[RefundRow]] = {i: [] for i in order_ids}
    for row in rows:
        out[row.order_id].append(row)
    return out


async def refunded_by_reference(
    session: AsyncSession, order_id: int, reference: str
) -> list[RefundRow]:
    return list(
        await session.scalars(
            select(RefundRow)
            .where(RefundRow.order_id == order_id, RefundRow.reference == reference)
            .order_by(RefundRow.id)
        )
    )


async def refund(
    uow: UnitOfWork,
    *,
    order_id: int,
    amount: int,
    reason: RefundReason,
    reference: str,
    actor: str,
    to_store_credit: bool = False,
    store_credit_customer_id: int | None = None,
) -> list[RefundLine]:
    """Refund ``amount`` (minor units) of order ``order_id`` (see the module docstring for the
    tender order). ``reference`` names the document (``cancel:<id>``, ``return:<id>``); a
    replay with the same reference returns the rows already written and changes nothing.
    An amount of 0 writes nothing. ``store_credit_customer_id`` names whose store credit
    receives a ``to_store_credit`` refund when the order has no customer (an exchange at a
    till for an anonymous sale, with the customer looked up there)."""
    reference = reference.strip()
    if not reference or len(reference) > 200:
        raise ValidationFailed(
            "Give the refund's document reference (1 to 200 characters).", field="reference"
        )
    if amount < 0:
        raise ValidationFailed(f"A refund cannot be negative; got {amount}.", field="amount")
    async with uow:
        session = uow.session
        order = await session.scalar(
            select(OrderRow)
            .where(OrderRow.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if order is None:
            raise OrderNotFound(f"Order {order_id} does not exist.", field="orderId")
        existing = await refunded_by_reference(session, order_id, reference)
        if existing:
            if sum(r.amount for r in existing) != amount:
                raise IdempotencyKeyReused(
                    f"Refund '{reference}' of order {order.number} was for "
                    f"{sum(r.amount for r in existing) / 100:.2f}; use a new reference for a "
                    "new refund.",
                    field="reference",
                )
            return [_line(r) for r in existing]
        if amount == 0:
            return []
        tenders = list(
            await session.scalars(
                select(TenderRow)
                .where(TenderRow.order_id == order_id)
                .order_by(TenderRow.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        shares = split_refund(
            [TenderBalance(t.id, t.kind, t.amount, t.refunded, t.points) for t in tenders], amount
        )
        credit_to = order.customer_id or store_credit_customer_id
        needs_customer = any(
            s.tender.kind in (TenderKind.POINTS, TenderKind.STORE_CREDIT) for s in shares
        )
        if (needs_customer and order.customer_id is None) or (to_store_credit and not credit_to):
            raise ValidationFailed(
                f"Order {order.number} has no customer, so nothing can go to store credit or "
                "points. Refund to the original tender instead.",
                field="toStoreCredit",
            )
        lines = await _apply(
            uow, order, shares, reason, reference, actor, to_store_credit, credit_to
        )
        uow.record(
            OrderUpdated(
                order_id=order.id,
                number=order.number,
                status=order.status.value,
                change="REFUND",
                channel=order.channel,
                customer_id=order.customer_id,
                location_id=order.location_id,
                total=order.total,
                currency=order.currency,
            )
        )
        await uow.commit()
    return lines


async def _apply(
    uow: UnitOfWork,
    order: OrderRow,
    shares: list[TenderShare],
    reason: RefundReason,
    reference: str,
    actor: str,
    to_store_credit: bool,
    credit_to: int | None,
) -> list[RefundLine]:
    session = uow.session
    lines: list[RefundLine] = []
    to_credit = 0
    for share in shares:
        tender = share.tender
        raised = await session.scalar(
            update(TenderRow)
            .where(TenderRow.id == tender.id, TenderRow.refunded + share.amount <= TenderRow.amount)
            .values(refunded=TenderRow.refunded + share.amount)
            .returning(TenderRow.id)
        )
        assert raised is not None  # the tender row is locked and split_refund kept within it
        if tender.kind is TenderKind.POINTS:
            kind = TenderKind.POINTS
            if share.points > 0:
                assert order.customer_id is not None
                await reverse_points(
                    uow,
                    order.customer_id,
                    reference=order.number,
                    of=PointsKind.REDEEM,
                    points=share.points,
                    actor=actor,
                    idempotency_key=f"refund:{order.id}:{reference}:{tender.id}",
                )
        elif to_store_credit or tender.kind is TenderKind.STORE_CREDIT:
            kind = TenderKind.STORE_CREDIT
            to_credit += share.amount
        else:
            kind = tender.kind
        session.add(
            RefundRow(
                order_id=order.id,
                tender_id=tender.id,
                kind=kind,
                reason=reason,
                amount=share.amount,
                points=share.points,
                reference=reference,
                actor=actor,
            )
        )
        lines.append(RefundLine(tender.id, kind, share.amount, share.points))
    if to_credit:
        assert credit_to is not None
        await store_credit.issue(
            uow,
            customer_id=credit_to,
            amount=to_credit,
            reference=f"refund:{order.number}:{reference}",
            actor=actor,
        )
    await session.flush()
    return lines
