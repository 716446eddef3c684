"""Checkout, POS and cancel through the services, against real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.runtime import Runtime
from domain.shared.errors import DomainError
from fulfillment.model import TenderKind
from fulfillment.services import checkout
from fulfillment.services.holding import StockShortfall
from fulfillment.services.tenders import TenderRequest
from tests.support.orders import (
    build_cart,
    cart_total,
    level,
    make_world,
    pos_sale,
    scalar,
)


async def test_web_ship_order_commits_held_stock_and_snapshots_prices(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    principal, ref = await build_cart(runtime, world, lines=[("HP-100", 2, "SHIP")])
    assert await level(runtime, world, "HP-100", "WH") == {
        "on_hand": 5,
        "committed": 0,
        "reserved": 2,
    }
    total = await cart_total(runtime, principal, ref)
    assert total == 2 * 2_999_000  # over the free-delivery threshold: no shipping
    placed = await checkout.checkout_cart(
        runtime.uow(), principal, ref, tenders=[TenderRequest(TenderKind.CARD, reference="PSP-1")]
    )
    assert placed.number.startswith("W-")
    assert await level(runtime, world, "HP-100", "WH") == {
        "on_hand": 5,
        "committed": 2,
        "reserved": 0,
    }
    assert (
        await scalar(runtime, "SELECT total FROM orders WHERE id = :i", i=placed.order_id) == total
    )
    assert (
        await scalar(
            runtime,
            "SELECT count(*) FROM fulfillment_orders WHERE order_id = :i",
            i=placed.order_id,
        )
        == 1
    )
    assert (
        await scalar(
            runtime, "SELECT sum(amount) FROM order_tenders WHERE order_id = :i", i=placed.order_id
        )
        == total
    )


async def test_checkout_short_of_stock_reports_the_line_and_changes_nothing(
    runtime: Runtime,
) -> None:
    world = await make_world(runtime, stock={("HP-100", "S02"): 1})
    principal, ref = await build_cart(runtime, world, lines=[("HP-100", 3, "SHIP")])
    before = await level(runtime, world, "HP-100", "S02")
    with pytest.raises(StockShortfall) as err:
        await checkout.checkout_cart(
            runtime.uow(),
            principal,
            ref,
            tenders=[TenderRequest(TenderKind.CARD, reference="PSP-1")],
        )
    assert err.value.shortfalls[0].wanted == 3
    assert await level(runtime, world, "HP-100", "S02") == before
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 0


async def test_pos_sale_replayed_is_recorded_once_even_past_an_empty_shelf(
    runtime: Runtime,
) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 1})
    at = datetime.now(UTC) - timedelta(hours=2)
    first = await pos_sale(
        runtime, world, "S01", lines=[("CB-400", 2)], client_sale_id="T1-1", occurred_at=at
    )
    again = await pos_sale(
        runtime, world, "S01", lines=[("CB-400", 2)], client_sale_id="T1-1", occurred_at=at
    )
    assert again.order_id == first.order_id and again.replayed
    assert (await level(runtime, world, "CB-400", "S01"))["on_hand"] == -1
    assert (
        await scalar(runtime, "SELECT needs_recount FROM orders WHERE id = :i", i=first.order_id)
        is True
    )


async def test_tenders_must_cover_the_total(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-200", "WH"): 5})
    principal, ref = await build_cart(runtime, world, lines=[("HP-200", 1, "SHIP")])
    with pytest.raises(DomainError) as err:
        await checkout.checkout_cart(
            runtime.uow(),
            principal,
            ref,
            tenders=[TenderRequest(TenderKind.CARD, amount=100_000, reference="PSP-1")],
        )
    assert err.value.code == "TENDER_MISMATCH"
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 0
