"""Issue 13.4: idempotency never hands one person's result to another.

Keys belong to the acting principal (customer, staff member, a till, or an anonymous shopper
told apart by their session and cart token), and a replay is checked again before it is
returned. Everyone here uses the same public web key, as every shopper of a site does.
"""

from __future__ import annotations

from typing import Any

from api.relay import encode_id
from api.runtime import Runtime
from domain.access.model import Role
from tests.api.orders import docs
from tests.conftest import GQL
from tests.support.orders import ADDRESS, counters, enrol_customer, make_world, scalar

CARD = [{"kind": "CARD", "reference": "PSP-1"}]
RETURN_CREATE = """
mutation($input: ReturnCreateInput!) { returnCreate(input: $input) {
  userErrors { code field message } return { id status refundTotal { amount } } } }"""


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


async def _cart(api: GQL, sku: str = "HP-100") -> dict[str, Any]:
    cart = (await api(docs.CART_CREATE, {"input": {}}))["cartCreate"]["cart"]
    ref = {"token": cart["token"]}
    await api(docs.LINES_ADD, {"input": {**ref, "lines": [{"sku": sku, "quantity": 1}]}})
    await api(
        docs.SET_SHIPPING,
        {"input": {**ref, "address": ADDRESS, "shippingMethod": "COURIER"}},
    )
    return dict(cart)


async def _written(runtime: Runtime) -> dict[str, int]:
    return {
        table: int(await scalar(runtime, f"SELECT count(*) FROM {table}"))
        for table in ("orders", "order_tenders", "returns", "idempotency_keys", "outbox_events")
    }


async def test_a_customers_checkout_replayed_by_an_anonymous_caller_gives_them_nothing(
    runtime: Runtime, gql: GQL, customer_token: Any
):
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    anna = await enrol_customer(runtime)
    shopper = gql.as_(x_api_key=world.web_key, authorization=customer_token(anna))
    cart = await _cart(shopper)
    request = {"cartId": cart["id"], "tenders": CARD, "idempotencyKey": "checkout-1"}
    first = (await shopper(docs.CHECKOUT, {"input": request}))["checkoutComplete"]
    number = first["order"]["number"]
    before = (await counters(runtime, world, anna, None), await _written(runtime))

    stranger = gql.as_(x_api_key=world.web_key)
    response = await stranger.raw(docs.CHECKOUT, {"input": request})
    body = response.json()["data"]["checkoutComplete"]
    assert body["order"] is None
    assert body["userErrors"] == [
        {
            "code": "NOT_FOUND",
            "field": "cartId",
            "message": "There is no such cart; create a new one with cartCreate.",
        }
    ]
    assert number not in response.text
    assert (await counters(runtime, world, anna, None), await _written(runtime)) == before

    # Anna herself, retrying, still gets her first answer.
    again = (await shopper(docs.CHECKOUT, {"input": request}))["checkoutComplete"]
    assert again == first
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 1


async def test_two_anonymous_shoppers_with_the_same_key_each_get_their_own_order(
    runtime: Runtime, gql: GQL
):
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    web = gql.as_(x_api_key=world.web_key)
    carts = [await _cart(web), await _cart(web)]
    orders = []
    for cart in carts:
        request = {"token": cart["token"], "tenders": CARD, "idempotencyKey": "checkout-1"}
        body = (await web(docs.CHECKOUT, {"input": request}))["checkoutComplete"]
        assert body["userErrors"] == []
        orders.append(body["order"])
    assert orders[0]["number"] != orders[1]["number"]
    owners = await scalar(
        runtime, "SELECT count(DISTINCT cart_id) FROM orders WHERE status::text <> 'CANCELLED'"
    )
    assert owners == 2

    # The first shopper's retry (same token, same key) is still their own first answer.
    request = {"token": carts[0]["token"], "tenders": CARD, "idempotencyKey": "checkout-1"}
    again = (await web(docs.CHECKOUT, {"input": request}))["checkoutComplete"]
    assert again["order"] == orders[0]
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 2


