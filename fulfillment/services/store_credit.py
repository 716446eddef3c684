"""Store credit: a customer's balance in the store's money, issued by refunds (or goodwill)
and spent as a tender.

Every change goes through ``store_credit_accounts.balance`` with one statement (a conditional
UPDATE for a redemption, so concurrent redemptions serialise on the row and none overdraws;
the CHECK ``balance >= 0`` backs it up) and leaves an entry in ``store_credit_entries``, the
append-only ledger whose sum is the balance. ``(kind, reference)`` is unique: a replayed issue,
redemption or reversal with the same reference applies once and returns the balance.

Callers run these inside their own unit of work (``async with uow`` joins it).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.errors import DomainError, IdempotencyKeyReused, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.events import StoreCreditChanged
from fulfillment.model import StoreCreditKind
from fulfillment.tables import StoreCreditAccountRow, StoreCreditEntryRow
from loyalty.repository import LoyaltyRepository
from loyalty.services import MergeContext, register_merge_step, resolve_active

MAX_AMOUNT = 10**12  # 10 billion roubles in kopecks: anything above is a typo


class InsufficientStoreCredit(DomainError):
    code = "INSUFFICIENT_STORE_CREDIT"


class NothingToReverse(DomainError):
    code = "NOTHING_TO_REVERSE"


def _check(amount: int, reference: str) -> str:
    if amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationFailed(
            f"A store-credit amount is a positive number of kopecks; got {amount}.",
            field="amount",
        )
    reference = reference.strip()
    if not reference or len(reference) > 200:
        raise ValidationFailed(
            "Give the document the store credit is for (1 to 200 characters).",
            field="reference",
        )
    return reference


async def balance(session: AsyncSession, customer_id: int) -> int:
    """The customer's store-credit balance in minor units (0 without an account)."""
    value = await session.scalar(
        select(StoreCreditAccountRow.balance).where(
            StoreCreditAccountRow.customer_id == customer_id
        )
    )
    return int(value or 0)


async def balances(session: AsyncSession, customer_ids: list[int]) -> dict[int, int]:
    """Balances of many customers at once (loaders); customers without an account get 0."""
    rows = await session.execute(
        select(StoreCreditAccountRow.customer_id, StoreCreditAccountRow.balance).where(
            StoreCreditAccountRow.customer_id.in_(customer_ids)
        )
    )
    found = {int(c): int(b) for c, b in rows}
    return {c: found.get(c, 0) for c in customer_ids}


async def _entry(
    session: AsyncSession, kind: StoreCreditKind, reference: str
) -> StoreCreditEntryRow | None:
    return await session.scalar(
        select(StoreCreditEntryRow).where(
            StoreCreditEntryRow.kind == kind, StoreCreditEntryRow.reference == reference
        )
    )


async def _insert_entry(
    session: AsyncSession,
    *,
    customer_id: int,
    kind: StoreCreditKind,
    amount: int,
    reference: str,
    actor: str,
) -> int | None:
    """The new entry's id, or None if ``(kind, reference)`` exists (waits for a concurrent
    insert of the same pair to commit or roll back)."""
    return await session.scalar(
        insert(StoreCreditEntryRow)
        .values(customer_id=customer_id, kind=kind, amount=amount, reference=reference, actor=actor)
        .on_conflict_do_nothing(index_elements=["kind", "reference"])
        .returning(StoreCreditEntryRow.id)
    )


async def _replay(
    session: AsyncSession, kind: StoreCreditKind, reference: str, amount: int | None
) -> int:
    entry = await _entry(session, kind, reference)
    assert entry is not None  # the insert conflicted on it
    if amount is not None and entry.amount != amount:
        raise IdempotencyKeyReused(
            f"Store-credit reference '{reference}' was used for a {kind.value} of "
            f"{abs(entry.amount)}; use a new reference for a new document.",
            field="reference",
        )
    return await balance(session, entry.customer_id)


async def _credit(session: AsyncSession, customer_id: int, amount: int) -> int:
    value = await session.scalar(
        insert(StoreCreditAccountRow)
        .values(customer_id=customer_id, balance=amount)
        .on_conflict_do_update(
            index_elements=["customer_id"],
            set_={
                "balance": StoreCreditAccountRow.balance + amount,
                "updated_at": func.now(),
            },
        )
        .returning(StoreCreditAccountRow.balance)
    )
    return int(value or 0)


async def _debit(session: AsyncSession, customer_id: int, amount: int) -> int | None:
    """One conditional UPDATE: the new balance, or None if the balance does not cover it."""
    value = await session.scalar(
        update(StoreCreditAccountRow)
        .where(
            StoreCreditAccountRow.customer_id == customer_id,
            StoreCreditAccountRow.balance >= amount,
        )
        .values(balance=StoreCreditAccountRow.balance - amount, updated_at=func.now())
        .returning(StoreCreditAccountRow.balance)
    )
    return None if value is None else int(value)


def _changed(
    customer_id: int,
    entry_id: int,
    kind: StoreCreditKind,
    amount: int,
    bal: int,
    ref: str,
    actor: str,
) -> StoreCreditChanged:
    return StoreCreditChanged(
        customer_id=customer_id,
        entry_id=entry_id,
        entry_kind=kind.value,
        amount=amount,
        balance=bal,
        reference=ref,
        actor=actor,
    )


