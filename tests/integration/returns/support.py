"""Helpers for the store-credit and refund tests: customers through loyalty's services, and a
bare order with tenders (refunds need only the order row and its tenders; returns tests use
engineer A's checkout)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from api.runtime import Runtime
from fulfillment.model import OrderStatus, TenderKind
from fulfillment.tables import OrderRow, TenderRow
from loyalty import services as loyalty


async def make_customer(runtime: Runtime, phone: str = "+79161234567") -> int:
    return await loyalty.enrol(
        runtime.uow(), phone=phone, actor="staff:1", channel="POS", location_id=None
    )


async def paid_order(
    runtime: Runtime,
    *,
    customer_id: int | None,
    tenders: list[tuple[TenderKind, int, int]],
    number: str = "100001",
) -> tuple[int, list[int]]:
    """An order of the tenders' total, paid by ``tenders`` = [(kind, amount, points)]. A POINTS
    tender redeems its points from the customer against the order number, as checkout does."""
    total = sum(a for _, a, _ in tenders)
    uow = runtime.uow()
    async with uow:
        order = OrderRow(
            number=number,
            channel="WEB",
            status=OrderStatus.PLACED,
            customer_id=customer_id,
            currency="RUB",
            subtotal=total,
            total=total,
            price_snapshot={},
            actor="test",
        )
        uow.session.add(order)
        await uow.session.flush()
        ids = []
        for kind, amount, points in tenders:
            row = TenderRow(order_id=order.id, kind=kind, amount=amount, points=points)
            uow.session.add(row)
            await uow.session.flush()
            ids.append(row.id)
        await uow.commit()
    for kind, _, points in tenders:
        if kind is TenderKind.POINTS:
            assert customer_id is not None
            await loyalty.adjust_points(
                runtime.uow(), customer_id, points=points, reason="test grant", actor="test"
            )
            await loyalty.redeem_points(
                runtime.uow(), customer_id, points=points, reference=number, actor="test"
            )
    return order.id, ids


async def rows(runtime: Runtime, sql: str, **params: Any) -> list[Any]:
    async with runtime.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def scalar(runtime: Runtime, sql: str, **params: Any) -> Any:
    async with runtime.engine.connect() as conn:
        return await conn.scalar(text(sql), params)
