"""The no-oversell race, transfers end to end, and the CSV import."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from api.runtime import Runtime
from inventory import services as inv
from inventory.errors import (
    InsufficientStock,
    ReceiptExceedsShipment,
    SameLocation,
    TransferState,
)
from inventory.importer import import_stock
from inventory.model import TransferStatus
from inventory.queries import discrepancies
from tests.integration.inventory.support import figures, level, movements, scalar, snapshot

ACTOR = "staff:1"


async def test_200_concurrent_reservations_against_50_units_over_3_locations(
    runtime: Runtime, variants, make_location
):
    (v,) = await variants("HOT-1")
    locs = [await make_location(c) for c in ("WH01", "S01", "S02")]
    for loc, qty in zip(locs, (20, 20, 10), strict=True):
        await inv.receive_stock(
            runtime.uow(), variant_id=v, location_id=loc, quantity=qty, actor=ACTOR
        )
    gate = asyncio.Semaphore(60)  # the test pool allows 80 connections

    async def one(n: int) -> bool:
        async with gate:
            try:
                await inv.retry_on_contention(
                    lambda: inv.reserve_any(
                        runtime.uow(),
                        variant_id=v,
                        location_ids=locs,
                        quantity=1,
                        owner_ref=f"cart:{n}",
                        expires_at=datetime.now(UTC) + timedelta(minutes=30),
                    )
                )
                return True
            except InsufficientStock:
                return False

    results = await asyncio.gather(*(one(n) for n in range(200)))  # other errors propagate

    assert sum(results) == 50
    for loc, qty in zip(locs, (20, 20, 10), strict=True):
        assert await level(runtime, v, loc) == figures(on_hand=qty, reserved=qty)
    assert await scalar(runtime, "SELECT count(*) FROM stock_holds WHERE status = 'ACTIVE'") == 50
    assert (
        await scalar(runtime, "SELECT count(*) FROM stock_movements WHERE kind = 'RESERVE'") == 50
    )
    async with runtime.session_factory() as s:
        assert await discrepancies(s) == []


async def test_transfer_create_ship_partial_receipts_and_a_discrepancy(
    runtime: Runtime, variants, make_location
):
    a, b = await variants("TR-A", "TR-B")
    wh, s1 = await make_location("WH01"), await make_location("S01")
    for v in (a, b):
        await inv.receive_stock(
            runtime.uow(), variant_id=v, location_id=wh, quantity=10, actor=ACTOR
        )
    expected = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    tid = await inv.create_transfer(
        runtime.uow(),
        from_location_id=wh,
        to_location_id=s1,
        lines=[(a, 4), (b, 2)],
        actor=ACTOR,
        expected_at=expected,
    )
    assert await level(runtime, a, wh) == figures(on_hand=10, committed=4)
    await inv.ship_transfer(runtime.uow(), transfer_id=tid, actor=ACTOR)
    assert await level(runtime, a, wh) == figures(on_hand=6)
    assert await level(runtime, a, s1) == figures(incoming=4)

    before = await snapshot(runtime)
    with pytest.raises(ReceiptExceedsShipment, match="shipped 4"):
        await inv.receive_transfer(
            runtime.uow(), transfer_id=tid, received={a: 5}, complete=False, actor=ACTOR
        )
    assert await snapshot(runtime) == before

    status = await inv.receive_transfer(
        runtime.uow(), transfer_id=tid, received={a: 3}, complete=False, actor=ACTOR
    )
    assert status is TransferStatus.PARTIALLY_RECEIVED
    assert await level(runtime, a, s1) == figures(on_hand=3, incoming=1)
    status = await inv.receive_transfer(
        runtime.uow(), transfer_id=tid, received={b: 2}, complete=True, actor=ACTOR
    )
    assert status is TransferStatus.RECEIVED
    assert await level(runtime, a, s1) == figures(on_hand=3)
    assert await level(runtime, b, s1) == figures(on_hand=2)
    assert (
        await scalar(
            runtime, "SELECT discrepancy FROM stock_transfer_lines WHERE variant_id = :v", v=a
        )
        == 1
    )
    assert [
        (m["kind"], m["reason"], m["d_on_hand"], m["d_incoming"])
        for m in await movements(runtime, a)
    ][-4:] == [
        ("SHIP", "TRANSFER_OUT", -4, 0),
        ("TRANSFER_IN", "IN_TRANSIT", 0, 4),
        ("TRANSFER_IN", "RECEIVED", 3, -3),
        ("TRANSFER_IN", "DISCREPANCY", 0, -1),
    ]
    with pytest.raises(TransferState):
        await inv.ship_transfer(runtime.uow(), transfer_id=tid, actor=ACTOR)
    async with runtime.session_factory() as s:
        assert await discrepancies(s) == []


async def test_a_transfer_needs_two_locations_and_enough_stock(
    runtime: Runtime, variants, make_location
):
    (a,) = await variants("TR-A")
    wh, s1 = await make_location("WH01"), await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=a, location_id=wh, quantity=1, actor=ACTOR)
    before = await snapshot(runtime)
    with pytest.raises(SameLocation):
        await inv.create_transfer(
            runtime.uow(), from_location_id=wh, to_location_id=wh, lines=[(a, 1)], actor=ACTOR
        )
    with pytest.raises(InsufficientStock):
        await inv.create_transfer(
            runtime.uow(), from_location_id=wh, to_location_id=s1, lines=[(a, 2)], actor=ACTOR
        )
    assert await snapshot(runtime) == before
    tid = await inv.create_transfer(
        runtime.uow(), from_location_id=wh, to_location_id=s1, lines=[(a, 1)], actor=ACTOR
    )
    await inv.cancel_transfer(runtime.uow(), transfer_id=tid, actor=ACTOR)
    assert await level(runtime, a, wh) == figures(on_hand=1)


async def test_csv_import_writes_receipts_and_counts_and_reports_rejected_rows(
    runtime: Runtime, variants, make_location
):
    a, b = await variants("IMP-A", "IMP-B")
    wh, s1 = await make_location("WH01"), await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=a, location_id=s1, quantity=9, actor=ACTOR)
    csv_text = (
        "sku,location,on_hand\n"
        "IMP-A,WH01,5\n"
        "IMP-A,s01,4\n"
        "IMP-B,WH01,x\n"
        "NOPE,WH01,1\n"
        "IMP-B,ZZ9,1\n"
        "IMP-A,WH01,6\n"
        "IMP-B,S01,-1\n"
    )
    ticks: list[int] = []
    report = await import_stock(runtime.uow, csv_text, actor="cli", progress=ticks.append)
    assert report.accepted == 2
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "on_hand 'x' is not a whole number"),
        (5, "unknown SKU NOPE"),
        (6, "unknown location ZZ9"),
        (7, "IMP-A at WH01 appears twice; first kept"),
        (8, "on_hand -1 is outside 0..1000000"),
    ]
    assert sum(ticks) == 7
    assert await level(runtime, a, wh) == figures(on_hand=5)
    assert await level(runtime, a, s1) == figures(on_hand=4)
    assert await level(runtime, b, wh) is None
    assert [(m["kind"], m["reason"], m["d_on_hand"]) for m in await movements(runtime, a)] == [
        ("RECEIVE", "SUPPLIER_DELIVERY", 9),
        ("RECEIVE", "IMPORT", 5),
        ("COUNT", "IMPORT", -5),
    ]
