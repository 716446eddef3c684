"""Read-side SQL for fulfillment orders: loaders (by id, by order, lines) and a store's queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment.model import FulfillmentStatus
from fulfillment.tables import FulfillmentOrderLineRow, FulfillmentOrderRow, OrderLineRow, OrderRow


async def fulfillment_orders_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, FulfillmentOrderRow]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(FulfillmentOrderRow).where(FulfillmentOrderRow.id.in_(set(ids)))
    )
    return {r.id: r for r in rows}


async def fulfillment_orders_by_order_ids(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, list[FulfillmentOrderRow]]:
    """Per order, its fulfillment orders in creation order (one statement for the batch)."""
    if not order_ids:
        return {}
    rows = await session.scalars(
        select(FulfillmentOrderRow)
        .where(FulfillmentOrderRow.order_id.in_(set(order_ids)))
        .order_by(FulfillmentOrderRow.order_id, FulfillmentOrderRow.id)
    )
    out: dict[int, list[FulfillmentOrderRow]] = {}
    for r in rows:
        out.setdefault(r.order_id, []).append(r)
    return out


@dataclass(frozen=True)
class FoLine:
    id: int
    fulfillment_order_id: int
    order_line_id: int
    variant_id: int
    sku: str
    title: str
    quantity: int
    cancelled_quantity: int


async def lines_by_fulfillment_order_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[FoLine]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(FulfillmentOrderLineRow, OrderLineRow.sku, OrderLineRow.title)
        .join(OrderLineRow, OrderLineRow.id == FulfillmentOrderLineRow.order_line_id)
        .where(FulfillmentOrderLineRow.fulfillment_order_id.in_(set(ids)))
        .order_by(FulfillmentOrderLineRow.fulfillment_order_id, FulfillmentOrderLineRow.id)
    )
    out: dict[int, list[FoLine]] = {}
    for line, sku, title in rows:
        out.setdefault(line.fulfillment_order_id, []).append(
            FoLine(
                line.id,
                line.fulfillment_order_id,
                line.order_line_id,
                line.variant_id,
                sku,
                title,
                line.quantity,
                line.cancelled_quantity,
            )
        )
    return out


@dataclass(frozen=True)
class OrderRef:
    id: int
    number: str
    customer_id: int | None
    channel: str


async def order_refs_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, OrderRef]:
    if not ids:
        return {}
    rows = await session.execute(
        select(OrderRow.id, OrderRow.number, OrderRow.customer_id, OrderRow.channel).where(
            OrderRow.id.in_(set(ids))
        )
    )
    return {r.id: OrderRef(r.id, r.number, r.customer_id, r.channel) for r in rows}


async def queue(
    session: AsyncSession,
    *,
    location_id: int,
    statuses: Sequence[FulfillmentStatus] | None,
    after_id: int | None,
    limit: int,
) -> list[FulfillmentOrderRow]:
    """A location's work: what it fulfils, and transfers coming to it as a pickup store;
    oldest first (first come, first served)."""
    stmt = (
        select(FulfillmentOrderRow)
        .where(
            or_(
                FulfillmentOrderRow.location_id == location_id,
                FulfillmentOrderRow.pickup_location_id == location_id,
            )
        )
        .order_by(FulfillmentOrderRow.id)
        .limit(limit)
    )
    if statuses:
        stmt = stmt.where(FulfillmentOrderRow.status.in_(list(statuses)))
    if after_id is not None:
        stmt = stmt.where(FulfillmentOrderRow.id > after_id)
    return list(await session.scalars(stmt))
