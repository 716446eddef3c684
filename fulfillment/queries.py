"""Read functions other contexts may call (clienteling, loyalty): orders and carts of a
customer, without reaching into this context's tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment.model import CartStatus, OrderStatus
from fulfillment.tables import (
    CartLineRow,
    CartRow,
    FulfillmentOrderRow,
    OrderLineRow,
    OrderRow,
    RefundRow,
    TenderRow,
)


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


# -- read side for the orders API (loaders: one query per batch) ------------------------------


async def orders_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, OrderRow]:
    rows = await session.scalars(select(OrderRow).where(OrderRow.id.in_(list(ids))))
    return {r.id: r for r in rows}


async def order_by_number(session: AsyncSession, number: str) -> OrderRow | None:
    return await session.scalar(select(OrderRow).where(OrderRow.number == number.strip().upper()))


async def _by_parent(
    session: AsyncSession, table: Any, column: Any, ids: Sequence[int]
) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in ids}
    for row in await session.scalars(select(table).where(column.in_(list(ids))).order_by(table.id)):
        out[getattr(row, column.key)].append(row)
    return out


async def lines_of_orders(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, list[OrderLineRow]]:
    return await _by_parent(session, OrderLineRow, OrderLineRow.order_id, order_ids)


async def tenders_of_orders(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, list[TenderRow]]:
    return await _by_parent(session, TenderRow, TenderRow.order_id, order_ids)


async def refunds_of_orders(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, list[RefundRow]]:
    return await _by_parent(session, RefundRow, RefundRow.order_id, order_ids)


async def fulfillment_order_ids_of_orders(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {i: [] for i in order_ids}
    rows = await session.execute(
        select(FulfillmentOrderRow.order_id, FulfillmentOrderRow.id)
        .where(FulfillmentOrderRow.order_id.in_(list(order_ids)))
        .order_by(FulfillmentOrderRow.id)
    )
    for order_id, fo_id in rows:
        out[order_id].append(fo_id)
    return out


async def carts_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, CartRow]:
    rows = await session.scalars(select(CartRow).where(CartRow.id.in_(list(ids))))
    return {r.id: r for r in rows}


async def lines_of_carts(
    session: AsyncSession, cart_ids: Sequence[int]
) -> dict[int, list[CartLineRow]]:
    return await _by_parent(session, CartLineRow, CartLineRow.cart_id, cart_ids)


async def variant_titles(
    session: AsyncSession, variant_ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """(sku, title) per variant: the product title, plus the variant's own title if any."""
    rows = await session.execute(
        text(
            "SELECT v.id, v.sku, p.title, v.title FROM variants v "
            "JOIN products p ON p.id = v.product_id WHERE v.id = ANY(:ids)"
        ),
        {"ids": list(set(variant_ids))},
    )
    out: dict[int, tuple[str, str]] = {}
    for vid, sku, product, variant in rows:
        own = variant if variant and variant != sku else ""
        out[int(vid)] = (str(sku), f"{product} {own}".strip() or str(sku))
    return out


@dataclass(frozen=True)
class OrderFilter:
    customer_ids: tuple[int, ...] | None = None
    location_ids: tuple[int, ...] | None = None  # selling store
    channel: str | None = None
    status: OrderStatus | None = None


async def list_orders(
    session: AsyncSession, f: OrderFilter, *, first: int, after: tuple[datetime, int] | None
) -> list[OrderRow]:
    """Newest first, keyset on (placed_at, id); ``first + 1`` rows (the extra says "more")."""
    stmt = select(OrderRow)
    if f.customer_ids is not None:
        stmt = stmt.where(OrderRow.customer_id.in_(f.customer_ids))
    if f.location_ids is not None:
        stmt = stmt.where(OrderRow.location_id.in_(f.location_ids))
    if f.channel is not None:
        stmt = stmt.where(OrderRow.channel == f.channel)
    if f.status is not None:
        stmt = stmt.where(OrderRow.status == f.status)
    if after is not None:
        stmt = stmt.where(tuple_(OrderRow.placed_at, OrderRow.id) < tuple_(after[0], after[1]))
    stmt = stmt.order_by(OrderRow.placed_at.desc(), OrderRow.id.desc()).limit(first + 1)
    return list(await session.scalars(stmt))


async def recent_orders_of_customers(
    session: AsyncSession, customer_ids: Sequence[int], *, per_customer: int = 10
) -> dict[int, list[OrderRow]]:
    """Each customer's newest orders in every channel (one query for a whole page of customers)."""
    ranked = (
        select(
            OrderRow.id,
            func.row_number()
            .over(
                partition_by=OrderRow.customer_id,
                order_by=(OrderRow.placed_at.desc(), OrderRow.id.desc()),
            )
            .label("rank"),
        )
        .where(OrderRow.customer_id.in_(list(customer_ids)))
        .subquery()
    )
    rows = await session.scalars(
        select(OrderRow)
        .join(ranked, ranked.c.id == OrderRow.id)
        .where(ranked.c.rank <= per_customer)
        .order_by(OrderRow.placed_at.desc(), OrderRow.id.desc())
    )
    out: dict[int, list[OrderRow]] = {i: [] for i in customer_ids}
    for row in rows:
        out[row.customer_id].append(row)  # type: ignore[index]
    return out


@dataclass(frozen=True)
class Promisable:
    """What could still be promised of a variant: shippable from any shipping location, and
    per location (pickup in store)."""

    ship: int
    at: dict[int, int]


async def promisable(session: AsyncSession, variant_ids: Sequence[int]) -> dict[int, Promisable]:
    """Per variant, units free to promise now at active locations (lapsed holds count as free,
    negative levels as 0): one statement for all the variants (cart line loaders)."""
    rows = await session.execute(
        text(
            "SELECT s.variant_id, s.location_id, l.ships, greatest(s.on_hand - s.committed "
            "- s.reserved - s.safety_stock + coalesce((SELECT sum(h.quantity) FROM stock_holds h "
            "WHERE h.variant_id = s.variant_id AND h.location_id = s.location_id "
            "AND h.status = 'ACTIVE' AND h.expires_at <= now()), 0), 0)::integer AS free "
            "FROM stock_levels s JOIN locations l ON l.id = s.location_id "
            "WHERE l.active AND s.variant_id = ANY(:ids)"
        ),
        {"ids": list(set(variant_ids))},
    )
    ship: dict[int, int] = {}
    at: dict[int, dict[int, int]] = {}
    for variant_id, location_id, ships, free in rows:
        at.setdefault(variant_id, {})[location_id] = free
        if ships:
            ship[variant_id] = ship.get(variant_id, 0) + free
    return {v: Promisable(ship.get(v, 0), at.get(v, {})) for v in variant_ids}
