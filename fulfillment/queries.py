"""Read functions other contexts may call (clienteling, loyalty): orders and carts of a
customer, without reaching into this context's tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment.model import CartStatus, OrderStatus
from fulfillment.tables import CartLineRow, CartRow, OrderRow


@dataclass(frozen=True)
class OrderSummary:
    id: int
    number: str
    channel: str
    status: OrderStatus
    customer_id: int | None
    location_id: int | None
    placed_at: datetime
    currency: str
    total: int


def _summary(row: OrderRow) -> OrderSummary:
    return OrderSummary(
        row.id,
        row.number,
        row.channel,
        row.status,
        row.customer_id,
        row.location_id,
        row.placed_at,
        row.currency,
        row.total,
    )


async def orders_of_customers(
    session: AsyncSession,
    customer_ids: Sequence[int],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[OrderSummary]:
    """Orders of these customers in every channel, newest first."""
    if not customer_ids:
        return []
    query = select(OrderRow).where(OrderRow.customer_id.in_(customer_ids))
    if since is not None:
        query = query.where(OrderRow.placed_at >= since)
    if until is not None:
        query = query.where(OrderRow.placed_at < until)
    rows = await session.scalars(
        query.order_by(OrderRow.placed_at.desc(), OrderRow.id.desc()).limit(limit)
    )
    return [_summary(r) for r in rows]


@dataclass(frozen=True)
class CartSummary:
    id: int
    channel: str
    customer_id: int | None
    location_id: int | None
    updated_at: datetime
    variant_quantities: tuple[tuple[int, int], ...]  # (variant id, quantity) per line


async def open_carts_of_customer(session: AsyncSession, customer_id: int) -> list[CartSummary]:
    carts = list(
        await session.scalars(
            select(CartRow)
            .where(CartRow.customer_id == customer_id, CartRow.status == CartStatus.OPEN)
            .order_by(CartRow.updated_at.desc())
        )
    )
    if not carts:
        return []
    lines = await session.scalars(
        select(CartLineRow)
        .where(CartLineRow.cart_id.in_([c.id for c in carts]))
        .order_by(CartLineRow.id)
    )
    by_cart: dict[int, list[tuple[int, int]]] = {}
    for line in lines:
        by_cart.setdefault(line.cart_id, []).append((line.variant_id, line.quantity))
    return [
        CartSummary(
            c.id,
            c.channel,
            c.customer_id,
            c.location_id,
            c.updated_at,
            tuple(by_cart.get(c.id, ())),
        )
        for c in carts
    ]
