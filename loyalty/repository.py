"""Write-side SQL for the loyalty services. Every balance change goes through
``loyalty_accounts`` with one conditional UPDATE (or a row lock taken before the change)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.model import IdentifierKind, PointsKind, Verification, card_number_for
from loyalty.tables import (
    CARD_SEQUENCE,
    CustomerIdentifierRow,
    CustomerRow,
    LoyaltyAccountRow,
    PointsEntryRow,
    SpendEntryRow,
)

_CONSUME_LOTS = text(
    """
    WITH lots AS (
        SELECT id, remaining,
               sum(remaining) OVER (
                   ORDER BY (reference IS DISTINCT FROM :prefer), expires_at NULLS LAST, id
               ) - remaining AS before
        FROM points_entries
        WHERE customer_id = :customer_id AND remaining > 0
    )
    UPDATE points_entries p
    SET remaining = p.remaining - least(lots.remaining, :points - lots.before)
    FROM lots
    WHERE p.id = lots.id AND lots.before < :points
    RETURNING p.id
    """
)


class LoyaltyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------ customers

    async def add_customer(self, row: CustomerRow) -> CustomerRow:
        self.session.add(row)
        await self.session.flush()
        await self.session.execute(
            insert(LoyaltyAccountRow).values(customer_id=row.id, balance=0).on_conflict_do_nothing()
        )
        return row

    async def customer(self, customer_id: int) -> CustomerRow | None:
        return await self.session.get(CustomerRow, customer_id)

    async def lock_customers(self, ids: Sequence[int]) -> dict[int, CustomerRow]:
        """FOR UPDATE in id order (merge, erase): no deadlock between two such callers."""
        rows = await self.session.scalars(
            select(CustomerRow)
            .where(CustomerRow.id.in_(sorted(set(ids))))
            .order_by(CustomerRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {r.id: r for r in rows}

    async def share_customer(self, customer_id: int) -> tuple[str, int | None] | None:
        """(status, merged_into_id) under FOR KEY SHARE: waits for a running merge or erase
        of this customer, and does not block other points changes."""
        row = (
            await self.session.execute(
                select(CustomerRow.status, CustomerRow.merged_into_id)
                .where(CustomerRow.id == customer_id)
                .with_for_update(key_share=True, read=True)
            )
        ).one_or_none()
        return (row.status, row.merged_into_id) if row is not None else None

    async def next_card_number(self) -> str:
        sequence = await self.session.scalar(text(f"SELECT nextval('{CARD_SEQUENCE}')"))
        return card_number_for(int(sequence or 0))

    async def bump_qr_generation(self, customer_id: int) -> int:
        return int(
            await self.session.scalar(
                update(CustomerRow)
                .where(CustomerRow.id == customer_id)
                .values(qr_generation=CustomerRow.qr_generation + 1)
                .returning(CustomerRow.qr_generation)
            )
            or 0
        )

    # ------------------------------------------------------------ identifiers

    async def add_identifier(
        self,
        customer_id: int,
        kind: IdentifierKind,
        value: str,
        verification: Verification,
        verified_at: datetime | None = None,
    ) -> int | None:
        """The new row's id, or None if the (kind, value) belongs to someone already.

        ON CONFLICT waits for a concurrent insert of the same value to commit or roll back,
        so two tills enrolling one phone at once get one customer and one clear error.
        """
        return await self.session.scalar(
            insert(CustomerIdentifierRow)
            .values(
                customer_id=customer_id,
                kind=kind,
                value=value,
                verification=verification,
                verified_at=verified_at,
            )
            .on_conflict_do_nothing(index_elements=["kind", "value"])
            .returning(CustomerIdentifierRow.id)
        )

    async def identifiers_of(self, customer_ids: Sequence[int]) -> list[CustomerIdentifierRow]:
        rows = await self.session.scalars(
            select(CustomerIdentifierRow)
            .where(CustomerIdentifierRow.customer_id.in_(list(customer_ids)))
            .order_by(CustomerIdentifierRow.id)
        )
        return list(rows)

    async def find_identifiers(
        self, candidates: Sequence[tuple[IdentifierKind, str]]
    ) -> list[CustomerIdentifierRow]:
        if not candidates:
            return []
        rows = await self.session.scalars(
            select(CustomerIdentifierRow).where(
                or_(
                    *(
                        and_(CustomerIdentifierRow.kind == k, CustomerIdentifierRow.value == v)
                        for k, v in candidates
                    )
                )
            )
        )
        return list(rows)

    async def identifier(self, identifier_id: int) -> CustomerIdentifierRow | None:
        return await self.session.get(CustomerIdentifierRow, identifier_id)

    # ------------------------------------------------------------ points

    async def insert_entry(self, **values: Any) -> int | None:
        """The entry id, or None when (kind, idempotency_key) was already recorded."""
        stmt = insert(PointsEntryRow).values(**values)
        if values.get("idempotency_key") is not None:
            stmt = stmt.on_conflict_do_nothing(
                index_elements=["kind", "idempotency_key"],
                index_where=text("idempotency_key IS NOT NULL"),
            )
        return await self.session.scalar(stmt.returning(PointsEntryRow.id))

    async def entry_by_key(self, kind: PointsKind, key: str) -> PointsEntryRow | None:
        return await self.session.scalar(
            select(PointsEntryRow).where(
                PointsEntryRow.kind == kind, PointsEntryRow.idempotency_key == key
            )
        )

    async def debit(self, customer_id: int, points: int) -> int | None:
        """Take ``points`` if the balance covers them: the new balance, or None. One statement,
        so concurrent redemptions serialise on the row and none can overdraw it."""
        return await self.session.scalar(
            update(LoyaltyAccountRow)
            .where(
                LoyaltyAccountRow.customer_id == customer_id, LoyaltyAccountRow.balance >= points
            )
            .values(balance=LoyaltyAccountRow.balance - points, updated_at=func.now())
            .returning(LoyaltyAccountRow.balance)
        )

    async def credit(self, customer_id: int, points: int) -> int:
        return int(
            await self.session.scalar(
                update(LoyaltyAccountRow)
                .where(LoyaltyAccountRow.customer_id == customer_id)
                .values(balance=LoyaltyAccountRow.balance + points, updated_at=func.now())
                .returning(LoyaltyAccountRow.balance)
            )
            or 0
        )

    async def lock_balance(self, customer_id: int) -> int:
        return int(
            await self.session.scalar(
                select(LoyaltyAccountRow.balance)
                .where(LoyaltyAccountRow.customer_id == customer_id)
                .with_for_update()
            )
            or 0
        )

    async def lock_accounts(self, customer_ids: Sequence[int]) -> dict[int, int]:
        rows = await self.session.execute(
            select(LoyaltyAccountRow.customer_id, LoyaltyAccountRow.balance)
            .where(LoyaltyAccountRow.customer_id.in_(sorted(set(customer_ids))))
            .order_by(LoyaltyAccountRow.customer_id)
            .with_for_update()
        )
        return {cid: balance for cid, balance in rows}

    async def consume_lots(self, customer_id: int, points: int, *, prefer: str | None) -> None:
        """Take ``points`` from open credit lots, the ``prefer`` reference's first, then the
        soonest to expire (FIFO). Call with the account row locked (debit/lock_balance)."""
        await self.session.execute(
            _CONSUME_LOTS, {"customer_id": customer_id, "points": points, "prefer": prefer}
        )

    async def reference_totals(self, customer_id: int, reference: str) -> dict[str, int]:
        """Points per kind recorded for ``reference`` (REVERSE keyed as REVERSE_<kind>)."""
        rows = await self.session.execute(
            select(
                PointsEntryRow.kind, PointsEntryRow.reversed_kind, func.sum(PointsEntryRow.points)
            )
            .where(PointsEntryRow.customer_id == customer_id, PointsEntryRow.reference == reference)
            .group_by(PointsEntryRow.kind, PointsEntryRow.reversed_kind)
        )
        out: dict[str, int] = {}
        for kind, reversed_kind, total in rows:
            name = f"REVERSE_{reversed_kind.value}" if reversed_kind else kind.value
            out[name] = out.get(name, 0) + int(total)
        return out

    # ------------------------------------------------------------ spend

    async def add_spend(self, **values: Any) -> int | None:
        return await self.session.scalar(
            insert(SpendEntryRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["order_ref"])
            .returning(SpendEntryRow.id)
        )

    async def spend_by_ref(self, order_ref: str) -> SpendEntryRow | None:
        return await self.session.scalar(
            select(SpendEntryRow).where(SpendEntryRow.order_ref == order_ref)
        )

    async def delete_rows(self, table: Any, customer_id: int) -> int:
        result = await self.session.execute(delete(table).where(table.customer_id == customer_id))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
