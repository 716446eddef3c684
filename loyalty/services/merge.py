"""Merging duplicate profiles into one survivor.

What moves is a list of merge steps. This context registers the steps for what it owns
(profile, identifiers, addresses, consents, points, spend); a later context that keeps rows per
customer (orders, interactions) registers its own step at import time:

    from loyalty.services.merge import MergeContext, register_merge_step

    async def move_orders(ctx: MergeContext) -> int:
        result = await ctx.session.execute(
            update(OrderRow).where(OrderRow.customer_id == ctx.duplicate_id)
            .values(customer_id=ctx.survivor_id))
        return result.rowcount

    register_merge_step("orders", move_orders)

Steps run in registration order inside the merge's transaction, with both customer rows
locked; each returns how many rows (or a dict of named counts) it moved, recorded on the
merge's audit row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.errors import Conflict, ValidationFailed
from domain.shared.uow import UnitOfWork
from loyalty import model
from loyalty.errors import CustomerNotFound, MergeConflict
from loyalty.events import CustomersMerged
from loyalty.model import CustomerStatus, IdentifierView
from loyalty.repository import LoyaltyRepository
from loyalty.tables import (
    CustomerAddressRow,
    CustomerConsentRow,
    CustomerIdentifierRow,
    CustomerMergeRow,
    CustomerRow,
    PointsEntryRow,
    SpendEntryRow,
)


@dataclass(frozen=True)
class MergeContext:
    session: AsyncSession
    survivor_id: int
    duplicate_id: int
    actor: str


MergeStep = Callable[[MergeContext], Awaitable[int | dict[str, int]]]
_STEPS: dict[str, MergeStep] = {}


def register_merge_step(name: str, step: MergeStep) -> None:
    """Add (or replace, by name) a step that moves a context's rows to the survivor."""
    _STEPS[name] = step


def merge_steps() -> list[str]:
    return list(_STEPS)


async def _move(ctx: MergeContext, table: Any) -> int:
    result = await ctx.session.execute(
        update(table)
        .where(table.customer_id == ctx.duplicate_id)
        .values(customer_id=ctx.survivor_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _move_profile(ctx: MergeContext) -> int:
    """Fill the survivor's blanks from the duplicate, then clear the duplicate's personal data
    (it stays as a tombstone so its old tokens and QR codes lead to the survivor)."""
    result = await ctx.session.execute(
        text(
            """
            UPDATE customers s SET
              first_name = CASE WHEN s.first_name = '' THEN d.first_name ELSE s.first_name END,
              last_name = CASE WHEN s.last_name = '' THEN d.last_name ELSE s.last_name END,
              password_hash = coalesce(s.password_hash, d.password_hash),
              preferred_contact_channel =
                coalesce(s.preferred_contact_channel, d.preferred_contact_channel),
              preferred_store_id = coalesce(s.preferred_store_id, d.preferred_store_id)
            FROM customers d
            WHERE s.id = :survivor AND d.id = :duplicate
            RETURNING (s.first_name = '' AND d.first_name <> '')::int
                    + (s.last_name = '' AND d.last_name <> '')::int
            """
        ),
        {"survivor": ctx.survivor_id, "duplicate": ctx.duplicate_id},
    )
    filled = int(result.scalar() or 0)
    await ctx.session.execute(
        update(CustomerRow)
        .where(CustomerRow.id == ctx.duplicate_id)
        .values(
            first_name="",
            last_name="",
            password_hash=None,
            preferred_contact_channel=None,
            preferred_store_id=None,
            status=CustomerStatus.MERGED,
            merged_into_id=ctx.survivor_id,
        )
    )
    return filled


async def _move_identifiers(ctx: MergeContext) -> int:
    return await _move(ctx, CustomerIdentifierRow)


async def _move_addresses(ctx: MergeContext) -> int:
    # The survivor's default address stays the default.
    await ctx.session.execute(
        text(
            "UPDATE customer_addresses SET is_default = false WHERE customer_id = :d "
            "AND EXISTS (SELECT 1 FROM customer_addresses WHERE customer_id = :s AND is_default)"
        ),
        {"d": ctx.duplicate_id, "s": ctx.survivor_id},
    )
    return await _move(ctx, CustomerAddressRow)


async def _move_consents(ctx: MergeContext) -> int:
    """Per channel, the most recent decision wins (a newer opt-out is never overridden)."""
    await ctx.session.execute(
        text(
            """
            INSERT INTO customer_consents (customer_id, channel, granted, source, updated_at)
            SELECT :s, channel, granted, source, updated_at FROM customer_consents
            WHERE customer_id = :d
            ON CONFLICT (customer_id, channel) DO UPDATE
              SET granted = EXCLUDED.granted, source = EXCLUDED.source,
                  updated_at = EXCLUDED.updated_at
              WHERE customer_consents.updated_at < EXCLUDED.updated_at
            """
        ),
        {"s": ctx.survivor_id, "d": ctx.duplicate_id},
    )
    removed = await ctx.session.execute(
        delete(CustomerConsentRow).where(CustomerConsentRow.customer_id == ctx.duplicate_id)
    )
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]


async def _move_points(ctx: MergeContext) -> dict[str, int]:
    """Ledger entries (with their open lots and expiry dates) move as they are; the balance
    follows them, so balance == sum(entries) holds for both customers afterwards."""
    repo = LoyaltyRepository(ctx.session)
    balances = await repo.lock_accounts([ctx.survivor_id, ctx.duplicate_id])
    moved_points = balances.get(ctx.duplicate_id, 0)
    entries = await _move(ctx, PointsEntryRow)
    if moved_points:
        await repo.credit(ctx.survivor_id, moved_points)
        await ctx.session.execute(
            text("UPDATE loyalty_accounts SET balance = 0 WHERE customer_id = :d"),
            {"d": ctx.duplicate_id},
        )
    return {"points_entries": entries, "points": moved_points}


async def _move_spend(ctx: MergeContext) -> int:
    return await _move(ctx, SpendEntryRow)


register_merge_step("profile", _move_profile)
register_merge_step("identifiers", _move_identifiers)
register_merge_step("addresses", _move_addresses)
register_merge_step("consents", _move_consents)
register_merge_step("points", _move_points)
register_merge_step("spend", _move_spend)


@dataclass(frozen=True)
class MergeResult:
    merge_id: int
    survivor_id: int
    duplicate_id: int
    moved: dict[str, int]
    conflicts: list[dict[str, Any]]
    replayed: bool


def _conflict_dict(c: model.MergeConflictView) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "survivor_value": c.survivor_value,
        "duplicate_value": c.duplicate_value,
        "blocking": c.blocking,
        "resolution": c.resolution,
    }


