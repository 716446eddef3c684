"""Read-side SQL for GraphQL loaders and for other contexts (pricing asks for tiers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.model import DEFAULT_RULES, CustomerStatus, LoyaltyRules
from loyalty.tables import (
    CustomerAddressRow,
    CustomerConsentRow,
    CustomerIdentifierRow,
    CustomerMergeRow,
    CustomerRow,
    LoyaltyAccountRow,
    PointsEntryRow,
    SpendEntryRow,
)


async def customers_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, CustomerRow]:
    rows = await session.scalars(select(CustomerRow).where(CustomerRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def identifiers_by_customer(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[CustomerIdentifierRow]]:
    rows = await session.scalars(
        select(CustomerIdentifierRow)
        .where(CustomerIdentifierRow.customer_id.in_(set(ids)))
        .order_by(CustomerIdentifierRow.id)
    )
    out: dict[int, list[CustomerIdentifierRow]] = {}
    for r in rows:
        out.setdefault(r.customer_id, []).append(r)
    return out


async def addresses_by_customer(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[CustomerAddressRow]]:
    rows = await session.scalars(
        select(CustomerAddressRow)
        .where(CustomerAddressRow.customer_id.in_(set(ids)))
        .order_by(CustomerAddressRow.is_default.desc(), CustomerAddressRow.id)
    )
    out: dict[int, list[CustomerAddressRow]] = {}
    for r in rows:
        out.setdefault(r.customer_id, []).append(r)
    return out


async def consents_by_customer(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[CustomerConsentRow]]:
    rows = await session.scalars(
        select(CustomerConsentRow)
        .where(CustomerConsentRow.customer_id.in_(set(ids)))
        .order_by(CustomerConsentRow.channel)
    )
    out: dict[int, list[CustomerConsentRow]] = {}
    for r in rows:
        out.setdefault(r.customer_id, []).append(r)
    return out


async def balances_by_customer(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    rows = await session.execute(
        select(LoyaltyAccountRow.customer_id, LoyaltyAccountRow.balance).where(
            LoyaltyAccountRow.customer_id.in_(set(ids))
        )
    )
    return {cid: int(balance) for cid, balance in rows}


async def rolling_spend_by_customer(
    session: AsyncSession,
    ids: Sequence[int],
    *,
    now: datetime,
    rules: LoyaltyRules = DEFAULT_RULES,
) -> dict[int, int]:
    """Spend in (now - window, now]; customers with none are absent (0)."""
    since = now - timedelta(days=rules.tier_window_days)
    rows = await session.execute(
        select(SpendEntryRow.customer_id, func.sum(SpendEntryRow.amount_minor))
        .where(
            SpendEntryRow.customer_id.in_(set(ids)),
            SpendEntryRow.occurred_at > since,
            SpendEntryRow.occurred_at <= now,
        )
        .group_by(SpendEntryRow.customer_id)
    )
    return {cid: int(total) for cid, total in rows}


async def loyalty_figures(
    session: AsyncSession,
    ids: Sequence[int],
    *,
    now: datetime,
    rules: LoyaltyRules = DEFAULT_RULES,
) -> dict[int, tuple[int, int]]:
    """(points balance, rolling spend) per customer in one statement."""
    since = now - timedelta(days=rules.tier_window_days)
    spend = (
        select(func.coalesce(func.sum(SpendEntryRow.amount_minor), 0))
        .where(
            SpendEntryRow.customer_id == LoyaltyAccountRow.customer_id,
            SpendEntryRow.occurred_at > since,
            SpendEntryRow.occurred_at <= now,
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(LoyaltyAccountRow.customer_id, LoyaltyAccountRow.balance, spend).where(
            LoyaltyAccountRow.customer_id.in_(set(ids))
        )
    )
    return {cid: (int(balance), int(total)) for cid, balance, total in rows}


async def points_page(
    session: AsyncSession, customer_id: int, *, first: int, before_id: int | None
) -> list[PointsEntryRow]:
    """Newest first; ``first + 1`` rows so the caller knows whether there is a next page."""
    stmt = (
        select(PointsEntryRow)
        .where(PointsEntryRow.customer_id == customer_id)
        .order_by(PointsEntryRow.id.desc())
        .limit(first + 1)
    )
    if before_id is not None:
        stmt = stmt.where(PointsEntryRow.id < before_id)
    return list(await session.scalars(stmt))


async def points_pages(
    session: AsyncSession, customer_ids: Sequence[int], *, first: int, before_id: int | None
) -> dict[int, list[PointsEntryRow]]:
    """:func:`points_page` of many customers in one statement (a list of customers with their
    ledgers must not cost a statement per customer)."""
    ranked = select(
        PointsEntryRow.id,
        func.row_number()
        .over(partition_by=PointsEntryRow.customer_id, order_by=PointsEntryRow.id.desc())
        .label("n"),
    ).where(PointsEntryRow.customer_id.in_(set(customer_ids)))
    if before_id is not None:
        ranked = ranked.where(PointsEntryRow.id < before_id)
    page = ranked.subquery()
    rows = await session.scalars(
        select(PointsEntryRow)
        .join(page, page.c.id == PointsEntryRow.id)
        .where(page.c.n <= first + 1)
        .order_by(PointsEntryRow.customer_id, PointsEntryRow.id.desc())
    )
    out: dict[int, list[PointsEntryRow]] = {c: [] for c in customer_ids}
    for r in rows:
        out[r.customer_id].append(r)
    return out


async def points_entries_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, PointsEntryRow]:
    rows = await session.scalars(select(PointsEntryRow).where(PointsEntryRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def customers_page(
    session: AsyncSession, *, first: int, after_id: int | None, include_inactive: bool
) -> list[CustomerRow]:
    stmt = select(CustomerRow).order_by(CustomerRow.id).limit(first + 1)
    if not include_inactive:
        stmt = stmt.where(CustomerRow.status == CustomerStatus.ACTIVE)
    if after_id is not None:
        stmt = stmt.where(CustomerRow.id > after_id)
    return list(await session.scalars(stmt))


async def merges_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, CustomerMergeRow]:
    rows = await session.scalars(select(CustomerMergeRow).where(CustomerMergeRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def merges_into(
    session: AsyncSession, survivor_ids: Sequence[int]
) -> dict[int, list[CustomerMergeRow]]:
    rows = await session.scalars(
        select(CustomerMergeRow)
        .where(CustomerMergeRow.survivor_id.in_(set(survivor_ids)))
        .order_by(CustomerMergeRow.id)
    )
    out: dict[int, list[CustomerMergeRow]] = {}
    for r in rows:
        out.setdefault(r.survivor_id, []).append(r)
    return out
