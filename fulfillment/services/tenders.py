"""Tenders: how an order is paid. ``plan_tenders`` is the pure check (amounts add up to the
total, a card has its terminal reference, cash covers its amount and gives change, points and
store credit need a customer); ``take_tenders`` writes the rows and takes points (loyalty
``redeem_points``) and store credit (``store_credit.redeem``) in the order's transaction, with
the order number as reference, so a rolled-back checkout takes nothing.

An amount may be left out on one CARD or CASH tender: it pays the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.shared.errors import DomainError, MultipleErrors, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.model import TenderKind
from fulfillment.services import store_credit
from fulfillment.tables import OrderRow, TenderRow
from loyalty.model import DEFAULT_RULES, points_value_minor
from loyalty.services import redeem_points

MAX_TENDERS = 10


class TenderMismatch(ValidationFailed):
    code = "TENDER_MISMATCH"


@dataclass(frozen=True)
class TenderRequest:
    kind: TenderKind
    amount: int | None = None
    reference: str | None = None
    tendered: int | None = None  # CASH: what the customer handed over
    points: int | None = None  # POINTS: how many points


@dataclass(frozen=True)
class PlannedTender:
    kind: TenderKind
    amount: int
    tendered: int
    change: int
    points: int
    reference: str | None


def _rub(minor: int) -> str:
    return f"{minor / 100:.2f}"


def plan_tenders(
    requests: Sequence[TenderRequest],
    *,
    total: int,
    customer_id: int | None,
    offline: bool = False,
) -> list[PlannedTender]:
    """Check the tenders against the order total; raises with every problem at once.

    ``offline``: a till sale replayed from an offline queue. The money already changed hands,
    so tenders that do not add up to the server's total (the till priced with stale cached
    prices) are taken as they were; the caller records the difference on the order."""
    errors: list[DomainError] = []
    if len(requests) > MAX_TENDERS:
        raise ValidationFailed(f"Use at most {MAX_TENDERS} tenders.", field="tenders")
    open_ended = [
        i
        for i, r in enumerate(requests)
        if r.amount is None and r.kind in (TenderKind.CARD, TenderKind.CASH)
    ]
    if len(open_ended) > 1:
        errors.append(
            ValidationFailed(
                "Leave the amount out on one tender at most.",
                field=f"tenders[{open_ended[1]}].amount",
            )
        )
    value = DEFAULT_RULES.point_value_minor
    amounts: list[int | None] = []
    points: list[int] = []
    for i, r in enumerate(requests):
        f = f"tenders[{i}]"
        amount = r.amount
        pts = 0
        if r.kind is TenderKind.POINTS:
            if r.points is None and amount is None:
                errors.append(ValidationFailed("Say how many points to use.", field=f"{f}.points"))
            elif r.points is not None:
                pts = r.points
                if amount is not None and amount != points_value_minor(pts):
                    errors.append(
                        ValidationFailed(
                            f"{pts} points pay {_rub(points_value_minor(pts))}, "
                            f"not {_rub(amount)}.",
                            field=f"{f}.amount",
                        )
                    )
                amount = points_value_minor(pts)
            elif amount is not None:
                if amount % value:
                    errors.append(
                        ValidationFailed(
                            f"Points pay whole multiples of {_rub(value)}; give points instead.",
                            field=f"{f}.amount",
                        )
                    )
                pts = amount // value
        if r.kind in (TenderKind.POINTS, TenderKind.STORE_CREDIT) and customer_id is None:
            errors.append(
                ValidationFailed(
                    "Points and store credit need a customer: attach the member first.",
                    field=f"{f}.kind",
                )
            )
        if r.kind is TenderKind.CARD and not (r.reference or "").strip():
            errors.append(
                ValidationFailed(
                    "A card payment needs the terminal's or the PSP's reference.",
                    field=f"{f}.reference",
                )
            )
        if r.kind is not TenderKind.CASH and r.tendered is not None:
            errors.append(
                ValidationFailed("Only cash is tendered with change.", field=f"{f}.tendered")
            )
        if amount is not None and amount <= 0:
            errors.append(
                ValidationFailed("A tender amount must be above zero.", field=f"{f}.amount")
            )
        amounts.append(amount)
        points.append(pts)
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    known = sum(a for a in amounts if a is not None)
    if open_ended:
        rest = total - known
        if rest <= 0:
            raise TenderMismatch(
                f"The other tenders already cover the total of {_rub(total)}; remove the tender "
                "without an amount.",
                field=f"tenders[{open_ended[0]}].amount",
            )
        amounts[open_ended[0]] = rest
        known = total
    if known != total and not offline:
        if known < total:
            msg = (
                f"The tenders cover {_rub(known)} of {_rub(total)}; "
                f"add {_rub(total - known)} with another tender."
            )
        else:
            msg = (
                f"The tenders exceed the total of {_rub(total)} by {_rub(known - total)}; "
                "for cash, "
                "put what was handed over in `tendered` and the change is worked out."
            )
        raise TenderMismatch(msg, field="tenders")
    out: list[PlannedTender] = []
    for i, (r, amount, pts) in enumerate(zip(requests, amounts, points, strict=True)):
        assert amount is not None
        tendered = amount
        if r.kind is TenderKind.CASH and r.tendered is not None:
            if r.tendered < amount:
                raise ValidationFailed(
                    f"Cash handed over ({_rub(r.tendered)}) is less than the amount "
                    f"({_rub(amount)}).",
                    field=f"tenders[{i}].tendered",
                )
            tendered = r.tendered
        out.append(
            PlannedTender(
                kind=r.kind,
                amount=amount,
                tendered=tendered,
                change=tendered - amount,
                points=pts,
                reference=(r.reference or "").strip() or None,
            )
        )
    return out


async def take_tenders(
    uow: UnitOfWork,
    *,
    order: OrderRow,
    planned: Sequence[PlannedTender],
    actor: str,
    offline: bool = False,
) -> list[TenderRow]:
    """Write the tenders; points and store credit are taken now (may raise
    INSUFFICIENT_POINTS / INSUFFICIENT_STORE_CREDIT, and the checkout rolls back).

    ``offline``: a replayed till sale is recorded whatever happens. Points or store credit
    that are no longer there are not taken; the tender is left out and a review note says so
    (the order's payment discrepancy shows the shortfall)."""
    rows: list[TenderRow] = []
    async with uow:
        for i, t in enumerate(planned):
            if offline and t.kind in (TenderKind.POINTS, TenderKind.STORE_CREDIT):
                try:
                    async with uow.session.begin_nested():
                        await _take_balance(uow, order, t, i, actor)
                except DomainError as exc:
                    order.review_notes = [
                        *order.review_notes,
                        f"{t.kind.value} tender of {_rub(t.amount)} not taken: {exc}",
                    ]
                    continue
            elif t.kind in (TenderKind.POINTS, TenderKind.STORE_CREDIT):
                await _take_balance(uow, order, t, i, actor)
            row = TenderRow(
                order_id=order.id,
                kind=t.kind,
                amount=t.amount,
                tendered=t.tendered,
                change=t.change,
                points=t.points,
                reference=t.reference,
                refunded=0,
            )
            uow.session.add(row)
            rows.append(row)
        await uow.session.flush()
        await uow.commit()
    return rows


async def _take_balance(
    uow: UnitOfWork, order: OrderRow, t: PlannedTender, i: int, actor: str
) -> None:
    """Points (loyalty ledger) or store credit for tender ``i``, referenced by the order."""
    assert order.customer_id is not None
    try:
        if t.kind is TenderKind.POINTS:
            await redeem_points(
                uow, order.customer_id, points=t.points, reference=order.number, actor=actor
            )
        else:
            await store_credit.redeem(
                uow,
                customer_id=order.customer_id,
                amount=t.amount,
                reference=f"{order.number}#{i}",
                actor=actor,
            )
    except DomainError as exc:
        exc.field = f"tenders[{i}].{'points' if t.kind is TenderKind.POINTS else 'amount'}"
        raise