async def test_a_leaked_cart_token_in_another_session_does_not_replay_the_order(
    runtime: Runtime, gql: GQL
):
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    anna = gql.as_(x_api_key=world.web_key, x_session_id="anna-browser")
    cart = await _cart(anna)
    request = {"token": cart["token"], "tenders": CARD, "idempotencyKey": "checkout-1"}
    first = (await anna(docs.CHECKOUT, {"input": request}))["checkoutComplete"]
    before = await _written(runtime)

    other = gql.as_(x_api_key=world.web_key, x_session_id="someone-else")
    response = await other.raw(docs.CHECKOUT, {"input": request})
    body = response.json()["data"]["checkoutComplete"]
    assert body["order"] is None
    assert [e["code"] for e in body["userErrors"]] == ["CART_CLOSED"]
    # Run as their own request: the closed cart says so (to whoever holds its token), but no
    # order, lines or payment come back.
    assert first["order"]["id"] not in response.text
    assert "PSP-1" not in response.text
    assert await _written(runtime) == before

    assert (await anna(docs.CHECKOUT, {"input": request}))["checkoutComplete"] == first


async def test_a_customers_return_replayed_by_another_customer_gives_them_nothing(
    runtime: Runtime, gql: GQL, customer_token: Any
):
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    anna = await enrol_customer(runtime, "+79161234567")
    boris = await enrol_customer(runtime, "+79161234568")
    shopper = gql.as_(x_api_key=world.web_key, authorization=customer_token(anna))
    cart = await _cart(shopper)
    placed = (await shopper(docs.CHECKOUT, {"input": {"cartId": cart["id"], "tenders": CARD}}))[
        "checkoutComplete"
    ]["order"]
    request = {
        "orderId": placed["id"],
        "lines": [
            {"orderLineId": placed["lines"][0]["id"], "quantity": 1, "reason": "CHANGED_MIND"}
        ],
        "idempotencyKey": "return-1",
    }
    first = (await shopper(RETURN_CREATE, {"input": request}))["returnCreate"]
    assert first["userErrors"] == []
    before = (await counters(runtime, world, anna, None), await _written(runtime))

    other = gql.as_(x_api_key=world.web_key, authorization=customer_token(boris))
    response = await other.raw(RETURN_CREATE, {"input": request})
    body = response.json()["data"]["returnCreate"]
    assert body["return"] is None
    assert [e["code"] for e in body["userErrors"]] == ["ORDER_NOT_FOUND"]
    assert first["return"]["id"] not in response.text
    assert (await counters(runtime, world, anna, None), await _written(runtime)) == before

    assert (await shopper(RETURN_CREATE, {"input": request}))["returnCreate"] == first


async def test_a_till_replays_its_sale_after_a_change_of_shift_and_another_till_does_not(
    runtime: Runtime, gql: GQL, staff_token: Any
):
    world = await make_world(runtime, stock={("HP-100", "S01"): 5, ("HP-100", "S02"): 5})
    s01, s02 = world.locations["S01"], world.locations["S02"]
    _, morning = await staff_token(Role.CASHIER, [s01])
    _, evening = await staff_token(Role.CASHIER, [s01])
    _, elsewhere = await staff_token(Role.CASHIER, [s02])
    sale = {
        "clientSaleId": "T1-0001",
        "idempotencyKey": "T1-0001",
        "lines": [{"sku": "HP-100", "quantity": 1}],
        "tenders": [{"kind": "CASH", "tendered": 3_000_000}],
    }
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=morning)
    first = (await till(docs.POS_SALE, {"input": sale}))["posSaleComplete"]
    assert (first["userErrors"], first["replayed"]) == ([], False)

    later = gql.as_(x_api_key=world.pos_keys["S01"], authorization=evening)
    # the same order and receipt, marked as the replay it is
    assert (await later(docs.POS_SALE, {"input": sale}))["posSaleComplete"] == {
        **first,
        "replayed": True,
    }
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 1

    other_store = gql.as_(x_api_key=world.pos_keys["S02"], authorization=elsewhere)
    own = (await other_store(docs.POS_SALE, {"input": sale}))["posSaleComplete"]
    assert own["userErrors"] == []
    assert own["order"]["number"] != first["order"]["number"]
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 2
    on_hand = "SELECT on_hand FROM stock_levels WHERE location_id = :l"
    assert [await scalar(runtime, on_hand, l=loc) for loc in (s01, s02)] == [4, 4]


