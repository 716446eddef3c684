"""Erasure: personal data and identifiers go; financial records (points ledger, spend) stay,
keyed by the now anonymous customer id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.clock import utcnow
from domain.shared.errors import Conflict
from domain.shared.uow import UnitOfWork
from loyalty.errors import CustomerNotFound
from loyalty.events import CustomerErased
from loyalty.model import CustomerStatus, PointsKind
from loyalty.repository import LoyaltyRepository
from loyalty.services.points import _changed
from loyalty.tables import (
    CustomerAddressRow,
    CustomerConsentRow,
    CustomerIdentifierRow,
    CustomerMergeRow,
    CustomerRow,
)

#: Another context's part of an erasure, run in the same transaction: ``(session, customer_id)``
#: -> rows affected. Clienteling deletes the behavioural timeline; orders drop contact details.
ErasureStep = Callable[[AsyncSession, int], Awaitable[int]]
_STEPS: dict[str, ErasureStep] = {}


def register_erasure_step(name: str, step: ErasureStep) -> None:
    """Add (or replace, by name) a step that removes a context's personal data of a customer."""
    _STEPS[name] = step


def erasure_steps() -> list[str]:
    return list(_STEPS)


@dataclass(frozen=True)
class Erasure:
    customer_id: int
    identifiers_removed: int
    addresses_removed: int
    points_forfeited: int
    replayed: bool
    steps: dict[str, int] | None = None  # rows each registered step changed


async def erase_customer(uow: UnitOfWork, customer_id: int, *, actor: str) -> Erasure:
    """Anonymise the customer. The balance is forfeited with a ledger entry (nobody can spend
    it any more), the ledger and spend rows stay for the accounts. Erasing twice is a no-op."""
    async with uow:
        session = uow.session
        repo = LoyaltyRepository(session)
        row = (await repo.lock_customers([customer_id])).get(customer_id)
        if row is None:
            raise CustomerNotFound(f"Customer {customer_id} does not exist.", field="id")
        if row.status is CustomerStatus.ERASED:
            return Erasure(customer_id, 0, 0, 0, True)
        if row.status is CustomerStatus.MERGED:
            raise Conflict(
                f"Customer {customer_id} was merged into customer {row.merged_into_id}; "
                "erase that customer.",
                field="id",
            )
        identifiers = await repo.delete_rows(CustomerIdentifierRow, customer_id)
        addresses = await repo.delete_rows(CustomerAddressRow, customer_id)
        await repo.delete_rows(CustomerConsentRow, customer_id)
        now = utcnow()
        await session.execute(
            update(CustomerRow)
            .where(CustomerRow.id == customer_id)
            .values(
                status=CustomerStatus.ERASED,
                first_name="",
                last_name="",
                password_hash=None,
                preferred_contact_channel=None,
                preferred_store_id=None,
                qr_generation=CustomerRow.qr_generation + 1,
                erased_at=now,
            )
        )
        # Merge audit rows may quote the customer's emails and names.
        await session.execute(
            update(CustomerMergeRow)
            .where(
                or_(
                    CustomerMergeRow.survivor_id == customer_id,
                    CustomerMergeRow.duplicate_id == customer_id,
                )
            )
            .values(conflicts=[])
        )
        balance = await repo.lock_balance(customer_id)
        if balance > 0:
            entry_id = await repo.insert_entry(
                customer_id=customer_id,
                kind=PointsKind.ADJUST,
                points=-balance,
                remaining=0,
                reason="forfeited: the customer's account was erased",
                actor=actor,
                created_at=now,
            )
            await repo.debit(customer_id, balance)
            await repo.consume_lots(customer_id, balance, prefer=None)
            assert entry_id is not None
            uow.record(_changed(customer_id, entry_id, PointsKind.ADJUST, -balance, 0, None, actor))
        steps = {name: await step(session, customer_id) for name, step in _STEPS.items()}
        uow.record(CustomerErased(customer_id=customer_id, actor=actor))
        await uow.commit()
    return Erasure(customer_id, identifiers, addresses, balance, False, steps)