async def merge_customers(
    uow: UnitOfWork,
    *,
    survivor_id: int,
    duplicate_id: int,
    actor: str,
    accept_conflicts: bool = False,
) -> MergeResult:
    """Move everything of ``duplicate_id`` into ``survivor_id``, once.

    Repeating a merge that happened returns its record and changes nothing. Two different
    verified emails are a blocking conflict: nothing moves unless ``accept_conflicts``.
    """
    if survivor_id == duplicate_id:
        raise ValidationFailed("Pick two different customers.", field="duplicateId")
    async with uow:
        session = uow.session
        repo = LoyaltyRepository(session)
        rows = await repo.lock_customers([survivor_id, duplicate_id])
        survivor, duplicate = rows.get(survivor_id), rows.get(duplicate_id)
        if survivor is None:
            raise CustomerNotFound(f"Customer {survivor_id} does not exist.", field="survivorId")
        if duplicate is None:
            raise CustomerNotFound(f"Customer {duplicate_id} does not exist.", field="duplicateId")
        if duplicate.status is CustomerStatus.MERGED:
            record = await session.scalar(
                select(CustomerMergeRow).where(CustomerMergeRow.duplicate_id == duplicate_id)
            )
            if record is None or record.survivor_id != survivor_id:
                raise Conflict(
                    f"Customer {duplicate_id} was already merged into customer "
                    f"{duplicate.merged_into_id}; merge that customer instead.",
                    field="duplicateId",
                )
            return MergeResult(
                record.id,
                survivor_id,
                duplicate_id,
                dict(record.moved),
                list(record.conflicts),
                True,
            )
        for row, field in ((survivor, "survivorId"), (duplicate, "duplicateId")):
            if row.status is not CustomerStatus.ACTIVE:
                raise Conflict(
                    f"Customer {row.id} is {row.status.value.lower()}; only active profiles merge.",
                    field=field,
                )
        identifiers = await repo.identifiers_of([survivor_id, duplicate_id])

        def views(owner: int) -> list[IdentifierView]:
            return [
                IdentifierView(i.kind, i.value, i.verification)
                for i in identifiers
                if i.customer_id == owner
            ]

        conflicts = model.merge_conflicts(
            survivor_identifiers=views(survivor_id),
            duplicate_identifiers=views(duplicate_id),
            survivor_name=f"{survivor.first_name} {survivor.last_name}".strip(),
            duplicate_name=f"{duplicate.first_name} {duplicate.last_name}".strip(),
        )
        blocking = [c for c in conflicts if c.blocking]
        if blocking and not accept_conflicts:
            raise MergeConflict(
                "; ".join(
                    f"{c.kind}: survivor has {c.survivor_value}, duplicate has {c.duplicate_value}"
                    for c in blocking
                )
                + ". They may be two people: check with the customer, then repeat with "
                "acceptConflicts: true.",
                field="acceptConflicts",
            )
        ctx = MergeContext(session, survivor_id, duplicate_id, actor)
        moved: dict[str, int] = {}
        for name, step in _STEPS.items():
            counted = await step(ctx)
            if isinstance(counted, dict):
                moved.update(counted)
            else:
                moved[name] = counted
        record = CustomerMergeRow(
            survivor_id=survivor_id,
            duplicate_id=duplicate_id,
            actor=actor,
            moved=moved,
            conflicts=[_conflict_dict(c) for c in conflicts],
        )
        session.add(record)
        await session.flush()
        uow.record(
            CustomersMerged(
                merge_id=record.id,
                survivor_id=survivor_id,
                duplicate_id=duplicate_id,
                points_moved=moved.get("points", 0),
                actor=actor,
            )
        )
        await uow.commit()
    return MergeResult(
        record.id, survivor_id, duplicate_id, moved, [_conflict_dict(c) for c in conflicts], False
    )
