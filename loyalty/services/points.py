"""Points ledger use cases. Orders, checkout and returns call these inside their own unit of
work (``async with uow`` joins the caller's transaction and its commit is deferred)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.clock import utcnow
from domain.shared.errors import IdempotencyKeyReused, ValidationFailed
from domain.shared.uow import UnitOfWork
from loyalty import model
from loyalty.errors import InsufficientPoints, NothingToReverse
from loyalty.events import PointsChanged
from loyalty.model import DEFAULT_RULES, LoyaltyRules, PointsKind, PurchaseLine, TierStatus
from loyalty.queries import rolling_spend_by_customer
from loyalty.repository import LoyaltyRepository
from loyalty.services.common import resolve_active
from loyalty.tables import LoyaltyAccountRow, PointsEntryRow


@dataclass(frozen=True)
class PointsResult:
    customer_id: int  # the active customer the points landed on (a merge survivor, maybe)
    entry_id: int | None  # None when nothing was written (earn of 0 points)
    points: int  # signed change
    balance: int
    replayed: bool = False  # an earlier call with the same idempotency key


async def customer_tier(
    session: AsyncSession,
    customer_id: int,
    *,
    now: datetime | None = None,
    rules: LoyaltyRules = DEFAULT_RULES,
) -> TierStatus:
    """Tier from the rolling 12-month spend; the pricing engine applies
    ``.tier.discount_percent`` as the customer's personalised discount."""
    spend = await rolling_spend_by_customer(
        session, [customer_id], now=now or utcnow(), rules=rules
    )
    return model.tier_status(spend.get(customer_id, 0), rules)


async def _replay(
    repo: LoyaltyRepository, kind: PointsKind, key: str, customer_id: int, points: int
) -> PointsResult:
    entry = await repo.entry_by_key(kind, key)
    assert entry is not None  # the insert conflicted on it
    if entry.points != points:
        raise IdempotencyKeyReused(
            f"Idempotency key '{key}' was used for a {kind.value} of {entry.points} points; "
            "send a new key for a new request.",
            field="idempotencyKey",
        )
    balance = await repo.session.scalar(
        select(LoyaltyAccountRow.balance).where(LoyaltyAccountRow.customer_id == entry.customer_id)
    )
    return PointsResult(entry.customer_id, entry.id, entry.points, int(balance or 0), True)