async def _give(
    uow: UnitOfWork,
    *,
    customer_id: int,
    kind: StoreCreditKind,
    amount: int,
    reference: str,
    actor: str,
) -> int:
    session = uow.session
    customer_id = await resolve_active(LoyaltyRepository(session), customer_id)
    entry_id = await _insert_entry(
        session, customer_id=customer_id, kind=kind, amount=amount, reference=reference, actor=actor
    )
    if entry_id is None:
        return await _replay(session, kind, reference, amount)
    new_balance = await _credit(session, customer_id, amount)
    uow.record(_changed(customer_id, entry_id, kind, amount, new_balance, reference, actor))
    return new_balance


async def issue(
    uow: UnitOfWork, *, customer_id: int, amount: int, reference: str, actor: str
) -> int:
    """Add ``amount`` to the customer's store credit (a refund to store credit, goodwill).
    Returns the new balance. Idempotent per ``reference``: a replay adds nothing."""
    reference = _check(amount, reference)
    async with uow:
        result = await _give(
            uow,
            customer_id=customer_id,
            kind=StoreCreditKind.ISSUE,
            amount=amount,
            reference=reference,
            actor=actor,
        )
        await uow.commit()
    return result


async def redeem(
    uow: UnitOfWork, *, customer_id: int, amount: int, reference: str, actor: str
) -> int:
    """Spend ``amount`` of store credit as a tender; returns the new balance or raises
    InsufficientStoreCredit (nothing written, so a caller may catch it and carry on).
    Idempotent per ``reference`` (e.g. the order number)."""
    reference = _check(amount, reference)
    async with uow:
        session = uow.session
        customer_id = await resolve_active(LoyaltyRepository(session), customer_id)
        kind = StoreCreditKind.REDEEM
        if await _entry(session, kind, reference) is not None:
            return await _replay(session, kind, reference, -amount)
        new_balance = await _debit(session, customer_id, amount)
        if new_balance is None:
            if await _entry(session, kind, reference) is not None:
                # the same reference committed while we waited for the account row
                return await _replay(session, kind, reference, -amount)
            have = await balance(session, customer_id)
            raise InsufficientStoreCredit(
                f"The customer has {have / 100:.2f} of store credit; {amount / 100:.2f} "
                "requested. Take less store credit and the rest with another tender.",
                field="amount",
            )
        entry_id = await _insert_entry(
            session,
            customer_id=customer_id,
            kind=kind,
            amount=-amount,
            reference=reference,
            actor=actor,
        )
        if entry_id is None:  # the same reference committed meanwhile: undo ours, replay
            await _credit(session, customer_id, amount)
            return await _replay(session, kind, reference, -amount)
        uow.record(_changed(customer_id, entry_id, kind, -amount, new_balance, reference, actor))
        await uow.commit()
    return new_balance


async def reverse_redeem(
    uow: UnitOfWork, *, customer_id: int, reference: str, amount: int | None, actor: str
) -> int:
    """Give back (part of) the redemption made under ``reference`` (e.g. a checkout whose
    payment failed, an order cancelled before anything was refunded). ``amount`` None gives back
    all of it. One reversal per redemption (a replay returns the balance); it never gives back
    more than was redeemed. Refunds of a STORE_CREDIT tender go through
    ``fulfillment.services.refunds.refund``, which caps them by the tender's remaining amount."""
    reference = _check(amount if amount is not None else 1, reference)
    async with uow:
        session = uow.session
        redeemed = await _entry(session, StoreCreditKind.REDEEM, reference)
        if redeemed is None:
            raise NothingToReverse(
                f"No store credit was redeemed under '{reference}'; nothing to give back.",
                field="reference",
            )
        wanted = -redeemed.amount if amount is None else amount
        if wanted > -redeemed.amount:
            raise NothingToReverse(
                f"'{reference}' redeemed {-redeemed.amount / 100:.2f}; {wanted / 100:.2f} "
                "cannot be given back.",
                field="amount",
            )
        result = await _give(
            uow,
            customer_id=redeemed.customer_id,  # follows merges: entries move with them
            kind=StoreCreditKind.REVERSE,
            amount=wanted,
            reference=reference,
            actor=actor,
        )
        await uow.commit()
    return result


async def _move_store_credit(ctx: MergeContext) -> dict[str, int]:
    """Merge: the duplicate's ledger entries and balance move to the survivor."""
    moved = await ctx.session.execute(
        update(StoreCreditEntryRow)
        .where(StoreCreditEntryRow.customer_id == ctx.duplicate_id)
        .values(customer_id=ctx.survivor_id)
    )
    carried = await ctx.session.scalar(
        select(StoreCreditAccountRow.balance)
        .where(StoreCreditAccountRow.customer_id == ctx.duplicate_id)
        .with_for_update()
    )
    if carried:
        await ctx.session.execute(
            update(StoreCreditAccountRow)
            .where(StoreCreditAccountRow.customer_id == ctx.duplicate_id)
            .values(balance=0, updated_at=func.now())
        )
    amount = int(carried or 0)
    if amount:
        await _credit(ctx.session, ctx.survivor_id, amount)
    return {
        "store_credit_entries": int(moved.rowcount or 0),  # type: ignore[attr-defined]
        "store_credit_balance": amount,
    }


register_merge_step("store_credit", _move_store_credit)
