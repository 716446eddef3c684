"""Returns through the services on orders placed by the real checkout (tests/support/orders)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.runtime import Runtime
from domain.shared.errors import DomainError
from fulfillment.returns import services as returns
from fulfillment.returns.errors import ReturnQuantityExceeded, ReturnState, ReturnWindowClosed
from fulfillment.returns.model import Disposition, ReturnReason
from fulfillment.returns.services import ReceiveLine, ReturnLineRequest
from tests.integration.returns.support import fulfil_all, rows, scalar, staff
from tests.support.orders import enrol_customer, level, make_world, place_order

DEFECT = ReturnReason.DEFECTIVE
MIND = ReturnReason.CHANGED_MIND


async def _line_ids(runtime: Runtime, order_id: int) -> list[int]:
    return [
        r[0]
        for r in await rows(
            runtime, "SELECT id FROM order_lines WHERE order_id = :o ORDER BY line_no", o=order_id
        )
    ]


async def _return_lines(runtime: Runtime, return_id: int) -> list[int]:
    return [
        r[0]
        for r in await rows(
            runtime, "SELECT id FROM return_lines WHERE return_id = :r ORDER BY id", r=return_id
        )
    ]


async def _state(
    runtime: Runtime, world: Any, customer_id: int | None, order_id: int
) -> dict[str, Any]:
    """Everything a return may change."""
    return {
        "levels": await rows(
            runtime,
            "SELECT variant_id, location_id, on_hand, committed, damaged, quality_control "
            "FROM stock_levels ORDER BY 1, 2",
        ),
        "movements": await scalar(runtime, "SELECT count(*) FROM stock_movements"),
        "returns": await scalar(runtime, "SELECT count(*) FROM returns"),
        "refunds": await rows(runtime, "SELECT tender_id, amount FROM order_refunds ORDER BY id"),
        "tenders": await rows(runtime, "SELECT id, refunded FROM order_tenders ORDER BY id"),
        "lines": await rows(
            runtime,
            "SELECT id, cancelled_quantity, fulfilled_quantity, returned_quantity "
            "FROM order_lines WHERE order_id = :o ORDER BY id",
            o=order_id,
        ),
        "points": await scalar(
            runtime, "SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=customer_id
        ),
    }


async def test_web_order_returned_at_another_store_restocks_there_and_refunds_exactly(
    runtime: Runtime,
) -> None:
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    cid = await enrol_customer(runtime)
    placed = await place_order(runtime, world, lines=[("HP-100", 1, "SHIP")], customer_id=cid)
    await fulfil_all(runtime, placed.order_id)
    total, earned = (
        await rows(
            runtime, "SELECT total, points_earned FROM orders WHERE id = :o", o=placed.order_id
        )
    )[0]
    line_total = await scalar(
        runtime, "SELECT total FROM order_lines WHERE order_id = :o", o=placed.order_id
    )
    assert earned > 0
    points_before = await scalar(
        runtime, "SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=cid
    )
    s02 = world.locations["S02"]
    before = await level(runtime, world, "HP-100", "S02")

    (line_id,) = await _line_ids(runtime, placed.order_id)
    rid = await returns.create_return(
        runtime.uow(),
        world.principal("APP", customer_id=cid),
        order_id=placed.order_id,
        lines=[ReturnLineRequest(line_id, 1, MIND)],
    )
    (rl,) = await _return_lines(runtime, rid)
    await returns.receive_return(
        runtime.uow(),
        staff([s02]),
        return_id=rid,
        location_id=s02,
        lines=[ReceiveLine(rl, Disposition.RESTOCK)],
    )
    after = await level(runtime, world, "HP-100", "S02")
    assert after["on_hand"] == before["on_hand"] + 1
    assert await rows(
        runtime,
        "SELECT location_id, kind::text, reason, d_on_hand, document_ref "
        "FROM stock_movements WHERE kind = 'RETURN'",
    ) == [(s02, "RETURN", "RESTOCK", 1, f"return:{rid}")]
    assert await rows(runtime, "SELECT kind::text, reason::text, amount FROM order_refunds") == [
        ("CARD", "RETURN", line_total)
    ]
    assert await rows(
        runtime,
        "SELECT status::text, location_id, refund_goods, refund_shipping, refund_total, "
        "points_reversed FROM returns",
    ) == [("RECEIVED", s02, line_total, 0, line_total, earned)]
    assert (
        await scalar(runtime, "SELECT returned_quantity FROM order_lines WHERE id = :i", i=line_id)
        == 1
    )
    assert (
        await scalar(runtime, "SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=cid)
        == points_before - earned
    )
    assert total == line_total + await scalar(
        runtime, "SELECT shipping - shipping_discount FROM orders"
    )
    topics = await rows(
        runtime,
        "SELECT topic, payload->>'status' FROM outbox_events WHERE topic = 'returns' ORDER BY id",
    )
    assert topics == [("returns", "REQUESTED"), ("returns", "RECEIVED")]


async def test_returning_more_than_was_bought_changes_nothing(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 5})
    cid = await enrol_customer(runtime)
    placed = await place_order(
        runtime, world, lines=[("HP-200", 2, "PICKUP", "S01")], customer_id=cid
    )
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _line_ids(runtime, placed.order_id)
    before = await _state(runtime, world, cid, placed.order_id)
    with pytest.raises(ReturnQuantityExceeded) as err:
        await returns.create_return(
            runtime.uow(),
            staff([world.locations["S02"]]),
            order_id=placed.order_id,
            lines=[ReturnLineRequest(line_id, 3, DEFECT)],
        )
    assert err.value.field == "lines[0].quantity"
    assert "bought 2 time(s)" in err.value.message and "at most 2" in err.value.message
    assert await _state(runtime, world, cid, placed.order_id) == before


async def test_units_on_an_open_return_cannot_be_claimed_twice(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 5})
    placed = await place_order(runtime, world, lines=[("HP-200", 2, "PICKUP", "S01")])
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _line_ids(runtime, placed.order_id)
    clerk = staff([world.locations["S01"]])

    async def one() -> bool:
        try:
            await returns.create_return(
                runtime.uow(),
                clerk,
                order_id=placed.order_id,
                lines=[ReturnLineRequest(line_id, 2, MIND)],
            )
            return True
        except ReturnQuantityExceeded:
            return False

    assert sorted(await asyncio.gather(*(one() for _ in range(8)))) == [False] * 7 + [True]
    assert await scalar(runtime, "SELECT count(*) FROM returns") == 1


async def test_a_replayed_receipt_moves_stock_and_refunds_once(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 5})
    placed = await place_order(runtime, world, lines=[("HP-200", 1, "PICKUP", "S01")])
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _line_ids(runtime, placed.order_id)
    s01 = world.locations["S01"]
    rid = await returns.create_return(
        runtime.uow(),
        staff([s01]),
        order_id=placed.order_id,
        lines=[ReturnLineRequest(line_id, 1, MIND)],
    )
    (rl,) = await _return_lines(runtime, rid)

    async def receive() -> str:
        try:
            await returns.receive_return(
                runtime.uow(),
                staff([s01]),
                return_id=rid,
                location_id=s01,
                lines=[ReceiveLine(rl, Disposition.RESTOCK)],
            )
            return "ok"
        except ReturnState:
            return "refused"

    outcomes = await asyncio.gather(*(receive() for _ in range(8)))
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    assert await scalar(runtime, "SELECT count(*) FROM stock_movements WHERE kind = 'RETURN'") == 1
    assert await scalar(runtime, "SELECT count(*) FROM order_refunds") == 1
    assert await scalar(runtime, "SELECT returned_quantity FROM order_lines") == 1


async def test_units_never_shipped_are_cancelled_and_their_stock_released(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    placed = await place_order(runtime, world, lines=[("HP-100", 2, "SHIP")])
    (line_id,) = await _line_ids(runtime, placed.order_id)
    assert (await level(runtime, world, "HP-100", "WH"))["committed"] == 2
    line_total = await scalar(runtime, "SELECT total FROM order_lines")
    rid = await returns.create_return(
        runtime.uow(),
        staff([world.locations["S01"]]),
        order_id=placed.order_id,
        lines=[ReturnLineRequest(line_id, 1, MIND)],
    )
    assert (await level(runtime, world, "HP-100", "WH"))["committed"] == 1
    assert await rows(runtime, "SELECT status::text, refund_goods FROM returns") == [
        ("RECEIVED", line_total // 2)
    ]
    assert await rows(runtime, "SELECT quantity, cancelled_quantity FROM return_lines") == [(0, 1)]
    assert await rows(runtime, "SELECT reason::text, amount, reference FROM order_refunds") == [
        ("CANCELLATION", line_total // 2, f"return:{rid}:cancel")
    ]
    assert await scalar(runtime, "SELECT cancelled_quantity FROM order_lines") == 1


async def test_the_window_closes_for_customers_and_staff_override_is_recorded(
    runtime: Runtime,
) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 5})
    cid = await enrol_customer(runtime)
    placed = await place_order(
        runtime, world, lines=[("HP-200", 1, "PICKUP", "S01")], customer_id=cid
    )
    await fulfil_all(runtime, placed.order_id)
    async with runtime.engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(
            text("UPDATE fulfillment_orders SET completed_at = now() - interval '15 days'")
        )
    (line_id,) = await _line_ids(runtime, placed.order_id)
    with pytest.raises(ReturnWindowClosed) as err:
        await returns.create_return(
            runtime.uow(),
            world.principal("APP", customer_id=cid),
            order_id=placed.order_id,
            lines=[ReturnLineRequest(line_id, 1, MIND)],
        )
    assert "within 14 days" in err.value.message
    with pytest.raises(ReturnWindowClosed):
        await returns.create_return(
            runtime.uow(),
            staff([world.locations["S01"]]),
            order_id=placed.order_id,
            lines=[ReturnLineRequest(line_id, 1, MIND)],
        )
    assert await scalar(runtime, "SELECT count(*) FROM returns") == 0
    await returns.create_return(
        runtime.uow(),
        staff([world.locations["S01"]]),
        order_id=placed.order_id,
        lines=[ReturnLineRequest(line_id, 1, DEFECT)],
        window_override_reason="manager: defect after 15 days",
    )
    assert await rows(
        runtime, "SELECT window_override_reason, window_override_by FROM returns"
    ) == [("manager: defect after 15 days", "staff:7")]
    await returns.set_window(runtime.uow(), channel=None, days=30, actor="admin")
    await returns.cancel_return(
        runtime.uow(), staff([]), return_id=int(await scalar(runtime, "SELECT id FROM returns"))
    )
    await returns.create_return(
        runtime.uow(),
        world.principal("APP", customer_id=cid),
        order_id=placed.order_id,
        lines=[ReturnLineRequest(line_id, 1, MIND)],
    )
    assert await scalar(runtime, "SELECT count(*) FROM returns WHERE status = 'REQUESTED'") == 1


async def test_another_customer_cannot_return_my_order(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 5})
    me = await enrol_customer(runtime)
    other = await enrol_customer(runtime, "+79160000000")
    placed = await place_order(
        runtime, world, lines=[("HP-200", 1, "PICKUP", "S01")], customer_id=me
    )
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _line_ids(runtime, placed.order_id)
    with pytest.raises(DomainError) as err:
        await returns.create_return(
            runtime.uow(),
            world.principal("APP", customer_id=other),
            order_id=placed.order_id,
            lines=[ReturnLineRequest(line_id, 1, MIND)],
        )
    assert err.value.code == "ORDER_NOT_FOUND"


async def test_refund_to_store_credit(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 5})
    cid = await enrol_customer(runtime)
    placed = await place_order(
        runtime, world, lines=[("HP-200", 2, "PICKUP", "S01")], customer_id=cid
    )
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _line_ids(runtime, placed.order_id)
    s01 = world.locations["S01"]
    rid = await returns.create_return(
        runtime.uow(),
        staff([s01]),
        order_id=placed.order_id,
        lines=[ReturnLineRequest(line_id, 1, MIND)],
        to_store_credit=True,
    )
    (rl,) = await _return_lines(runtime, rid)
    await returns.receive_return(
        runtime.uow(),
        staff([s01]),
        return_id=rid,
        location_id=s01,
        lines=[ReceiveLine(rl, Disposition.DAMAGED)],
    )
    assert (
        await scalar(
            runtime, "SELECT balance FROM store_credit_accounts WHERE customer_id = :c", c=cid
        )
        == 349_000
    )
    assert await rows(
        runtime, "SELECT on_hand, damaged FROM stock_levels WHERE location_id = :l", l=s01
    ) == [(3, 1)]


async def test_returns_of_customer_follow_a_merge(runtime: Runtime) -> None:
    from fulfillment.returns.queries import returns_of_customer
    from loyalty.services import merge_customers

    world = await make_world(runtime, stock={("HP-200", "S01"): 5})
    duplicate = await enrol_customer(runtime, "+79160000001")
    survivor = await enrol_customer(runtime, "+79160000002")
    placed = await place_order(
        runtime, world, lines=[("HP-200", 1, "PICKUP", "S01")], customer_id=duplicate
    )
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _line_ids(runtime, placed.order_id)
    rid = await returns.create_return(
        runtime.uow(),
        staff([world.locations["S01"]]),
        order_id=placed.order_id,
        lines=[ReturnLineRequest(line_id, 1, MIND)],
    )
    await merge_customers(
        runtime.uow(), survivor_id=survivor, duplicate_id=duplicate, actor="staff:1"
    )
    async with runtime.session_factory() as session:
        found = await returns_of_customer(session, survivor)
        assert await returns_of_customer(session, duplicate) == []
    assert [(r.id, r.order_id, r.status, r.location_id, r.refund_total) for r in found] == [
        (rid, placed.order_id, "REQUESTED", world.locations["S01"], 0)
    ]
    assert found[0].order_number == placed.number and found[0].currency == "RUB"


async def test_bought_in_a_store_returned_by_post_to_the_warehouse(runtime: Runtime) -> None:
    from tests.support.orders import pos_sale

    world = await make_world(runtime, stock={("HP-200", "S01"): 2})
    cid = await enrol_customer(runtime)
    sale = await pos_sale(
        runtime, world, "S01", lines=[("HP-200", 1)], client_sale_id="T1-9", customer_id=cid
    )
    (line_id,) = await _line_ids(runtime, sale.order_id)
    rid = await returns.create_return(
        runtime.uow(),
        world.principal("APP", customer_id=cid),
        order_id=sale.order_id,
        lines=[ReturnLineRequest(line_id, 1, ReturnReason.NOT_AS_DESCRIBED)],
    )
    (rl,) = await _return_lines(runtime, rid)
    wh = world.locations["WH"]
    await returns.receive_return(
        runtime.uow(),
        staff([wh], role="WAREHOUSE"),
        return_id=rid,
        location_id=wh,
        lines=[ReceiveLine(rl, Disposition.QUALITY_CONTROL)],
    )
    assert await rows(
        runtime,
        "SELECT on_hand, quality_control FROM stock_levels WHERE location_id = :l",
        l=wh,
    ) == [(0, 1)]
    assert await rows(runtime, "SELECT kind::text, amount FROM order_refunds") == [
        ("CASH", 349_000)
    ]


async def test_delivery_is_refunded_only_when_all_comes_back_for_the_stores_fault(
    runtime: Runtime,
) -> None:
    world = await make_world(runtime, stock={("HP-200", "WH"): 5})
    placed = await place_order(runtime, world, lines=[("HP-200", 1, "SHIP")])
    other = await place_order(runtime, world, lines=[("HP-200", 1, "SHIP")])
    for p in (placed, other):
        await fulfil_all(runtime, p.order_id)
    shipping = await scalar(
        runtime, "SELECT shipping - shipping_discount FROM orders WHERE id = :o", o=placed.order_id
    )
    assert shipping == 39_000  # courier below the free-delivery threshold
    s01 = world.locations["S01"]
    for p, reason in ((placed, DEFECT), (other, MIND)):
        (line_id,) = await _line_ids(runtime, p.order_id)
        rid = await returns.create_return(
            runtime.uow(),
            staff([s01]),
            order_id=p.order_id,
            lines=[ReturnLineRequest(line_id, 1, reason)],
        )
        (rl,) = await _return_lines(runtime, rid)
        await returns.receive_return(
            runtime.uow(),
            staff([s01]),
            return_id=rid,
            location_id=s01,
            lines=[ReceiveLine(rl, Disposition.DAMAGED)],
        )
    assert await rows(
        runtime, "SELECT order_id, refund_goods, refund_shipping FROM returns ORDER BY id"
    ) == [(placed.order_id, 349_000, 39_000), (other.order_id, 349_000, 0)]
    assert await rows(
        runtime, "SELECT order_id, sum(amount) FROM order_refunds GROUP BY 1 ORDER BY 1"
    ) == [(placed.order_id, 388_000), (other.order_id, 349_000)]
