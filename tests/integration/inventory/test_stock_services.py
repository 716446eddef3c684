"""Stock services against real PostgreSQL: every change is a movement, levels == ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from api.runtime import Runtime
from inventory import services as inv
from inventory.errors import HoldExpired, InsufficientStock, InvalidQuantity, UnknownLocation
from inventory.model import AdjustReason, StockState
from inventory.queries import discrepancies
from tests.integration.inventory.support import figures, level, movements, scalar, snapshot

ACTOR = "staff:1"


async def test_receive_adjust_count_and_state_moves_write_the_ledger(
    runtime: Runtime, variants, make_location
):
    (v,) = await variants("SKU-1")
    wh = await make_location("WH01")
    await inv.receive_stock(
        runtime.uow(), variant_id=v, location_id=wh, quantity=10, actor=ACTOR, document_ref="PO-1"
    )
    await inv.adjust_stock(
        runtime.uow(),
        variant_id=v,
        location_id=wh,
        quantity=2,
        reason=AdjustReason.SHRINKAGE,
        actor=ACTOR,
    )
    await inv.adjust_stock(
        runtime.uow(),
        variant_id=v,
        location_id=wh,
        quantity=1,
        reason=AdjustReason.FOUND,
        actor=ACTOR,
    )
    await inv.move_stock_state(
        runtime.uow(),
        variant_id=v,
        location_id=wh,
        quantity=3,
        from_state=StockState.SELLABLE,
        to_state=StockState.DAMAGED,
        actor=ACTOR,
    )
    await inv.move_stock_state(
        runtime.uow(),
        variant_id=v,
        location_id=wh,
        quantity=1,
        from_state=StockState.DAMAGED,
        to_state=StockState.QUALITY_CONTROL,
        actor=ACTOR,
    )
    counted = await inv.count_stock(
        runtime.uow(), variant_id=v, location_id=wh, counted=4, actor=ACTOR
    )
    await inv.set_safety_stock(runtime.uow(), variant_id=v, location_id=wh, quantity=1, actor=ACTOR)

    assert counted.figures.on_hand == 4
    assert await level(runtime, v, wh) == figures(
        on_hand=4, safety_stock=1, damaged=2, quality_control=1
    )
    assert [(m["kind"], m["reason"], m["d_on_hand"]) for m in await movements(runtime, v)] == [
        ("RECEIVE", "SUPPLIER_DELIVERY", 10),
        ("ADJUST", "SHRINKAGE", -2),
        ("ADJUST", "FOUND", 1),
        ("STATE", "SELLABLE_TO_DAMAGED", -3),
        ("STATE", "DAMAGED_TO_QUALITY_CONTROL", 0),
        ("COUNT", "CYCLE_COUNT", -2),
        ("SAFETY_STOCK", "SET", 0),
    ]
    assert (await movements(runtime, v))[0]["document_ref"] == "PO-1"
    async with runtime.session_factory() as s:
        assert await discrepancies(s) == []


async def test_a_write_off_cannot_take_units_promised_to_a_hold(
    runtime: Runtime, variants, make_location
):
    (v,) = await variants("SKU-1")
    s1 = await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=s1, quantity=3, actor=ACTOR)
    await inv.reserve(
        runtime.uow(), variant_id=v, location_id=s1, quantity=2, owner_ref="cart:1", expires_at=None
    )
    before = await snapshot(runtime)
    with pytest.raises(InsufficientStock, match="Only 1 unclaimed"):
        await inv.adjust_stock(
            runtime.uow(),
            variant_id=v,
            location_id=s1,
            quantity=2,
            reason=AdjustReason.DAMAGE,
            actor=ACTOR,
        )
    assert await snapshot(runtime) == before


async def test_bad_quantities_and_locations_change_nothing(
    runtime: Runtime, variants, make_location
):
    (v,) = await variants("SKU-1")
    s1 = await make_location("S01")
    before = await snapshot(runtime)
    with pytest.raises(InvalidQuantity):
        await inv.receive_stock(
            runtime.uow(), variant_id=v, location_id=s1, quantity=0, actor=ACTOR
        )
    with pytest.raises(InvalidQuantity):
        await inv.count_stock(runtime.uow(), variant_id=v, location_id=s1, counted=-1, actor=ACTOR)
    with pytest.raises(UnknownLocation):
        await inv.receive_stock(
            runtime.uow(), variant_id=v, location_id=999, quantity=1, actor=ACTOR
        )
    assert await snapshot(runtime) == before


async def test_hold_lifecycle_reserve_commit_ship(runtime: Runtime, variants, make_location):
    (v,) = await variants("SKU-1")
    wh = await make_location("WH01")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=wh, quantity=5, actor=ACTOR)
    later = datetime.now(UTC) + timedelta(minutes=30)
    hold = await inv.reserve(
        runtime.uow(),
        variant_id=v,
        location_id=wh,
        quantity=2,
        owner_ref="cart:7",
        expires_at=later,
    )
    assert hold.figures.available == 3
    with pytest.raises(InsufficientStock):
        await inv.reserve(
            runtime.uow(),
            variant_id=v,
            location_id=wh,
            quantity=4,
            owner_ref="cart:8",
            expires_at=later,
        )
    committed = await inv.commit_hold(runtime.uow(), hold_ids=[hold.hold_id])
    assert committed[0].figures.committed == 2 and committed[0].figures.reserved == 0
    direct = await inv.commit_direct(
        runtime.uow(), variant_id=v, location_id=wh, quantity=1, owner_ref="order:2"
    )
    assert direct.figures.available == 2
    shipped = await inv.ship(runtime.uow(), owner_ref="cart:7", document_ref="order:1")
    assert [h.quantity for h in shipped] == [2]
    released = await inv.release(runtime.uow(), owner_ref="order:2")
    assert [h.quantity for h in released] == [1]
    assert await inv.release(runtime.uow(), owner_ref="order:2") == []  # twice is harmless
    assert await level(runtime, v, wh) == figures(on_hand=3)
    assert [m["kind"] for m in await movements(runtime, v)] == [
        "RECEIVE",
        "RESERVE",
        "COMMIT",
        "COMMIT",
        "SHIP",
        "RELEASE",
    ]
    async with runtime.session_factory() as s:
        assert await discrepancies(s) == []


async def test_an_expired_hold_never_blocks_a_sale_and_the_sweeper_releases_the_rest(
    runtime: Runtime, variants, make_location
):
    v, w = await variants("SKU-1", "SKU-2")
    wh = await make_location("WH01")
    for x in (v, w):
        await inv.receive_stock(
            runtime.uow(), variant_id=x, location_id=wh, quantity=1, actor=ACTOR
        )
    past = datetime.now(UTC) - timedelta(seconds=1)
    old = await inv.reserve(
        runtime.uow(), variant_id=v, location_id=wh, quantity=1, owner_ref="cart:1", expires_at=past
    )
    await inv.reserve(
        runtime.uow(), variant_id=w, location_id=wh, quantity=1, owner_ref="cart:1", expires_at=past
    )

    fresh = await inv.reserve(
        runtime.uow(), variant_id=v, location_id=wh, quantity=1, owner_ref="cart:2", expires_at=None
    )
    assert fresh.figures.reserved == 1
    with pytest.raises(HoldExpired):
        await inv.commit_hold(runtime.uow(), hold_ids=[old.hold_id])
    assert await inv.sweep_expired(runtime.uow) == 1
    assert await level(runtime, w, wh) == figures(on_hand=1)
    assert await scalar(runtime, "SELECT count(*) FROM stock_holds WHERE status = 'EXPIRED'") == 2
    assert [(m["kind"], m["reason"]) for m in await movements(runtime, v)][-2:] == [
        ("RELEASE", "EXPIRED"),
        ("RESERVE", "WEB"),
    ]
    async with runtime.session_factory() as s:
        assert await discrepancies(s) == []


async def test_a_pos_sale_is_recorded_even_past_zero_and_flags_a_recount(
    runtime: Runtime, variants, make_location
):
    (v,) = await variants("SKU-1")
    s1 = await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=s1, quantity=1, actor=ACTOR)
    await inv.commit_direct(
        runtime.uow(), variant_id=v, location_id=s1, quantity=1, owner_ref="order:9"
    )
    sale = await inv.record_sale(
        runtime.uow(),
        variant_id=v,
        location_id=s1,
        quantity=2,
        actor="staff:5",
        document_ref="receipt:77",
    )
    assert sale.needs_recount is True
    assert await level(runtime, v, s1) == figures(on_hand=-1, committed=1, needs_recount=True)
    with pytest.raises(InsufficientStock):  # online promises never go past zero
        await inv.reserve(
            runtime.uow(),
            variant_id=v,
            location_id=s1,
            quantity=1,
            owner_ref="cart:1",
            expires_at=None,
        )
    await inv.count_stock(runtime.uow(), variant_id=v, location_id=s1, counted=1, actor=ACTOR)
    assert await level(runtime, v, s1) == figures(on_hand=1, committed=1)


async def test_the_check_constraint_refuses_promises_beyond_the_shelf(
    runtime: Runtime, variants, make_location
):
    (v,) = await variants("SKU-1")
    s1 = await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=s1, quantity=1, actor=ACTOR)
    with pytest.raises(Exception, match="promises_within_on_hand"):
        async with runtime.engine.begin() as conn:
            await conn.execute(text("UPDATE stock_levels SET reserved = 2"))


async def test_the_ledger_is_append_only(runtime: Runtime, variants, make_location):
    (v,) = await variants("SKU-1")
    s1 = await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=s1, quantity=1, actor=ACTOR)
    with pytest.raises(Exception, match="append-only"):
        async with runtime.engine.begin() as conn:
            await conn.execute(text("UPDATE stock_movements SET d_on_hand = 5"))
    with pytest.raises(Exception, match="append-only"):
        async with runtime.engine.begin() as conn:
            await conn.execute(text("DELETE FROM stock_movements"))


async def test_reconcile_reports_a_level_corrupted_behind_the_ledgers_back(
    runtime: Runtime, variants, make_location
):
    v, w = await variants("SKU-1", "SKU-2")
    s1 = await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=s1, quantity=5, actor=ACTOR)
    await inv.receive_stock(runtime.uow(), variant_id=w, location_id=s1, quantity=5, actor=ACTOR)
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE stock_levels SET on_hand = 7 WHERE variant_id = :v"), {"v": v}
        )
    async with runtime.session_factory() as s:
        found = await discrepancies(s)
    assert [(d.variant_id, d.location_id, d.differences) for d in found] == [
        (v, s1, {"on_hand": 2})
    ]
    assert found[0].level.on_hand == 7 and found[0].ledger.on_hand == 5
