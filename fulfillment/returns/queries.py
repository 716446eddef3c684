"""Read side of returns: by ids (loaders), pages by order, customer or location, and the
short list for a customer's 360 view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment.returns.tables import ReturnLineRow, ReturnRow
from fulfillment.tables import OrderRow


@dataclass(frozen=True)
class ReturnSummary:
    id: int
    order_id: int
    order_number: str
    status: str
    location_id: int | None  # received at (or, until received, the store that started it)
    created_at: datetime
    refund_total: int
    currency: str


async def returns_of_customer(
    session: AsyncSession, customer_id: int, limit: int = 20
) -> list[ReturnSummary]:
    """The customer's latest returns, newest first."""
    rows = await session.execute(
        select(ReturnRow, OrderRow.number)
        .join(OrderRow, OrderRow.id == ReturnRow.order_id)
        .where(ReturnRow.customer_id == customer_id)
        .order_by(ReturnRow.id.desc())
        .limit(limit)
    )
    return [
        ReturnSummary(
            id=r.id,
            order_id=r.order_id,
            order_number=number,
            status=r.status.value,
            location_id=r.location_id or r.started_at_location_id,
            created_at=r.created_at,
            refund_total=r.refund_total,
            currency=r.currency,
        )
        for r, number in rows
    ]


async def returns_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ReturnRow]:
    rows = await session.scalars(select(ReturnRow).where(ReturnRow.id.in_(list(ids))))
    return {r.id: r for r in rows}


async def lines_of_returns(
    session: AsyncSession, return_ids: Sequence[int]
) -> dict[int, list[ReturnLineRow]]:
    rows = await session.scalars(
        select(ReturnLineRow)
        .where(ReturnLineRow.return_id.in_(list(return_ids)))
        .order_by(ReturnLineRow.return_id, ReturnLineRow.id)
    )
    out: dict[int, list[ReturnLineRow]] = {}
    for r in rows:
        out.setdefault(r.return_id, []).append(r)
    return out


async def returns_page(
    session: AsyncSession,
    *,
    first: int,
    before_id: int | None = None,
    order_id: int | None = None,
    customer_id: int | None = None,
    location_ids: Sequence[int] | None = None,
) -> list[ReturnRow]:
    """Newest first, ``first + 1`` rows (the extra one says a next page exists). A location
    filter matches returns received there or started there."""
    stmt = select(ReturnRow).order_by(ReturnRow.id.desc()).limit(first + 1)
    if before_id is not None:
        stmt = stmt.where(ReturnRow.id < before_id)
    if order_id is not None:
        stmt = stmt.where(ReturnRow.order_id == order_id)
    if customer_id is not None:
        stmt = stmt.where(ReturnRow.customer_id == customer_id)
    if location_ids is not None:
        ids = list(location_ids)
        stmt = stmt.where(
            or_(ReturnRow.location_id.in_(ids), ReturnRow.started_at_location_id.in_(ids))
        )
    return list(await session.scalars(stmt))
