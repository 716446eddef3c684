"""Orders for the fulfillment tests, placed without checkout: order rows, stock committed where
routing says, fulfillment orders created - the same calls checkout makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy import select, text

from api.runtime import Runtime
from fulfillment.model import FulfillmentMethod, OrderStatus, TenderKind
from fulfillment.services import routing
from fulfillment.services.fulfillment_orders import (
    FulfillmentItem,
    create_fulfillment_orders,
    order_owner,
)
from fulfillment.sourcing import RouteLine, RouteRequest
from fulfillment.tables import FulfillmentOrderRow, OrderLineRow, OrderRow, TenderRow
from inventory.services import commit_direct, receive_stock

_numbers = count(1)


@dataclass(frozen=True)
class Placed:
    order_id: int
    number: str
    line_ids: list[int]
    fo_ids: list[int]


async def stock(runtime: Runtime, variant_id: int, location_id: int, quantity: int) -> None:
    await receive_stock(
        runtime.uow(),
        variant_id=variant_id,
        location_id=location_id,
        quantity=quantity,
        actor="test",
    )


async def place_order(
    runtime: Runtime,
    lines: list[tuple[int, int, FulfillmentMethod, int | None]],
    *,
    ship_to: tuple[float, float] | None = None,
    customer_id: int | None = None,
    unit_price: int = 0,
) -> Placed:
    """``lines``: (variant id, quantity, method, pickup store). Every line must be servable.
    With ``unit_price`` every line costs that per unit and the order is paid by one card."""
    number = f"T-{next(_numbers):06d}"
    now = datetime.now(UTC)
    uow = runtime.uow()
    async with uow:
        s = uow.session
        order = OrderRow(
            number=number,
            channel="WEB",
            status=OrderStatus.PLACED,
            customer_id=customer_id,
            currency="RUB",
            subtotal=unit_price * sum(q for _, q, _, _ in lines),
            total=unit_price * sum(q for _, q, _, _ in lines),
            price_snapshot={},
            sourcing={},
            ship_address=(
                {"latitude": ship_to[0], "longitude": ship_to[1]} if ship_to is not None else None
            ),
            actor="test",
        )
        s.add(order)
        await s.flush()
        rows = []
        for n, (variant_id, qty, method, store) in enumerate(lines, start=1):
            row = OrderLineRow(
                order_id=order.id,
                line_no=n,
                variant_id=variant_id,
                sku=f"SKU-{variant_id}",
                quantity=qty,
                method=method,
                pickup_location_id=store,
                unit_price=unit_price,
                subtotal=unit_price * qty,
                total=unit_price * qty,
                tax_rate_bp=2000,
                discounts=[],
                cancelled_quantity=0,
                fulfilled_quantity=0,
                returned_quantity=0,
            )
            s.add(row)
            rows.append(row)
        if order.total:
            s.add(TenderRow(order_id=order.id, kind=TenderKind.CARD, amount=order.total))
        await s.flush()
        decision = await routing.plan(
            s,
            RouteRequest(
                tuple(
                    RouteLine(
                        row.id, row.variant_id, row.quantity, row.method, row.pickup_location_id
                    )
                    for row in rows
                ),
                ship_to=ship_to,
                now=now,
            ),
        )
        assert not decision.shortfalls, decision.shortfalls
        items = []
        for alloc in decision.allocations:
            hold = await commit_direct(
                uow,
                variant_id=alloc.variant_id,
                location_id=alloc.location_id,
                quantity=alloc.quantity,
                owner_ref=order_owner(number),
                actor="test",
            )
            items.append(FulfillmentItem(alloc.key, alloc, hold.hold_id))
        order.sourcing = decision.to_json()
        fo_ids = await create_fulfillment_orders(
            uow, order_id=order.id, items=items, actor="test", now=now
        )
        await uow.commit()
    return Placed(order.id, number, [r.id for r in rows], fo_ids)


async def fo_row(runtime: Runtime, fo_id: int) -> FulfillmentOrderRow:
    async with runtime.session_factory() as s:
        row = await s.scalar(select(FulfillmentOrderRow).where(FulfillmentOrderRow.id == fo_id))
        assert row is not None
        return row


async def fos_of(runtime: Runtime, order_id: int) -> list[FulfillmentOrderRow]:
    async with runtime.session_factory() as s:
        return list(
            await s.scalars(
                select(FulfillmentOrderRow)
                .where(FulfillmentOrderRow.order_id == order_id)
                .order_by(FulfillmentOrderRow.id)
            )
        )


async def order_state(runtime: Runtime, order_id: int) -> dict[str, Any]:
    async with runtime.engine.connect() as conn:
        status = await conn.scalar(
            text("SELECT status::text FROM orders WHERE id = :o"), {"o": order_id}
        )
        lines = (
            await conn.execute(
                text(
                    "SELECT id, cancelled_quantity, fulfilled_quantity FROM order_lines "
                    "WHERE order_id = :o ORDER BY id"
                ),
                {"o": order_id},
            )
        ).all()
    return {"status": status, "lines": [tuple(r) for r in lines]}


async def fo_lines(runtime: Runtime, fo_id: int) -> list[tuple[int, int, int, int | None]]:
    """(variant id, quantity, cancelled, hold id) per line."""
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT variant_id, quantity, cancelled_quantity, hold_id "
                "FROM fulfillment_order_lines WHERE fulfillment_order_id = :f ORDER BY id"
            ),
            {"f": fo_id},
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def events(runtime: Runtime, topic: str) -> list[dict[str, Any]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox_events WHERE topic = :t ORDER BY id"), {"t": topic}
        )
        return [r[0] for r in rows]


async def refunds_of(runtime: Runtime, order_id: int) -> list[tuple[str, str, int]]:
    """(kind, reason, amount) of every refund row of the order."""
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT kind::text, reason::text, amount FROM order_refunds "
                "WHERE order_id = :o ORDER BY id"
            ),
            {"o": order_id},
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]