async def _credit(
    uow: UnitOfWork,
    *,
    customer_id: int,
    kind: PointsKind,
    points: int,
    reference: str | None,
    actor: str,
    idempotency_key: str | None,
    now: datetime,
    rules: LoyaltyRules,
    reason: str | None = None,
    reversed_kind: PointsKind | None = None,
) -> PointsResult:
    repo = LoyaltyRepository(uow.session)
    entry_id = await repo.insert_entry(
        customer_id=customer_id,
        kind=kind,
        points=points,
        remaining=points,
        expires_at=model.points_expire_at(now, rules),
        reference=reference,
        reason=reason,
        reversed_kind=reversed_kind,
        actor=actor,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    if entry_id is None:
        return await _replay(repo, kind, idempotency_key or "", customer_id, points)
    balance = await repo.credit(customer_id, points)
    uow.record(_changed(customer_id, entry_id, kind, points, balance, reference, actor))
    return PointsResult(customer_id, entry_id, points, balance)


async def _debit(
    uow: UnitOfWork,
    *,
    customer_id: int,
    kind: PointsKind,
    points: int,
    reference: str | None,
    actor: str,
    idempotency_key: str | None,
    now: datetime,
    reason: str | None = None,
    reversed_kind: PointsKind | None = None,
    field: str = "points",
) -> PointsResult:
    """Take points: the balance first (one conditional UPDATE, nothing written if it does not
    cover them, so a caller that catches InsufficientPoints can carry on in its transaction),
    then the ledger entry and the lots."""
    repo = LoyaltyRepository(uow.session)
    if idempotency_key is not None and await repo.entry_by_key(kind, idempotency_key):
        return await _replay(repo, kind, idempotency_key, customer_id, -points)
    balance = await repo.debit(customer_id, points)
    if balance is None:
        if idempotency_key is not None and await repo.entry_by_key(kind, idempotency_key):
            # a concurrent call with the same key committed while we waited for the row
            return await _replay(repo, kind, idempotency_key, customer_id, -points)
        have = await repo.session.scalar(
            select(LoyaltyAccountRow.balance).where(LoyaltyAccountRow.customer_id == customer_id)
        )
        raise InsufficientPoints(
            f"The customer has {int(have or 0)} points; {points} requested. "
            "Take fewer points or another tender.",
            field=field,
        )
    entry_id = await repo.insert_entry(
        customer_id=customer_id,
        kind=kind,
        points=-points,
        remaining=0,
        reference=reference,
        reason=reason,
        reversed_kind=reversed_kind,
        actor=actor,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    if entry_id is None:  # same key committed meanwhile: give the points back, replay
        await repo.credit(customer_id, points)
        return await _replay(repo, kind, idempotency_key or "", customer_id, -points)
    await repo.consume_lots(customer_id, points, prefer=reference)
    uow.record(_changed(customer_id, entry_id, kind, -points, balance, reference, actor))
    return PointsResult(customer_id, entry_id, -points, balance)


def _changed(
    customer_id: int,
    entry_id: int,
    kind: PointsKind,
    points: int,
    balance: int,
    reference: str | None,
    actor: str,
) -> PointsChanged:
    return PointsChanged(
        customer_id=customer_id,
        entry_id=entry_id,
        entry_kind=kind.value,
        points=points,
        balance=balance,
        reference=reference,
        actor=actor,
    )


def _check_reference(reference: str) -> str:
    reference = reference.strip()
    if not reference or len(reference) > 200:
        raise ValidationFailed(
            "Give the order or document reference (1 to 200 characters).", field="reference"
        )
    return reference


async def earn_points(
    uow: UnitOfWork,
    customer_id: int,
    *,
    lines: Sequence[PurchaseLine],
    reference: str,
    actor: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    rules: LoyaltyRules = DEFAULT_RULES,
) -> PointsResult:
    """Award points for a purchase: base rate x tier multiplier x category bonus per line.

    The tier is the customer's at ``now`` (call ``record_spend`` for this order afterwards, so
    an order does not lift its own earn rate). Points expire ``rules.expiry_months`` later.
    """
    now = now or utcnow()
    reference = _check_reference(reference)
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id)
        status = await customer_tier(uow.session, customer_id, now=now, rules=rules)
        points = model.points_for_purchase(lines, tier=status.tier, rules=rules)
        if points == 0:
            balance = int(
                await uow.session.scalar(
                    select(LoyaltyAccountRow.balance).where(
                        LoyaltyAccountRow.customer_id == customer_id
                    )
                )
                or 0
            )
            return PointsResult(customer_id, None, 0, balance)
        result = await _credit(
            uow,
            customer_id=customer_id,
            kind=PointsKind.EARN,
            points=points,
            reference=reference,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
            rules=rules,
        )
        await uow.commit()
    return result


async def redeem_points(
    uow: UnitOfWork,
    customer_id: int,
    *,
    points: int,
    reference: str,
    actor: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> PointsResult:
    """Points as a tender: take ``points`` (worth ``model.points_value_minor(points)``) or raise
    InsufficientPoints. One conditional UPDATE on the balance row: never overdrawn."""
    model.require_positive_points(points)
    reference = _check_reference(reference)
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id)
        result = await _debit(
            uow,
            customer_id=customer_id,
            kind=PointsKind.REDEEM,
            points=points,
            reference=reference,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now or utcnow(),
        )
        await uow.commit()
    return result


async def reverse_points(
    uow: UnitOfWork,
    customer_id: int,
    *,
    reference: str,
    of: PointsKind,
    actor: str,
    points: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    rules: LoyaltyRules = DEFAULT_RULES,
) -> PointsResult:
    """Undo (part of) what ``reference`` earned or redeemed: a return takes earned points back,
    a cancelled payment gives redeemed points back. ``points`` None means all that is left.

    Taking back earned points never overdraws: if the customer already spent them, only the
    balance is taken (``PointsResult.points`` says how many); the shortfall is the caller's
    call (e.g. deduct its value from the refund).
    """
    if of not in (PointsKind.EARN, PointsKind.REDEEM):
        raise ValidationFailed("Only EARN and REDEEM entries can be reversed.", field="of")
    if points is not None:
        model.require_positive_points(points)
    reference = _check_reference(reference)
    now = now or utcnow()
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id)
        balance = await repo.lock_balance(customer_id)  # serialises reversals of one customer
        totals = await repo.reference_totals(customer_id, reference)
        original = abs(totals.get(of.value, 0))
        reversed_already = abs(totals.get(f"REVERSE_{of.value}", 0))
        left = original - reversed_already
        wanted = left if points is None else points
        if left <= 0 or wanted > left:
            raise NothingToReverse(
                f"{reference} has {left} {of.value.lower()}ed points left to reverse; "
                f"{wanted} requested.",
                field="points",
            )
        if of is PointsKind.REDEEM:
            result = await _credit(
                uow,
                customer_id=customer_id,
                kind=PointsKind.REVERSE,
                points=wanted,
                reference=reference,
                actor=actor,
                idempotency_key=idempotency_key,
                now=now,
                rules=rules,
                reversed_kind=of,
            )
        else:
            result = (
                await _debit(
                    uow,
                    customer_id=customer_id,
                    kind=PointsKind.REVERSE,
                    points=min(wanted, balance),
                    reference=reference,
                    actor=actor,
                    idempotency_key=idempotency_key,
                    now=now,
                    reversed_kind=of,
                )
                if min(wanted, balance) > 0
                else PointsResult(customer_id, None, 0, balance)
            )
        await uow.commit()
    return result


