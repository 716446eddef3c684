"""Fulfillment orders against real PostgreSQL: lifecycle, pickup codes, transfers to the pickup
store, reject and re-source, cancellation, the pickup-deadline sweeper, races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from api.runtime import Runtime
from domain.shared.errors import DomainError, Forbidden
from fulfillment.model import FulfillmentMethod as M
from fulfillment.model import FulfillmentStatus as FS
from fulfillment.services import fulfillment_work as work
from fulfillment.services import rerouting
from fulfillment.services.fulfillment_orders import (
    InvalidTransition,
    NotCancellable,
    PickupCodeInvalid,
    refresh_order_status,
    release_order_lines,
)
from inventory.model import LocationKind
from inventory.queries import discrepancies
from tests.integration.fulfillment.support import (
    events,
    fo_lines,
    fo_row,
    fos_of,
    order_state,
    place_order,
    refunds_of,
    stock,
)
from tests.integration.inventory.support import figures, level, make_variants, snapshot

ADDRESS = (55.75, 37.60)


@pytest.fixture
async def world(runtime: Runtime, make_location: Any) -> dict[str, int]:
    wh = await make_location(
        "WH", LocationKind.WAREHOUSE, latitude=55.60, longitude=37.40, ships=True, priority=10
    )
    s1 = await make_location(
        "S1", latitude=55.76, longitude=37.61, ships=True, offers_pickup=True, sells_in_store=True
    )
    s2 = await make_location(
        "S2", latitude=55.75, longitude=37.59, ships=True, offers_pickup=True, sells_in_store=True
    )
    (tv, phone) = await make_variants(runtime, "TV-55", "PHONE-1")
    return {"wh": wh, "s1": s1, "s2": s2, "tv": tv, "phone": phone}


async def books_straight(runtime: Runtime) -> None:
    async with runtime.session_factory() as s:
        assert await discrepancies(s) == []


async def test_ship_lifecycle_moves_stock_and_completes_the_order(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s2"], 5)
    placed = await place_order(runtime, [(w["tv"], 2, M.SHIP, None)], ship_to=ADDRESS)
    (fo_id,) = placed.fo_ids
    fo = await fo_row(runtime, fo_id)
    assert (fo.location_id, fo.status, fo.method) == (w["s2"], FS.OPEN, M.SHIP)
    assert fo.sourcing["allocations"][0]["reasons"][0].startswith("single location")
    assert await level(runtime, w["tv"], w["s2"]) == figures(on_hand=5, committed=2)

    await work.start(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    with pytest.raises(DomainError) as missing:
        await work.ship(
            runtime.uow(),
            fulfillment_order_id=fo_id,
            carrier="CDEK",
            tracking_number=" ",
            actor="t",
        )
    assert missing.value.field == "trackingNumber"
    await work.ship(
        runtime.uow(), fulfillment_order_id=fo_id, carrier="CDEK", tracking_number="1234", actor="t"
    )
    assert await level(runtime, w["tv"], w["s2"]) == figures(on_hand=3)
    assert (await order_state(runtime, placed.order_id)) == {
        "status": "PLACED",  # the parcel is on its way
        "lines": [(placed.line_ids[0], 0, 2)],
    }
    await work.deliver(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    fo = await fo_row(runtime, fo_id)
    assert (fo.status, fo.carrier, fo.tracking_number) == (FS.DELIVERED, "CDEK", "1234")
    assert (await order_state(runtime, placed.order_id))["status"] == "COMPLETED"
    statuses = [(e["status"], e["previous_status"]) for e in await events(runtime, "fulfillment")]
    assert statuses == [
        ("OPEN", None),
        ("IN_PROGRESS", "OPEN"),
        ("SHIPPED", "IN_PROGRESS"),
        ("DELIVERED", "SHIPPED"),
    ]
    changes = [e["change"] for e in await events(runtime, "orders")]
    assert changes == ["FULFILLMENT", "FULFILLMENT", "FULFILLMENT", "COMPLETED"]
    await books_straight(runtime)


async def test_pickup_with_code_and_wrong_code_changes_nothing(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 3)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    before_ready = datetime.now(UTC)
    await work.mark_ready(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    fo = await fo_row(runtime, fo_id)
    assert fo.status is FS.READY_FOR_PICKUP
    assert fo.pickup_code is not None and len(fo.pickup_code) == 6 and fo.pickup_code.isdigit()
    assert fo.pickup_deadline is not None
    # default profile: 3 days, the store has no hours on file
    assert timedelta(days=3) <= fo.pickup_deadline - before_ready < timedelta(days=3, seconds=30)

    wrong = "000000" if fo.pickup_code != "000000" else "111111"
    before = await snapshot(runtime)
    with pytest.raises(PickupCodeInvalid):
        await work.pick_up(runtime.uow(), fulfillment_order_id=fo_id, code=wrong, actor="t")
    assert await snapshot(runtime) == before
    assert (await fo_row(runtime, fo_id)).status is FS.READY_FOR_PICKUP

    await work.pick_up(
        runtime.uow(), fulfillment_order_id=fo_id, code=f" {fo.pickup_code} ", actor="t"
    )
    assert (await fo_row(runtime, fo_id)).status is FS.PICKED_UP
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=2)
    assert await order_state(runtime, placed.order_id) == {
        "status": "COMPLETED",
        "lines": [(placed.line_ids[0], 0, 1)],
    }
    await books_straight(runtime)


async def test_pickup_by_transfer_source_ships_store_receives_and_hands_over(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["wh"], 10)  # S1 has none
    placed = await place_order(runtime, [(w["tv"], 2, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    fo = await fo_row(runtime, fo_id)
    assert (fo.location_id, fo.pickup_location_id) == (w["wh"], w["s1"])
    assert fo.ready_at is not None and fo.ready_at > datetime.now(UTC) + timedelta(hours=24)
    # the store cannot mark it ready before the goods arrive
    with pytest.raises(InvalidTransition) as early:
        await work.mark_ready(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    assert "is OPEN" in early.value.message
    # staff of the pickup store cannot ship from the warehouse
    with pytest.raises(Forbidden):
        await work.ship(
            runtime.uow(),
            fulfillment_order_id=fo_id,
            carrier=None,
            tracking_number=None,
            actor="t",
            may_act=lambda loc: loc == w["s1"],
        )
    await work.ship(
        runtime.uow(), fulfillment_order_id=fo_id, carrier=None, tracking_number=None, actor="t"
    )
    assert await level(runtime, w["tv"], w["wh"]) == figures(on_hand=8)
    assert await level(runtime, w["tv"], w["s1"]) == figures(incoming=2)
    await work.mark_ready(
        runtime.uow(), fulfillment_order_id=fo_id, actor="t", may_act=lambda loc: loc == w["s1"]
    )
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=2, committed=2)
    fo = await fo_row(runtime, fo_id)
    assert fo.status is FS.READY_FOR_PICKUP and fo.transfer_id is not None
    await work.pick_up(
        runtime.uow(), fulfillment_order_id=fo_id, code=fo.pickup_code or "", actor="t"
    )
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=0)
    assert (await order_state(runtime, placed.order_id))["status"] == "COMPLETED"
    await books_straight(runtime)


async def test_reject_resources_to_another_store_with_stock_moved(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s2"], 2)  # nearest to the address
    await stock(runtime, w["tv"], w["s1"], 5)
    placed = await place_order(runtime, [(w["tv"], 2, M.SHIP, None)], ship_to=ADDRESS)
    (fo_id,) = placed.fo_ids
    assert (await fo_row(runtime, fo_id)).location_id == w["s2"]
    await work.start(runtime.uow(), fulfillment_order_id=fo_id, actor="t")

    result = await rerouting.reject(
        runtime.uow(), fulfillment_order_id=fo_id, reason="box damaged", actor="t"
    )
    (new_id,) = result.new_fulfillment_order_ids
    assert result.cancelled == {}
    old, new = await fo_row(runtime, fo_id), await fo_row(runtime, new_id)
    assert (old.status, old.reject_reason, old.replaced_by_id) == (
        FS.REJECTED,
        "box damaged",
        new_id,
    )
    assert (new.status, new.location_id, new.method) == (FS.OPEN, w["s1"], M.SHIP)
    assert await level(runtime, w["tv"], w["s2"]) == figures(on_hand=2)
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=5, committed=2)
    assert (await order_state(runtime, placed.order_id))["status"] == "PLACED"
    async with runtime.engine.connect() as conn:
        sourcing = await conn.scalar(
            text("SELECT sourcing FROM orders WHERE id = :o"), {"o": placed.order_id}
        )
    (reroute,) = sourcing["reroutes"]
    assert (reroute["rejectedFulfillmentOrderId"], reroute["reason"]) == (fo_id, "box damaged")
    assert reroute["newFulfillmentOrderIds"] == [new_id]
    assert reroute["decisions"][0]["allocations"][0]["locationId"] == w["s1"]
    assert sourcing["allocations"][0]["locationId"] == w["s2"]  # the original decision stays

    # the second store rejects as well: the first is not asked again, nobody else has it
    result = await rerouting.reject(
        runtime.uow(), fulfillment_order_id=new_id, reason="not on the shelf", actor="t"
    )
    assert result.new_fulfillment_order_ids == ()
    assert result.cancelled == {placed.line_ids[0]: 2}
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=5)
    assert await order_state(runtime, placed.order_id) == {
        "status": "CANCELLED",
        "lines": [(placed.line_ids[0], 2, 0)],
    }
    assert [f.status for f in await fos_of(runtime, placed.order_id)] == [
        FS.REJECTED,
        FS.REJECTED,
    ]
    await books_straight(runtime)


async def test_reject_of_the_pickup_store_brings_the_goods_by_transfer(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 1)
    await stock(runtime, w["tv"], w["wh"], 4)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    result = await rerouting.reject(
        runtime.uow(), fulfillment_order_id=fo_id, reason="display unit only", actor="t"
    )
    (new_id,) = result.new_fulfillment_order_ids
    new = await fo_row(runtime, new_id)
    assert (new.location_id, new.pickup_location_id, new.method) == (w["wh"], w["s1"], M.PICKUP)
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=1)
    assert await level(runtime, w["tv"], w["wh"]) == figures(on_hand=4, committed=1)


async def test_illegal_transitions_are_refused_and_change_nothing(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 3)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    before = await snapshot(runtime)
    for step in (
        lambda: work.pick_up(runtime.uow(), fulfillment_order_id=fo_id, code="1", actor="t"),
        lambda: work.deliver(runtime.uow(), fulfillment_order_id=fo_id, actor="t"),
        lambda: work.ship(
            runtime.uow(), fulfillment_order_id=fo_id, carrier="X", tracking_number="1", actor="t"
        ),
    ):
        with pytest.raises(InvalidTransition) as exc:
            await step()
        assert exc.value.code == "INVALID_TRANSITION"
    await work.start(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    with pytest.raises(InvalidTransition) as again:
        await work.start(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    assert again.value.message.startswith(f"Fulfillment order {fo_id} is IN_PROGRESS")
    with pytest.raises(Forbidden):
        await work.start(
            runtime.uow(), fulfillment_order_id=fo_id, actor="t", may_act=lambda loc: False
        )
    after = await snapshot(runtime)
    assert after[:4] == before[:4]  # stock untouched; only the start's events were added


async def test_release_order_lines_partial_and_not_cancellable(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 5)
    await stock(runtime, w["phone"], w["s1"], 5)
    placed = await place_order(
        runtime,
        [(w["tv"], 3, M.PICKUP, w["s1"]), (w["phone"], 1, M.SHIP, None)],
        ship_to=ADDRESS,
    )
    tv_line, phone_line = placed.line_ids
    fos = {f.method: f.id for f in await fos_of(runtime, placed.order_id)}
    done = await release_order_lines(
        runtime.uow(), order_id=placed.order_id, quantities={tv_line: 1}, actor="t", reason="X"
    )
    assert done == {tv_line: 1}
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=5, committed=2)
    (line,) = await fo_lines(runtime, fos[M.PICKUP])
    assert line[:3] == (w["tv"], 3, 1)

    await work.ship(
        runtime.uow(),
        fulfillment_order_id=fos[M.SHIP],
        carrier="CDEK",
        tracking_number="9",
        actor="t",
    )
    before = await snapshot(runtime)
    with pytest.raises(NotCancellable) as exc:
        await release_order_lines(
            runtime.uow(),
            order_id=placed.order_id,
            quantities={tv_line: 2, phone_line: 1},
            actor="t",
            reason="X",
        )
    assert exc.value.field == "lines"
    assert "line 2 (SKU-" in exc.value.message and "0 of 1 unit(s)" in exc.value.message
    assert await snapshot(runtime) == before

    done = await release_order_lines(
        runtime.uow(), order_id=placed.order_id, quantities=None, actor="t", reason="X"
    )
    assert done == {tv_line: 2}
    assert (await fo_row(runtime, fos[M.PICKUP])).status is FS.CANCELLED
    await refresh_order_status(runtime.uow(), placed.order_id)
    assert await order_state(runtime, placed.order_id) == {
        "status": "PLACED",  # the phone is still on its way
        "lines": [(tv_line, 3, 0), (phone_line, 0, 1)],
    }
    await books_straight(runtime)


async def test_pickup_deadline_sweeper_releases_uncollected_goods(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 4)
    placed = await place_order(runtime, [(w["tv"], 2, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    await work.mark_ready(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    deadline = (await fo_row(runtime, fo_id)).pickup_deadline
    assert deadline is not None
    assert (
        await rerouting.sweep_pickup_deadlines(runtime.uow, now=deadline - timedelta(seconds=1))
        == 0
    )
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=4, committed=2)
    assert await rerouting.sweep_pickup_deadlines(runtime.uow, now=deadline) == 1
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=4)
    fo = await fo_row(runtime, fo_id)
    assert (fo.status, fo.pickup_code) == (FS.CANCELLED, None)
    assert await order_state(runtime, placed.order_id) == {
        "status": "CANCELLED",
        "lines": [(placed.line_ids[0], 2, 0)],
    }
    assert await rerouting.sweep_pickup_deadlines(runtime.uow, now=deadline) == 0
    await books_straight(runtime)


async def test_concurrent_pickups_hand_over_once(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 1)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    await work.mark_ready(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    code = (await fo_row(runtime, fo_id)).pickup_code or ""

    async def attempt() -> str:
        try:
            await work.pick_up(runtime.uow(), fulfillment_order_id=fo_id, code=code, actor="t")
            return "ok"
        except InvalidTransition:
            return "refused"

    results = await asyncio.gather(*(attempt() for _ in range(12)))
    assert sorted(results) == ["ok"] + ["refused"] * 11
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=0)
    async with runtime.engine.connect() as conn:
        ships = await conn.scalar(text("SELECT count(*) FROM stock_movements WHERE kind = 'SHIP'"))
    assert ships == 1


async def test_concurrent_cancel_and_pickup_never_both_win(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 1)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    await work.mark_ready(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    code = (await fo_row(runtime, fo_id)).pickup_code or ""

    async def pick() -> str:
        try:
            await work.pick_up(runtime.uow(), fulfillment_order_id=fo_id, code=code, actor="t")
            return "picked"
        except InvalidTransition:
            return "refused"

    async def cancel() -> str:
        done = await release_order_lines(
            runtime.uow(), order_id=placed.order_id, quantities=None, actor="t", reason="X"
        )
        return "cancelled" if done else "nothing"

    results = await asyncio.gather(*(pick() if i % 2 else cancel() for i in range(10)))
    assert results.count("picked") + results.count("cancelled") == 1
    state = await order_state(runtime, placed.order_id)
    assert state["lines"][0][1:] in ((1, 0), (0, 1))
    assert await level(runtime, w["tv"], w["s1"]) in (figures(on_hand=1), figures(on_hand=0))
    await books_straight(runtime)


async def test_fulfillment_sweep_cli_releases_uncollected_pickups(runtime, world, database_url):
    from tests.integration.shared.test_cli import run_cli

    w = world
    await stock(runtime, w["tv"], w["s1"], 3)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    await work.mark_ready(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE fulfillment_orders SET pickup_deadline = now() - interval '1 minute'")
        )
    out = run_cli(database_url, "fulfillment-sweep")
    assert out.returncode == 0, out.stderr
    assert "Released 1 uncollected pickup(s) past their deadline." in out.stdout
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=3)
    assert (await fo_row(runtime, fo_id)).status is FS.CANCELLED


async def test_expired_pickup_and_unplaceable_reject_refund_the_customer(runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 2)
    await stock(runtime, w["phone"], w["s2"], 1)
    placed = await place_order(
        runtime,
        [(w["tv"], 2, M.PICKUP, w["s1"]), (w["phone"], 1, M.SHIP, None)],
        ship_to=ADDRESS,
        unit_price=150_00,
    )
    fos = {f.method: f.id for f in await fos_of(runtime, placed.order_id)}
    await work.mark_ready(runtime.uow(), fulfillment_order_id=fos[M.PICKUP], actor="t")
    deadline = (await fo_row(runtime, fos[M.PICKUP])).pickup_deadline
    assert deadline is not None
    assert await rerouting.sweep_pickup_deadlines(runtime.uow, now=deadline) == 1
    assert await refunds_of(runtime, placed.order_id) == [("CARD", "CANCELLATION", 300_00)]
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=2)
    # the phone's store rejects and nobody else has one: cancelled and refunded too
    result = await rerouting.reject(
        runtime.uow(), fulfillment_order_id=fos[M.SHIP], reason="lost", actor="staff:7"
    )
    assert result == rerouting.Rejected((), {placed.line_ids[1]: 1})
    assert await refunds_of(runtime, placed.order_id) == [
        ("CARD", "CANCELLATION", 300_00),
        ("CARD", "CANCELLATION", 150_00),
    ]
    assert await level(runtime, w["phone"], w["s2"]) == figures(on_hand=1)
    assert await order_state(runtime, placed.order_id) == {
        "status": "CANCELLED",
        "lines": [(placed.line_ids[0], 2, 0), (placed.line_ids[1], 1, 0)],
    }
    async with runtime.engine.connect() as conn:
        actors = (
            (await conn.execute(text("SELECT actor FROM order_refunds ORDER BY id")))
            .scalars()
            .all()
        )
    assert actors == ["system", "staff:7"]
    await books_straight(runtime)


async def test_concurrent_rejects_never_promise_more_than_the_next_store_has(runtime, world):
    """Six stores' worth of work lands on S1 at once; S1 has 3 units: exactly 3 orders move
    there, the other 3 are cancelled, and S1 never commits more than it has."""
    w = world
    await stock(runtime, w["tv"], w["s2"], 6)
    await stock(runtime, w["tv"], w["s1"], 3)
    placed = []
    for _ in range(6):
        placed.append(await place_order(runtime, [(w["tv"], 1, M.SHIP, None)], ship_to=ADDRESS))
    assert {(await fo_row(runtime, p.fo_ids[0])).location_id for p in placed} == {w["s2"]}

    async def reject(fo_id: int) -> rerouting.Rejected:
        return await rerouting.reject(
            runtime.uow(), fulfillment_order_id=fo_id, reason="flooded stockroom", actor="t"
        )

    results = await asyncio.gather(*(reject(p.fo_ids[0]) for p in placed))
    moved = [r for r in results if r.new_fulfillment_order_ids]
    cancelled = [r for r in results if r.cancelled]
    assert (len(moved), len(cancelled)) == (3, 3)
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=3, committed=3)
    assert await level(runtime, w["tv"], w["s2"]) == figures(on_hand=6)
    statuses = sorted([(await order_state(runtime, p.order_id))["status"] for p in placed])
    assert statuses == ["CANCELLED"] * 3 + ["PLACED"] * 3
    await books_straight(runtime)


async def test_the_server_sweeps_lapsed_holds_and_uncollected_pickups(runtime, world):
    """What every server process runs every ``housekeeping_seconds`` (no cron needed)."""
    from inventory.services.holds import reserve

    w = world
    await stock(runtime, w["tv"], w["s1"], 3)
    await stock(runtime, w["phone"], w["s2"], 2)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    (fo_id,) = placed.fo_ids
    await work.mark_ready(runtime.uow(), fulfillment_order_id=fo_id, actor="t")
    await reserve(
        runtime.uow(),
        variant_id=w["phone"],
        location_id=w["s2"],
        quantity=1,
        owner_ref="cart-line:1",
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE fulfillment_orders SET pickup_deadline = now() - interval '1 minute'")
        )
    assert await runtime.sweep() == {"holds": 1, "pickups": 1}
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=3)
    assert await level(runtime, w["phone"], w["s2"]) == figures(on_hand=2)
    assert (await fo_row(runtime, fo_id)).status is FS.CANCELLED
    assert await runtime.sweep() == {"holds": 0, "pickups": 0}  # nothing twice
