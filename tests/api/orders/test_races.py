"""Races over HTTP: many real connections at once against real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from api.runtime import Runtime
from domain.access.model import Role
from fulfillment.model import FulfillmentMethod
from fulfillment.services import carts
from inventory import services as inventory
from tests.api.orders import docs
from tests.support.orders import ADDRESS, level, make_world, scalar

# Requests in flight at once: real contention on the one stock row, within a PostgreSQL server
# that other test runs share (max_connections 100).
IN_FLIGHT = 24


async def _bounded(sem: asyncio.Semaphore, call: Any) -> Any:
    async with sem:
        return await call


async def test_200_concurrent_checkouts_for_50_units_place_exactly_50_orders(
    runtime: Runtime, gql
) -> None:
    world = await make_world(runtime, stock={})
    web = world.principal("WEB")
    tokens = []
    for _ in range(
        200
    ):  # carts filled while the shelf is empty: nothing is held, all race at checkout
        _, token = await carts.create_cart(runtime.uow(), web)
        ref = carts.CartRef(token=token)
        await carts.add_lines(
            runtime.uow(),
            web,
            ref,
            [carts.NewLine(world.variants["HP-200"], 1, FulfillmentMethod.SHIP)],
        )
        await carts.set_shipping(runtime.uow(), web, ref, address=dict(ADDRESS), method="COURIER")
        tokens.append(token)
    await inventory.receive_stock(
        runtime.uow(),
        variant_id=world.variants["HP-200"],
        location_id=world.locations["WH"],
        quantity=50,
        actor="test",
    )
    api = gql.as_(x_api_key=world.web_key)
    sem = asyncio.Semaphore(IN_FLIGHT)
    results = await asyncio.gather(
        *(
            _bounded(
                sem,
                api(
                    docs.CHECKOUT,
                    {
                        "input": {
                            "token": t,
                            "idempotencyKey": f"co-{i}",
                            "tenders": [{"kind": "CARD", "reference": f"PSP-{i}"}],
                        }
                    },
                ),
            )
            for i, t in enumerate(tokens)
        )
    )
    placed = [r for r in results if r["checkoutComplete"]["order"] is not None]
    refused = [r["checkoutComplete"] for r in results if r["checkoutComplete"]["order"] is None]
    assert len(placed) == 50 and len(refused) == 150
    assert {e["userErrors"][0]["code"] for e in refused} == {"INSUFFICIENT_STOCK"}
    assert {e["shortfalls"][0]["available"] for e in refused} == {0}
    assert await level(runtime, world, "HP-200", "WH") == {
        "on_hand": 50,
        "committed": 50,
        "reserved": 0,
    }
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 50
    assert await scalar(runtime, "SELECT count(*) FROM fulfillment_orders") == 50
    assert (
        await scalar(runtime, "SELECT count(*) FROM stock_holds WHERE status = 'COMMITTED'") == 50
    )


async def test_the_same_offline_sale_replayed_5_times_concurrently_is_one_order(
    runtime: Runtime, gql, staff_token
) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 1})
    _, cashier = await staff_token(Role.CASHIER, [world.locations["S01"]])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    at = datetime.now(UTC) - timedelta(hours=5)
    sale = {
        "clientSaleId": "T7-000123",
        "occurredAt": at.isoformat(),
        "offline": {"since": (at - timedelta(minutes=30)).isoformat(), "reason": "network"},
        "lines": [{"sku": "CB-400", "quantity": 3}],
        "tenders": [{"kind": "CASH", "tendered": 300_000}],
    }
    # Five replays: two share an idempotency key, three come without (a till retrying blindly).
    keys = ["r-1", "r-1", None, None, None]
    results = await asyncio.gather(
        *(
            till(docs.POS_SALE, {"input": {**sale, **({"idempotencyKey": k} if k else {})}})
            for k in keys
        )
    )
    bodies = [r["posSaleComplete"] for r in results]
    assert all(b["userErrors"] == [] for b in bodies)
    assert len({b["order"]["number"] for b in bodies}) == 1
    # Exactly one recorded it; the other four, with the same key or without, are replays.
    assert [b["replayed"] for b in bodies].count(False) == 1
    assert {b["order"]["id"] for b in bodies} == {bodies[0]["order"]["id"]}
    assert {b["receipt"]["change"]["amount"] for b in bodies} == {3_000}
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 1
    assert await scalar(runtime, "SELECT count(*) FROM stock_movements WHERE kind = 'SALE'") == 1
    # The shelf said 1; 3 were sold: on_hand goes negative and the store is asked to recount.
    assert await level(runtime, world, "CB-400", "S01") == {
        "on_hand": -2,
        "committed": 0,
        "reserved": 0,
    }
    assert bodies[0]["order"]["needsRecount"] is True
    assert await scalar(runtime, "SELECT placed_at < recorded_at FROM orders") is True
    # and once more, later, sequentially
    again = await till(docs.POS_SALE, {"input": sale})
    assert again["posSaleComplete"]["replayed"] is True
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 1
