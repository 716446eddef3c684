"""Orders API: userErrors change nothing, cancel over GraphQL, access, N+1 pins, subscription."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from api.app import create_app
from api.relay import encode_id
from api.runtime import Runtime
from domain.access.model import Role
from tests.api.orders import docs
from tests.support.orders import (
    ADDRESS,
    counters,
    enrol_customer,
    give_points,
    make_voucher,
    make_world,
    place_order,
    pos_sale,
    scalar,
)


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


async def _web_cart(api: Any, lines: list[dict[str, Any]], ship: bool = True) -> str:
    cart = (await api(docs.CART_CREATE, {"input": {}}))["cartCreate"]["cart"]
    await api(docs.LINES_ADD, {"input": {"token": cart["token"], "lines": lines}})
    if ship:
        await api(
            docs.SET_SHIPPING,
            {"input": {"token": cart["token"], "address": ADDRESS, "shippingMethod": "COURIER"}},
        )
    return str(cart["token"])


async def test_short_stock_gives_available_and_alternatives_and_changes_nothing(runtime, gql):
    world = await make_world(runtime, stock={("HP-100", "WH"): 1, ("HP-100", "S02"): 5})
    web = gql.as_(x_api_key=world.web_key)
    token = await _web_cart(web, [{"sku": "HP-100", "quantity": 3}])
    before = await counters(runtime, world, None, None)
    out = await web(
        docs.CHECKOUT,
        {"input": {"token": token, "tenders": [{"kind": "CARD", "reference": "P"}]}},
    )
    body = out["checkoutComplete"]
    assert body["order"] is None
    assert body["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    short = body["shortfalls"][0]
    assert (short["requested"], short["available"]) == (3, 1)
    assert {"location": {"code": "S02"}, "method": "PICKUP", "available": 5} in short[
        "alternatives"
    ]
    assert await counters(runtime, world, None, None) == before
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 0
    assert await scalar(runtime, "SELECT status::text FROM carts") == "OPEN"


async def test_tenders_short_of_the_total_say_what_is_missing_and_change_nothing(
    runtime, gql, staff_token
):
    world = await make_world(runtime, stock={("HP-200", "WH"): 5})
    customer = await enrol_customer(runtime)
    await give_points(runtime, customer, 100)
    code = await make_voucher(runtime)
    _, cashier = await staff_token(Role.CASHIER, [world.locations["S01"]])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    cart = (await till(docs.CART_CREATE, {"input": {}}))["cartCreate"]["cart"]
    await till(docs.ATTACH, {"input": {"cartId": cart["id"], "identifier": "+7 916 123 45 67"}})
    await till(
        docs.LINES_ADD,
        {"input": {"cartId": cart["id"], "lines": [{"sku": "HP-200", "quantity": 1}]}},
    )
    await till(docs.SET_SHIPPING, {"input": {"cartId": cart["id"], "address": ADDRESS}})
    await till(docs.SET_SHIPPING, {"input": {"cartId": cart["id"], "shippingMethod": "POST"}})
    applied = await till(
        """mutation($i: CartVoucherInput!) { cartApplyVoucher(input: $i) {
        userErrors { code } cart { voucherCodes quote { quote { total { amount } } } } } }""",
        {"i": {"cartId": cart["id"], "code": code.lower()}},
    )
    assert applied["cartApplyVoucher"]["cart"]["voucherCodes"] == [code]
    # 3 490 - 500 voucher + 290 post (under the 3 000 free threshold after the discount)
    assert applied["cartApplyVoucher"]["cart"]["quote"]["quote"]["total"]["amount"] == 328_000
    before = await counters(runtime, world, customer, code)
    out = await till(
        docs.CHECKOUT,
        {
            "input": {
                "cartId": cart["id"],
                "tenders": [{"kind": "POINTS", "points": 100}, {"kind": "CASH", "amount": 100_000}],
            }
        },
    )
    errors = out["checkoutComplete"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("TENDER_MISMATCH", "tenders")]
    assert "add 2180.00" in errors[0]["message"]
    assert await counters(runtime, world, customer, code) == before
    # Too many points: loyalty refuses, and again nothing changes.
    out = await till(
        docs.CHECKOUT,
        {
            "input": {
                "cartId": cart["id"],
                "tenders": [{"kind": "POINTS", "points": 200}, {"kind": "CASH"}],
            }
        },
    )
    assert out["checkoutComplete"]["userErrors"][0]["code"] == "INSUFFICIENT_POINTS"
    assert await counters(runtime, world, customer, code) == before
    ok = await till(
        docs.CHECKOUT,
        {
            "input": {
                "cartId": cart["id"],
                "idempotencyKey": "pay",
                "tenders": [
                    {"kind": "POINTS", "points": 100},
                    {"kind": "CASH", "tendered": 400_000},
                ],
            }
        },
    )
    order = ok["checkoutComplete"]["order"]
    assert order["tenders"] == [
        {
            "kind": "POINTS",
            "amount": {"amount": 10_000},
            "change": {"amount": 0},
            "points": 100,
            "reference": None,
        },
        {
            "kind": "CASH",
            "amount": {"amount": 318_000},
            "change": {"amount": 82_000},
            "points": 0,
            "reference": None,
        },
    ]
    assert order["number"].startswith("S01-") and order["pointsEarned"] > 0


async def test_cancel_over_graphql_restores_every_counter(runtime, gql, staff_token):
    world = await make_world(runtime, stock={("HP-200", "WH"): 5})
    customer = await enrol_customer(runtime)
    await give_points(runtime, customer, 300)
    code = await make_voucher(runtime)
    before = await counters(runtime, world, customer, code)
    from fulfillment.model import TenderKind
    from fulfillment.services.tenders import TenderRequest

    placed = await place_order(
        runtime,
        world,
        lines=[("HP-200", 2, "SHIP")],
        customer_id=customer,
        vouchers=[code],
        tenders=[
            TenderRequest(TenderKind.POINTS, points=300),
            TenderRequest(TenderKind.CARD, reference="X"),
        ],
    )
    _, token = await staff_token(Role.ADMIN)
    admin = gql.as_(authorization=token)
    out = await admin(
        docs.CANCEL,
        {"input": {"orderId": gid("Order", placed.order_id), "idempotencyKey": "c1"}},
    )
    body = out["orderCancel"]
    assert body["userErrors"] == []
    assert body["order"]["status"] == "CANCELLED"
    assert body["refunded"] == 2 * 349_000 - 50_000
    assert sorted((r["kind"], r["amount"]["amount"]) for r in body["order"]["refunds"]) == [
        ("CARD", 2 * 349_000 - 50_000 - 30_000),
        ("POINTS", 30_000),
    ]
    assert await counters(runtime, world, customer, code) == before
    replay = await admin(
        docs.CANCEL,
        {"input": {"orderId": gid("Order", placed.order_id), "idempotencyKey": "c1"}},
    )
    assert replay["orderCancel"]["refunded"] == body["refunded"]
    again = await admin(docs.CANCEL, {"input": {"orderId": gid("Order", placed.order_id)}})
    assert again["orderCancel"]["userErrors"][0]["code"] == "NOT_CANCELLABLE"
    assert await counters(runtime, world, customer, code) == before


async def test_orders_are_private_to_their_customer_and_store(
    runtime, gql, customer_token, staff_token
):
    world = await make_world(runtime, stock={("HP-200", "WH"): 5, ("CB-400", "S02"): 5})
    anna = await enrol_customer(runtime, "+79160000001")
    boris = await enrol_customer(runtime, "+79160000002")
    mine = await place_order(runtime, world, lines=[("HP-200", 1)], customer_id=anna)
    await place_order(runtime, world, lines=[("HP-200", 1)], customer_id=boris)
    sale = await pos_sale(runtime, world, "S02", lines=[("CB-400", 1)], client_sale_id="X1")
    as_anna = gql.as_(authorization=customer_token(anna))
    listed = await as_anna(docs.ORDERS, {})
    assert [e["node"]["number"] for e in listed["orders"]["edges"]] == [mine.number]
    assert (await as_anna(docs.ORDER, {"number": sale.number}))["order"] is None
    forbidden = await as_anna.raw(docs.ORDERS, {"customerId": gid("Customer", boris)})
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, s01 = await staff_token(Role.STORE_MANAGER, [world.locations["S01"]])
    store = gql.as_(authorization=s01)
    assert (await store(docs.ORDERS, {}))["orders"]["edges"] == []  # S01 sold nothing
    _, s02 = await staff_token(Role.CASHIER, [world.locations["S02"]])
    store2 = await gql.as_(authorization=s02)(docs.ORDERS, {})
    assert [e["node"]["number"] for e in store2["orders"]["edges"]] == [sale.number]


async def test_order_lists_cost_the_same_queries_for_2_or_8_orders(
    runtime, gql, staff_token, count_queries
):
    world = await make_world(runtime, stock={("HP-200", "WH"): 20, ("CB-400", "WH"): 20})
    customer = await enrol_customer(runtime)
    _, token = await staff_token(Role.ADMIN)
    admin = gql.as_(authorization=token)
    doc = """query($c: ID) { orders(customerId: $c, first: 20) { edges { node {
        number customer { id loyalty { pointsBalance } } sellingLocation { code }
        lines { sku pickupLocation { code } } tenders { kind } refunds { amount { amount } }
        fulfillmentOrders { status location { code } lines { quantity } }
        receipt { total { amount } } } } } }"""
    counts = []
    for n in (2, 8):
        while await scalar(runtime, "SELECT count(*) FROM orders") < n:
            await place_order(
                runtime, world, lines=[("HP-200", 1), ("CB-400", 1)], customer_id=customer
            )
        count_queries.statements.clear()
        out = await admin(doc, {"c": gid("Customer", customer)})
        assert len(out["orders"]["edges"]) == n
        # the outbox relay may publish the orders' events meanwhile: not this request's
        counts.append(
            len([s for s in count_queries.statements if "outbox" not in s and "advisory" not in s])
        )
    assert counts[0] == counts[1]


async def test_order_updated_subscription_hears_the_cancellation(runtime: Runtime, staff_token):
    world = await make_world(runtime, stock={("HP-200", "WH"): 5})
    placed = await place_order(runtime, world, lines=[("HP-200", 1)])
    _, token = await staff_token(Role.ADMIN)
    app = create_app(runtime=runtime)
    async with (
        httpx.AsyncClient(
            transport=ASGIWebSocketTransport(app=app), base_url="http://test"
        ) as client,
        aconnect_ws("http://test/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": "subscription($o: ID!) { orderUpdated(orderId: $o) { "
                    "change order { status } } }",
                    "variables": {"o": gid("Order", placed.order_id)},
                },
            }
        )
        await asyncio.sleep(0.3)
        from domain.access.model import Principal, PrincipalKind
        from fulfillment.services import cancel

        await cancel.cancel_order(
            runtime.uow(),
            Principal(kind=PrincipalKind.STAFF, role=Role.ADMIN, staff_user_id=1),
            order_id=placed.order_id,
            quantities=None,
            reason="TEST",
        )
        got = [await asyncio.wait_for(ws.receive_json(), 10) for _ in range(2)]
    changes = {g["payload"]["data"]["orderUpdated"]["change"] for g in got}
    assert "CANCELLED" in changes or "REFUND" in changes
    assert got[-1]["payload"]["data"]["orderUpdated"]["order"]["status"] == "CANCELLED"


LINES_UPDATE = """mutation($i: CartLinesUpdateInput!) { cartLinesUpdate(input: $i) {
  userErrors { code field message } cart { lines { id sku quantity method heldQuantity } } } }"""
LINES_REMOVE = """mutation($i: CartLinesRemoveInput!) { cartLinesRemove(input: $i) {
  userErrors { code field message } cart { lines { id } } } }"""


async def test_changing_and_removing_lines_moves_their_holds(runtime, gql):
    from tests.support.orders import level

    world = await make_world(runtime, stock={("HP-200", "WH"): 5, ("HP-200", "S01"): 2})
    web = gql.as_(x_api_key=world.web_key)
    token = await _web_cart(web, [{"sku": "HP-200", "quantity": 2}])
    cart = (await web("query($t: String!) { cart(token: $t) { id lines { id } } }", {"t": token}))[
        "cart"
    ]
    line = cart["lines"][0]["id"]
    # S01 ships and is nearest the address: held there
    assert (await level(runtime, world, "HP-200", "S01"))["reserved"] == 2
    changed = await web(
        LINES_UPDATE,
        {
            "i": {
                "token": token,
                "lines": [
                    {
                        "lineId": line,
                        "quantity": 1,
                        "method": "PICKUP",
                        "pickupLocationId": gid("Location", world.locations["S01"]),
                    }
                ],
            }
        },
    )
    assert changed["cartLinesUpdate"]["cart"]["lines"][0]["method"] == "PICKUP"
    assert await level(runtime, world, "HP-200", "WH") == {
        "on_hand": 5,
        "committed": 0,
        "reserved": 0,
    }
    assert await level(runtime, world, "HP-200", "S01") == {
        "on_hand": 2,
        "committed": 0,
        "reserved": 1,
    }
    bad = await web(
        LINES_UPDATE, {"i": {"token": token, "lines": [{"lineId": line, "quantity": 5000}]}}
    )
    assert bad["cartLinesUpdate"]["userErrors"][0]["field"] == "lines[0].quantity"
    assert await level(runtime, world, "HP-200", "S01") == {
        "on_hand": 2,
        "committed": 0,
        "reserved": 1,
    }
    removed = await web(LINES_REMOVE, {"i": {"token": token, "lineIds": [line]}})
    assert removed["cartLinesRemove"]["cart"]["lines"] == []
    assert await level(runtime, world, "HP-200", "S01") == {
        "on_hand": 2,
        "committed": 0,
        "reserved": 0,
    }
    # someone without the token (or the cart's store) does not see it
    stranger = gql.as_(x_api_key=world.web_key)
    seen = await stranger(
        "query($id: ID!) { cart(id: $id) { id } node(id: $id) { id } }", {"id": cart["id"]}
    )
    assert seen == {"cart": None, "node": None}
    wrong = await stranger(LINES_REMOVE, {"i": {"cartId": cart["id"], "lineIds": [line]}})
    assert wrong["cartLinesRemove"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_a_customers_orders_page_newest_first(runtime, gql, customer_token):
    world = await make_world(runtime, stock={("CB-400", "WH"): 9})
    anna = await enrol_customer(runtime)
    numbers = [
        (await place_order(runtime, world, lines=[("CB-400", 1)], customer_id=anna)).number
        for _ in range(3)
    ]
    me = gql.as_(authorization=customer_token(anna))
    first = (await me(docs.ORDERS, {"first": 2}))["orders"]
    assert [e["node"]["number"] for e in first["edges"]] == numbers[::-1][:2]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await me(docs.ORDERS, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["orders"]
    assert [e["node"]["number"] for e in rest["edges"]] == [numbers[0]]
    assert rest["pageInfo"]["hasNextPage"] is False
    profile = await me("query { me { orders { number } } }")
    assert [o["number"] for o in profile["me"]["orders"]] == numbers[::-1]