async def test_a_key_stored_client_wide_before_the_upgrade_replays_only_to_who_may_see_it(
    runtime: Runtime, gql: GQL, customer_token: Any
):
    from sqlalchemy import text

    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    anna = await enrol_customer(runtime)
    shopper = gql.as_(x_api_key=world.web_key, authorization=customer_token(anna))
    cart = await _cart(shopper)
    request = {"cartId": cart["id"], "tenders": CARD, "idempotencyKey": "checkout-1"}
    first = (await shopper(docs.CHECKOUT, {"input": request}))["checkoutComplete"]
    web_key_id = await scalar(runtime, "SELECT id FROM api_keys WHERE name = 'web'")
    async with runtime.engine.begin() as conn:  # as the previous release stored it
        await conn.execute(
            text("UPDATE idempotency_keys SET scope = :s WHERE key = 'checkout-1'"),
            {"s": f"key:{web_key_id}:checkoutComplete"},
        )
    before = (await counters(runtime, world, anna, None), await _written(runtime))

    assert (await shopper(docs.CHECKOUT, {"input": request}))["checkoutComplete"] == first
    stranger = gql.as_(x_api_key=world.web_key)
    response = await stranger.raw(docs.CHECKOUT, {"input": request})
    assert response.json()["data"]["checkoutComplete"] == {
        "userErrors": [
            {
                "code": "IDEMPOTENCY_KEY_REUSED",
                "field": "idempotencyKey",
                "message": "Idempotency key 'checkout-1' belongs to a request whose result you "
                "may not see; send a new key (a fresh UUID) for your own request.",
            }
        ],
        "shortfalls": [],
        "order": None,
    }
    assert first["order"]["number"] not in response.text
    assert (await counters(runtime, world, anna, None), await _written(runtime)) == before


async def test_a_till_return_replays_after_a_change_of_shift_and_writes_once(
    runtime: Runtime, gql: GQL, staff_token: Any
):
    world = await make_world(runtime, stock={("HP-100", "S01"): 5})
    s01 = world.locations["S01"]
    _, morning = await staff_token(Role.CASHIER, [s01])
    _, evening = await staff_token(Role.CASHIER, [s01])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=morning)
    sale = {
        "clientSaleId": "T1-0002",
        "lines": [{"sku": "HP-100", "quantity": 1}],
        "tenders": [{"kind": "CASH", "tendered": 3_000_000}],
    }
    order = (await till(docs.POS_SALE, {"input": sale}))["posSaleComplete"]["order"]
    line = await scalar(
        runtime, "SELECT id FROM order_lines WHERE order_id = :o", o=int(await scalar(
            runtime, "SELECT id FROM orders WHERE number = :n", n=order["number"]
        ))
    )  # fmt: skip
    request = {
        "orderId": order["id"],
        "lines": [{"orderLineId": gid("OrderLine", line), "quantity": 1, "reason": "DEFECTIVE"}],
        "locationId": gid("Location", s01),
        "idempotencyKey": "T1-R-0001",
    }
    first = (await till(RETURN_CREATE, {"input": request}))["returnCreate"]
    assert first["userErrors"] == []
    before = await _written(runtime)
    later = gql.as_(x_api_key=world.pos_keys["S01"], authorization=evening)
    assert (await later(RETURN_CREATE, {"input": request}))["returnCreate"] == first
    assert await _written(runtime) == before
    assert await scalar(runtime, "SELECT count(*) FROM returns") == 1
