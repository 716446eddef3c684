"""Helpers for the store-credit and refund tests: customers through loyalty's services, and a
bare order with tenders (refunds need only the order row and its tenders; returns tests use
the checkout)."""

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


async def fulfil_all(runtime: Runtime, order_id: int) -> None:
    """Ship and deliver (or pick up) every open fulfillment order of the order, as the stores
    would; carry-out ones are handed over at the till already."""
    from fulfillment.services import fulfillment_work as work

    fos = await rows(
        runtime,
        "SELECT id, method::text, status::text, pickup_code FROM fulfillment_orders "
        "WHERE order_id = :o ORDER BY id",
        o=order_id,
    )
    for fo_id, method, status, _ in fos:
        if status in ("PICKED_UP", "DELIVERED", "CANCELLED", "REJECTED"):
            continue
        await work.start(runtime.uow(), fulfillment_order_id=fo_id, actor="staff:wh")
        if method == "SHIP":
            await work.ship(
                runtime.uow(),
                fulfillment_order_id=fo_id,
                carrier="CDEK",
                tracking_number=f"T{fo_id}",
                actor="staff:wh",
            )
            await work.deliver(runtime.uow(), fulfillment_order_id=fo_id, actor="carrier")
        else:
            await work.mark_ready(runtime.uow(), fulfillment_order_id=fo_id, actor="staff:s")
            code = await scalar(
                runtime, "SELECT pickup_code FROM fulfillment_orders WHERE id = :i", i=fo_id
            )
            await work.pick_up(
                runtime.uow(), fulfillment_order_id=fo_id, code=code, actor="staff:s"
            )


def staff(location_ids: list[int], role: str = "CASHIER") -> Any:
    """A staff principal at ``location_ids`` (service-level tests)."""
    from domain.access.model import Channel, Principal, PrincipalKind, Role

    return Principal(
        kind=PrincipalKind.STAFF,
        role=Role(role),
        channel=Channel.POS,
        staff_user_id=7,
        location_ids=frozenset(location_ids),
        client_location_id=location_ids[0] if location_ids else None,
    )
