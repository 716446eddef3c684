"""Issue 13.10: no deadlock reaches a shopper. Carts (and orders, returns) with the same two
items in opposite line orders, [A, B] and [B, A], go through every path that writes stock at
once: hold (cartLinesAdd), re-hold (cartSetShipping, cartLinesUpdate), commit
(checkoutComplete), cancel (orderCancel), return receipt (restock) and the sweeper's release.
Every request succeeds and the final levels are exact: stock levels are locked in one global
(variant, location) order on every path, and a cart's own holds count as available to it."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from api.relay import encode_id
from api.runtime import Runtime
from domain.access.model import Role
from fulfillment.returns import services as returns
from fulfillment.returns.model import Disposition, ReturnReason
from fulfillment.returns.services import ReceiveLine, ReturnLineRequest
from fulfillment.services import carts
from inventory import services as inventory
from tests.api.orders import docs
from tests.conftest import GQL
from tests.integration.returns.support import fulfil_all, rows, staff
from tests.support.orders import (
    ADDRESS,
    World,
    build_cart,
    enrol_customer,
    level,
    make_world,
    place_order,
    scalar,
)

A, B = "HP-200", "CB-400"
CARTS = 40
NEAR_WH = {**ADDRESS, "line1": "Varshavskoe sh. 170", "latitude": 55.59, "longitude": 37.60}
NEAR_S01 = {**ADDRESS, "line1": "ul. Tverskaya 10", "latitude": 55.766, "longitude": 37.606}

UPDATE = """mutation($input: CartLinesUpdateInput!) { cartLinesUpdate(input: $input) {
  userErrors { code field message } cart { lines { sku quantity heldQuantity } } } }"""


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


def _lines(i: int, quantity: int = 1) -> list[tuple[str, int, str]]:
    lines = [(A, quantity, "SHIP"), (B, quantity, "SHIP")]
    return lines if i % 2 else lines[::-1]


async def _levels(runtime: Runtime, world: World, *codes: str) -> dict[tuple[str, str], Any]:
    return {(sku, c): await level(runtime, world, sku, c) for sku in (A, B) for c in codes}


async def _holds_cover_every_line(runtime: Runtime) -> list[Any]:
    """(line quantity, units its ACTIVE holds carry) for every line not covered whole."""
    return await rows(
        runtime,
        "SELECT l.id, l.quantity, coalesce(sum(h.quantity), 0) FROM cart_lines l "
        "LEFT JOIN stock_holds h ON h.owner_ref = 'cart-line:' || l.id AND h.status = 'ACTIVE' "
        "GROUP BY l.id, l.quantity HAVING coalesce(sum(h.quantity), 0) <> l.quantity",
    )


async def _carts(runtime: Runtime, world: World, quantity: int = 1) -> list[carts.CartRef]:
    return [(await build_cart(runtime, world, lines=_lines(i, quantity)))[1] for i in range(CARTS)]


def _errors(results: list[dict[str, Any]], field: str) -> list[Any]:
    return [r[field]["userErrors"] for r in results if r[field]["userErrors"]]


async def test_set_shipping_with_every_unit_held_succeeds_for_every_cart(
    runtime: Runtime, gql: GQL
) -> None:
    stock = {(s, c): CARTS // 2 for s in (A, B) for c in ("WH", "S01")}
    world = await make_world(runtime, stock=stock)
    refs = await _carts(runtime, world)
    assert await _holds_cover_every_line(runtime) == []  # all 80 units of each item held
    web = gql.as_(x_api_key=world.web_key)
    results = await asyncio.gather(
        *(
            web(
                docs.SET_SHIPPING,
                {"input": {"token": ref.token, "address": NEAR_WH if i % 2 else NEAR_S01}},
            )
            for i, ref in enumerate(refs)
        )
    )
    assert _errors(results, "cartSetShipping") == []
    assert all(
        ln["heldQuantity"] == 1 for r in results for ln in r["cartSetShipping"]["cart"]["lines"]
    )
    assert await _holds_cover_every_line(runtime) == []
    full = {"on_hand": CARTS // 2, "committed": 0, "reserved": CARTS // 2}
    assert await _levels(runtime, world, "WH", "S01") == {
        (s, c): full for s in (A, B) for c in ("WH", "S01")
    }
    assert await scalar(runtime, "SELECT count(*) FROM stock_holds WHERE status = 'ACTIVE'") == 80


async def test_line_updates_in_opposite_orders_all_re_hold(runtime: Runtime, gql: GQL) -> None:
    world = await make_world(runtime, stock={(A, "WH"): 2 * CARTS, (B, "WH"): 2 * CARTS})
    refs = await _carts(runtime, world)
    web = gql.as_(x_api_key=world.web_key)
    line_ids = {ref.token: await _line_ids(runtime, ref.token) for ref in refs}
    results = await asyncio.gather(
        *(
            web(
                UPDATE,
                {
                    "input": {
                        "token": ref.token,
                        "lines": [
                            {"lineId": gid("CartLine", lid), "quantity": 2}
                            for lid in line_ids[ref.token]
                        ],
                    }
                },
            )
            for ref in refs
        )
    )
    assert _errors(results, "cartLinesUpdate") == []
    assert [
        sorted(
            (ln["sku"], ln["quantity"], ln["heldQuantity"])
            for ln in r["cartLinesUpdate"]["cart"]["lines"]
        )
        for r in results
    ] == [[(B, 2, 2), (A, 2, 2)]] * CARTS
    assert await _holds_cover_every_line(runtime) == []
    assert await _levels(runtime, world, "WH") == {
        (s, "WH"): {"on_hand": 2 * CARTS, "committed": 0, "reserved": 2 * CARTS} for s in (A, B)
    }


async def test_adding_lines_in_opposite_orders_holds_every_unit(runtime: Runtime, gql: GQL) -> None:
    """More of both items into carts that hold them already: each touched line is re-held."""
    world = await make_world(runtime, stock={(A, "WH"): 2 * CARTS, (B, "WH"): 2 * CARTS})
    refs = await _carts(runtime, world)
    web = gql.as_(x_api_key=world.web_key)
    results = await asyncio.gather(
        *(
            web(
                docs.LINES_ADD,
                {
                    "input": {
                        "token": ref.token,
                        "lines": [{"sku": s, "quantity": q} for s, q, _ in _lines(i)],
                    }
                },
            )
            for i, ref in enumerate(refs)
        )
    )
    assert _errors(results, "cartLinesAdd") == []
    assert {
        (ln["sku"], ln["quantity"], ln["heldQuantity"])
        for r in results
        for ln in r["cartLinesAdd"]["cart"]["lines"]
    } == {(A, 2, 2), (B, 2, 2)}
    assert await _holds_cover_every_line(runtime) == []
    assert await _levels(runtime, world, "WH") == {
        (s, "WH"): {"on_hand": 2 * CARTS, "committed": 0, "reserved": 2 * CARTS} for s in (A, B)
    }


async def test_checkouts_in_opposite_orders_all_place_their_order(
    runtime: Runtime, gql: GQL
) -> None:
    """Each cart's first line lost its hold (lapsed and swept): checkout commits the other
    line's hold and sources the first afresh, in opposite item orders across carts."""
    stock = {(s, c): CARTS // 2 for s in (A, B) for c in ("WH", "S01")}
    world = await make_world(runtime, stock=stock)
    refs = await _carts(runtime, world)
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE stock_holds h SET expires_at = now() - interval '1 minute' "
                "FROM cart_lines l WHERE h.owner_ref = 'cart-line:' || l.id "
                "AND l.id = (SELECT min(id) FROM cart_lines f WHERE f.cart_id = l.cart_id)"
            )
        )
    await inventory.sweep_expired(runtime.uow)
    assert (
        await scalar(runtime, "SELECT count(*) FROM stock_holds WHERE status = 'ACTIVE'") == CARTS
    )
    web = gql.as_(x_api_key=world.web_key)
    results = await asyncio.gather(
        *(
            web(
                docs.CHECKOUT,
                {
                    "input": {
                        "token": ref.token,
                        "idempotencyKey": f"co-{i}",
                        "tenders": [{"kind": "CARD", "reference": f"PSP-{i}"}],
                    }
                },
            )
            for i, ref in enumerate(refs)
        )
    )
    assert _errors(results, "checkoutComplete") == []
    assert len({r["checkoutComplete"]["order"]["number"] for r in results}) == CARTS
    # Demand equals stock: every location ends fully committed, wherever each line came from.
    committed = {"on_hand": CARTS // 2, "committed": CARTS // 2, "reserved": 0}
    assert await _levels(runtime, world, "WH", "S01") == {
        (s, c): committed for s in (A, B) for c in ("WH", "S01")
    }
    assert await scalar(runtime, "SELECT count(*) FROM stock_holds WHERE status = 'ACTIVE'") == 0


async def test_cancels_in_opposite_orders_all_release(
    runtime: Runtime, gql: GQL, staff_token
) -> None:
    world = await make_world(runtime, stock={(A, "WH"): CARTS, (B, "WH"): CARTS})
    orders = [(await place_order(runtime, world, lines=_lines(i))).order_id for i in range(CARTS)]
    assert await _levels(runtime, world, "WH") == {
        (s, "WH"): {"on_hand": CARTS, "committed": CARTS, "reserved": 0} for s in (A, B)
    }
    _, token = await staff_token(Role.ADMIN)
    admin = gql.as_(authorization=token)
    results = await asyncio.gather(
        *(admin(docs.CANCEL, {"input": {"orderId": gid("Order", o)}}) for o in orders)
    )
    assert _errors(results, "orderCancel") == []
    assert {r["orderCancel"]["order"]["status"] for r in results} == {"CANCELLED"}
    assert await _levels(runtime, world, "WH") == {
        (s, "WH"): {"on_hand": CARTS, "committed": 0, "reserved": 0} for s in (A, B)
    }
    assert await scalar(runtime, "SELECT count(*) FROM stock_holds WHERE status = 'COMMITTED'") == 0


async def test_return_receipts_in_opposite_orders_all_restock(
    runtime: Runtime,
) -> None:
    n = CARTS // 2
    world = await make_world(runtime, stock={(A, "WH"): n, (B, "WH"): n})
    customer = await enrol_customer(runtime)
    placed = [
        await place_order(runtime, world, lines=_lines(i), customer_id=customer) for i in range(n)
    ]
    for p in placed:
        await fulfil_all(runtime, p.order_id)
    principal = world.principal("APP", customer_id=customer)
    return_ids = []
    for p in placed:
        ids = [
            r[0]
            for r in await rows(
                runtime,
                "SELECT id FROM order_lines WHERE order_id = :o ORDER BY line_no",
                o=p.order_id,
            )
        ]
        return_ids.append(
            await returns.create_return(
                runtime.uow(),
                principal,
                order_id=p.order_id,
                lines=[ReturnLineRequest(x, 1, ReturnReason.CHANGED_MIND) for x in ids],
            )
        )
    s01 = world.locations["S01"]

    async def receive(rid: int) -> None:
        lines = await rows(
            runtime, "SELECT id FROM return_lines WHERE return_id = :r ORDER BY id", r=rid
        )
        await returns.receive_return(
            runtime.uow(),
            staff([s01]),
            return_id=rid,
            location_id=s01,
            lines=[ReceiveLine(r[0], Disposition.RESTOCK) for r in lines],
        )

    await asyncio.gather(*(receive(rid) for rid in return_ids))
    assert await rows(runtime, "SELECT DISTINCT status::text FROM returns") == [("RECEIVED",)]
    assert await _levels(runtime, world, "S01", "WH") == {
        **{(s, "S01"): {"on_hand": n, "committed": 0, "reserved": 0} for s in (A, B)},
        **{(s, "WH"): {"on_hand": 0, "committed": 0, "reserved": 0} for s in (A, B)},
    }


async def test_the_sweeper_releases_lapsed_holds_while_other_carts_re_hold(
    runtime: Runtime,
) -> None:
    stock = CARTS + CARTS // 2
    world = await make_world(runtime, stock={(A, "WH"): stock, (B, "WH"): stock})
    refs = await _carts(runtime, world)
    lapsed, live = refs[: CARTS // 2], refs[CARTS // 2 :]
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE stock_holds h SET expires_at = now() - interval '1 minute' "
                "FROM cart_lines l JOIN carts c ON c.id = l.cart_id "
                "WHERE h.owner_ref = 'cart-line:' || l.id AND c.token = ANY(:t)"
            ),
            {"t": [r.token for r in lapsed]},
        )
    web = world.principal("WEB")

    async def grow(ref: carts.CartRef) -> int:
        ids = await _line_ids(runtime, ref.token)
        return await carts.update_lines(
            runtime.uow(), web, ref, [carts.LineChange(lid, 2) for lid in ids]
        )

    await asyncio.gather(
        inventory.sweep_expired(runtime.uow),
        *(grow(ref) for ref in live),
        inventory.sweep_expired(runtime.uow),
    )
    await inventory.sweep_expired(runtime.uow)
    assert await rows(
        runtime,
        "SELECT status::text, count(*), sum(quantity) FROM stock_holds GROUP BY 1 ORDER BY 1",
    ) == [("ACTIVE", CARTS, 2 * CARTS), ("EXPIRED", CARTS, CARTS), ("RELEASED", CARTS, CARTS)]
    assert await _levels(runtime, world, "WH") == {
        (s, "WH"): {"on_hand": stock, "committed": 0, "reserved": CARTS} for s in (A, B)
    }


async def _line_ids(runtime: Runtime, token: str | None) -> list[int]:
    return [
        r[0]
        for r in await rows(
            runtime,
            "SELECT l.id FROM cart_lines l JOIN carts c ON c.id = l.cart_id "
            "WHERE c.token = :t ORDER BY l.id",
            t=token,
        )
    ]