async def adjust_points(
    uow: UnitOfWork,
    customer_id: int,
    *,
    points: int,
    reason: str,
    actor: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    rules: LoyaltyRules = DEFAULT_RULES,
) -> PointsResult:
    """A manual correction with a reason (goodwill, a lost receipt). Positive credits a lot
    that expires like earned points; negative takes points FIFO and never below zero."""
    if points == 0:
        raise ValidationFailed("An adjustment of 0 points changes nothing.", field="points")
    if not reason.strip():
        raise ValidationFailed(
            "Say why (e.g. 'goodwill: late delivery'); adjustments are audited.", field="reason"
        )
    now = now or utcnow()
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id)
        common = dict(
            customer_id=customer_id,
            kind=PointsKind.ADJUST,
            reference=None,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
            reason=reason.strip(),
        )
        if points > 0:
            result = await _credit(uow, points=points, rules=rules, **common)  # type: ignore[arg-type]
        else:
            result = await _debit(uow, points=-points, **common)  # type: ignore[arg-type]
        await uow.commit()
    return result


async def record_spend(
    uow: UnitOfWork,
    customer_id: int,
    *,
    amount_minor: int,
    currency: str,
    occurred_at: datetime,
    order_ref: str,
    rules: LoyaltyRules = DEFAULT_RULES,
) -> bool:
    """Count spend towards tiers (negative for a return). Idempotent per ``order_ref``: a
    second call with the same ref records nothing and returns False."""
    order_ref = order_ref.strip()
    if not order_ref:
        raise ValidationFailed("Give the order reference.", field="orderRef")
    if currency != rules.currency:
        raise ValidationFailed(
            f"The programme counts spend in {rules.currency}; got {currency}.", field="currency"
        )
    if occurred_at.tzinfo is None:
        raise ValidationFailed("occurred_at must be timezone-aware.", field="occurredAt")
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id)
        spend_id = await repo.add_spend(
            customer_id=customer_id,
            amount_minor=amount_minor,
            currency=currency,
            occurred_at=occurred_at,
            order_ref=order_ref,
        )
        await uow.commit()
    return spend_id is not None


_DUE_CUSTOMERS = text(
    "SELECT DISTINCT customer_id FROM points_entries "
    "WHERE remaining > 0 AND expires_at <= :now ORDER BY customer_id LIMIT :n"
)
_EXPIRE_LOTS = text(
    """
    WITH cleared AS (
        UPDATE points_entries p SET remaining = 0
        FROM (SELECT id, remaining FROM points_entries
              WHERE customer_id = ANY(:ids) AND remaining > 0 AND expires_at <= :now) due
        WHERE p.id = due.id
        RETURNING p.customer_id, due.remaining
    )
    SELECT customer_id, sum(remaining)::bigint AS points FROM cleared GROUP BY customer_id
    ORDER BY customer_id
    """
)


async def expire_points(
    uow_factory: object,
    *,
    now: datetime | None = None,
    batch_customers: int = 500,
    actor: str = "system:expiry",
    rules: LoyaltyRules = DEFAULT_RULES,
) -> int:
    """Expire every lot past its date, oldest first per customer (FIFO by construction:
    spending always takes the soonest-expiring points). One transaction per batch of
    customers, account rows locked in id order before the lots (as redemptions do).

    ``uow_factory`` is a callable returning a fresh UnitOfWork. Returns points expired.
    """
    now = now or utcnow()
    total = 0
    while True:
        uow: UnitOfWork = uow_factory()  # type: ignore[operator]
        async with uow:
            session = uow.session
            ids = list(
                (await session.execute(_DUE_CUSTOMERS, {"now": now, "n": batch_customers}))
                .scalars()
                .all()
            )
            if not ids:
                return total
            repo = LoyaltyRepository(session)
            await repo.lock_accounts(ids)
            expired = (await session.execute(_EXPIRE_LOTS, {"ids": ids, "now": now})).all()
            for customer_id, points in expired:
                entry_id = await repo.insert_entry(
                    customer_id=customer_id,
                    kind=PointsKind.EXPIRE,
                    points=-int(points),
                    remaining=0,
                    reason=f"expired {rules.expiry_months} months after earning",
                    actor=actor,
                    created_at=now,
                )
                balance = await repo.debit(customer_id, int(points))
                assert entry_id is not None and balance is not None  # lots == balance
                uow.record(
                    _changed(
                        customer_id, entry_id, PointsKind.EXPIRE, -int(points), balance, None, actor
                    )
                )
                total += int(points)
            await uow.commit()


async def points_entry(session: AsyncSession, entry_id: int) -> PointsEntryRow | None:
    return await session.get(PointsEntryRow, entry_id)
