"""One complete flow per channel, through GraphQL."""

from __future__ import annotations

from typing import Any

from api.relay import encode_id
from tests.api.orders import docs
from tests.support.orders import ADDRESS, enrol_customer, level, make_world, scalar


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


async def _cart(api: Any, **create: Any) -> dict[str, Any]:
    data = await api(docs.CART_CREATE, {"input": create})
    assert data["cartCreate"]["userErrors"] == []
    return data["cartCreate"]["cart"]


async def test_web_ship_flow(runtime, gql) -> None:
    world = await make_world(runtime, stock={("HP-200", "WH"): 4, ("CB-400", "WH"): 10})
    web = gql.as_(x_api_key=world.web_key)
    cart = await _cart(web)
    assert cart["channel"] == "WEB" and cart["token"]
    token = cart["token"]
    added = await web(
        docs.LINES_ADD,
        {
            "input": {
                "token": token,
                "idempotencyKey": "add-1",
                "lines": [{"sku": "HP-200", "quantity": 1}, {"sku": "CB-400", "quantity": 2}],
            }
        },
    )
    lines = added["cartLinesAdd"]["cart"]["lines"]
    assert [
        (ln["sku"], ln["heldQuantity"], ln["holds"][0]["location"]["code"]) for ln in lines
    ] == [
        ("HP-200", 1, "WH"),
        ("CB-400", 2, "WH"),
    ]
    # held + still free where it can ship from: the shopper sees how many more they could have
    assert [ln["available"] for ln in lines] == [4, 10]
    shipped = await web(
        docs.SET_SHIPPING,
        {"input": {"token": token, "address": ADDRESS, "shippingMethod": "COURIER"}},
    )
    quote = shipped["cartSetShipping"]["cart"]["quote"]["quote"]
    # 3 490 + 2 x 990 = 5 470 roubles, over the 5 000 free-delivery threshold
    assert quote == {"total": {"amount": 547_000}, "shipping": {"amount": 0}}
    done = await web(
        docs.CHECKOUT,
        {
            "input": {
                "token": token,
                "idempotencyKey": "co-1",
                "tenders": [{"kind": "CARD", "reference": "PSP-1"}],
            }
        },
    )
    order = done["checkoutComplete"]["order"]
    assert done["checkoutComplete"]["userErrors"] == []
    assert order["number"].startswith("W-") and order["status"] == "PLACED"
    assert order["tenders"] == [
        {
            "kind": "CARD",
            "amount": {"amount": 547_000},
            "change": {"amount": 0},
            "points": 0,
            "reference": "PSP-1",
        }
    ]
    assert await level(runtime, world, "HP-200", "WH") == {
        "on_hand": 4,
        "committed": 1,
        "reserved": 0,
    }
    replay = await web(
        docs.CHECKOUT,
        {
            "input": {
                "token": token,
                "idempotencyKey": "co-1",
                "tenders": [{"kind": "CARD", "reference": "PSP-1"}],
            }
        },
    )
    assert replay["checkoutComplete"]["order"]["number"] == order["number"]
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 1


async def test_app_pickup_flow_with_signed_in_member(runtime, gql, customer_token) -> None:
    world = await make_world(runtime, stock={("HP-100", "S02"): 2, ("HP-100", "WH"): 5})
    customer = await enrol_customer(runtime)
    app = gql.as_(x_api_key=world.app_key)
    anon = await _cart(app)
    await app(
        docs.LINES_ADD,
        {
            "input": {
                "token": anon["token"],
                "lines": [
                    {
                        "sku": "HP-100",
                        "quantity": 1,
                        "method": "PICKUP",
                        "pickupLocationId": gid("Location", world.locations["S02"]),
                    }
                ],
            }
        },
    )
    member = app.as_(authorization=customer_token(customer))
    adopted = await member(
        """mutation($t: String!) { cartAdopt(input: {token: $t}) {
        userErrors { code message }
        cart { id customer { id } lines { heldQuantity pickupLocation { code } } } } }""",
        {"t": anon["token"]},
    )
    cart = adopted["cartAdopt"]["cart"]
    assert cart["customer"]["id"] == gid("Customer", customer)
    assert cart["lines"] == [{"heldQuantity": 1, "pickupLocation": {"code": "S02"}}]
    done = await member(
        docs.CHECKOUT,
        {
            "input": {
                "cartId": cart["id"],
                "idempotencyKey": "k",
                "tenders": [{"kind": "CARD", "reference": "APPLE-PAY-9"}],
            }
        },
    )
    order = done["checkoutComplete"]["order"]
    assert order["number"].startswith("A-")
    assert order["lines"][0]["pickupLocation"] == {"code": "S02"}
    assert (
        order["pointsEarned"] == 599
    )  # 29 990 RUB x 1 point per 100 RUB x2 headphones bonus, rounded down
    assert await level(runtime, world, "HP-100", "S02") == {
        "on_hand": 2,
        "committed": 1,
        "reserved": 0,
    }
    mine = await member(docs.ORDERS, {})
    assert [e["node"]["number"] for e in mine["orders"]["edges"]] == [order["number"]]


async def test_pos_carry_out_flow_with_cash_and_change(runtime, gql, staff_token) -> None:
    from domain.access.model import Role

    world = await make_world(runtime, stock={("CB-400", "S01"): 5, ("HP-200", "S01"): 1})
    _, cashier = await staff_token(Role.CASHIER, [world.locations["S01"]])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    sale = await till(
        docs.POS_SALE,
        {
            "input": {
                "clientSaleId": "T1-000001",
                "idempotencyKey": "T1-000001",
                "lines": [{"sku": "CB-400", "quantity": 2}, {"sku": "HP-200", "quantity": 1}],
                "tenders": [{"kind": "CASH", "tendered": 600_000}],
            }
        },
    )
    body = sale["posSaleComplete"]
    assert body["userErrors"] == [] and body["replayed"] is False
    receipt = body["receipt"]
    assert receipt["total"] == {"amount": 547_000}
    assert receipt["change"] == {"amount": 53_000}
    # VAT 20% included, per line: 1 980,00 -> 330,00 and 3 490,00 -> 581,67
    assert receipt["taxes"] == [
        {"rate": "20", "net": {"amount": 455_833}, "vat": {"amount": 91_167}}
    ]
    assert body["order"]["number"].startswith("S01-")
    assert await level(runtime, world, "CB-400", "S01") == {
        "on_hand": 3,
        "committed": 0,
        "reserved": 0,
    }
    order = (await till(docs.ORDER, {"number": body["order"]["number"]}))["order"]
    assert order["status"] == "COMPLETED"
    assert [ln["fulfilledQuantity"] for ln in order["lines"]] == [2, 1]


async def test_endless_aisle_staff_sells_in_store_for_home_delivery(
    runtime, gql, staff_token
) -> None:
    world = await make_world(runtime, stock={("PH-300", "WH"): 3})
    await enrol_customer(runtime)
    _, token = await staff_token(
        __import__("domain.access.model", fromlist=["Role"]).Role.CASHIER, [world.locations["S02"]]
    )
    staff = gql.as_(authorization=token)
    cart = await _cart(staff, locationId=gid("Location", world.locations["S02"]))
    assert cart["channel"] == "STAFF"
    await staff(docs.ATTACH, {"input": {"cartId": cart["id"], "identifier": "8 (916) 123-45-67"}})
    added = await staff(
        docs.LINES_ADD,
        {"input": {"cartId": cart["id"], "lines": [{"sku": "PH-300", "quantity": 1}]}},
    )
    assert added["cartLinesAdd"]["cart"]["lines"][0]["holds"][0]["location"]["code"] == "WH"
    await staff(
        docs.SET_SHIPPING,
        {"input": {"cartId": cart["id"], "address": ADDRESS, "shippingMethod": "EXPRESS"}},
    )
    done = await staff(
        docs.CHECKOUT,
        {
            "input": {
                "cartId": cart["id"],
                "idempotencyKey": "ea-1",
                "tenders": [{"kind": "CARD", "reference": "POS-TERM-1"}],
            }
        },
    )
    order = done["checkoutComplete"]["order"]
    assert done["checkoutComplete"]["userErrors"] == []
    assert order["sellingLocation"] == {"code": "S02"}
    assert order["number"].startswith("S02-E") and order["channel"] == "STAFF"
    assert order["shipping"] == {"amount": 99_000}  # express is never free
    assert order["total"] == {"amount": 8_999_000 + 99_000}
    assert await level(runtime, world, "PH-300", "WH") == {
        "on_hand": 3,
        "committed": 1,
        "reserved": 0,
    }


FOS = """query($n: String) { order(number: $n) { status lines { fulfilledQuantity }
  fulfillmentOrders { id method status pickupCode location { code } lines { quantity } } } }"""

STEP = """mutation($m: String!) { %s }"""


async def _staff(gql: Any, staff_token: Any, role_name: str, locations: list[int]) -> Any:
    from domain.access.model import Role

    _, token = await staff_token(Role(role_name), locations)
    return gql.as_(authorization=token)


async def test_split_shipment_flow_two_locations_ship_their_parts(
    runtime, gql, staff_token
) -> None:
    world = await make_world(runtime, stock={("PH-300", "WH"): 2, ("PH-300", "S01"): 1})
    web = gql.as_(x_api_key=world.web_key)
    cart = await _cart(web)
    await web(
        docs.LINES_ADD,
        {"input": {"token": cart["token"], "lines": [{"sku": "PH-300", "quantity": 3}]}},
    )
    await web(
        docs.SET_SHIPPING,
        {"input": {"token": cart["token"], "address": ADDRESS, "shippingMethod": "POST"}},
    )
    done = await web(
        docs.CHECKOUT,
        {
            "input": {
                "token": cart["token"],
                "idempotencyKey": "s",
                "tenders": [{"kind": "CARD", "reference": "PSP-3"}],
            }
        },
    )
    number = done["checkoutComplete"]["order"]["number"]
    admin = await _staff(gql, staff_token, "ADMIN", [])
    order = (await admin(FOS, {"n": number}))["order"]
    parts = sorted(
        (fo["location"]["code"], fo["lines"][0]["quantity"], fo["method"])
        for fo in order["fulfillmentOrders"]
    )
    assert parts == [("S01", 1, "SHIP"), ("WH", 2, "SHIP")]
    assert await level(runtime, world, "PH-300", "WH") == {
        "on_hand": 2,
        "committed": 2,
        "reserved": 0,
    }
    assert await level(runtime, world, "PH-300", "S01") == {
        "on_hand": 1,
        "committed": 1,
        "reserved": 0,
    }
    for fo in order["fulfillmentOrders"]:
        shipped = await admin(
            """mutation($id: ID!) { fulfillmentOrderShip(input: {fulfillmentOrderId: $id,
            carrier: "CDEK", trackingNumber: "TRK1"}) {
            userErrors { code message } fulfillmentOrder { status } } }""",
            {"id": fo["id"]},
        )
        assert shipped["fulfillmentOrderShip"]["fulfillmentOrder"]["status"] == "SHIPPED"
    after = (await admin(FOS, {"n": number}))["order"]
    assert after["lines"] == [{"fulfilledQuantity": 3}]
    assert await level(runtime, world, "PH-300", "WH") == {
        "on_hand": 0,
        "committed": 0,
        "reserved": 0,
    }
    assert await level(runtime, world, "PH-300", "S01") == {
        "on_hand": 0,
        "committed": 0,
        "reserved": 0,
    }


async def test_buy_on_the_web_pick_up_in_the_store(
    runtime, gql, staff_token, customer_token
) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 3})
    customer = await enrol_customer(runtime)
    member = gql.as_(x_api_key=world.web_key, authorization=customer_token(customer))
    cart = await _cart(member)
    s01 = gid("Location", world.locations["S01"])
    await member(
        docs.LINES_ADD,
        {
            "input": {
                "cartId": cart["id"],
                "lines": [
                    {"sku": "HP-200", "quantity": 1, "method": "PICKUP", "pickupLocationId": s01}
                ],
            }
        },
    )
    done = await member(
        docs.CHECKOUT,
        {
            "input": {
                "cartId": cart["id"],
                "idempotencyKey": "p",
                "tenders": [{"kind": "CARD", "reference": "PSP-4"}],
            }
        },
    )
    number = done["checkoutComplete"]["order"]["number"]
    mine = (await member(FOS, {"n": number}))["order"]
    fo = mine["fulfillmentOrders"][0]
    assert (fo["method"], fo["location"]["code"], fo["status"]) == ("PICKUP", "S01", "OPEN")
    assert fo["pickupCode"] is None  # issued when the goods are on the pickup shelf
    clerk = await _staff(gql, staff_token, "CASHIER", [world.locations["S01"]])
    ready = await clerk(
        """mutation($id: ID!) { fulfillmentOrderMarkReady(input: {fulfillmentOrderId: $id}) {
        userErrors { code message } fulfillmentOrder { status } } }""",
        {"id": fo["id"]},
    )
    assert ready["fulfillmentOrderMarkReady"]["fulfillmentOrder"]["status"] == "READY_FOR_PICKUP"
    code = (await member(FOS, {"n": number}))["order"]["fulfillmentOrders"][0]["pickupCode"]
    assert code
    picked = await clerk(
        """mutation($id: ID!, $c: String!) {
        fulfillmentOrderPickUp(input: {fulfillmentOrderId: $id, code: $c}) {
        userErrors { code message } fulfillmentOrder { status } } }""",
        {"id": fo["id"], "c": code},
    )
    assert picked["fulfillmentOrderPickUp"]["fulfillmentOrder"]["status"] == "PICKED_UP"
    final = (await member(FOS, {"n": number}))["order"]
    assert final["status"] == "COMPLETED" and final["lines"] == [{"fulfilledQuantity": 1}]
    assert await level(runtime, world, "HP-200", "S01") == {
        "on_hand": 2,
        "committed": 0,
        "reserved": 0,
    }


SIGN_IN = """mutation($i: CustomerSignInInput!) { customerSignIn(input: $i) {
  userErrors { code field message } token cartId } }"""


async def test_the_anonymous_cart_is_adopted_on_sign_in(runtime, gql) -> None:
    from loyalty.services import sign_up

    world = await make_world(runtime, stock={("HP-200", "WH"): 4})
    for email in ("olga@example.ru", "ivan@example.ru"):
        await sign_up(
            runtime.uow(), email=email, password="long-enough-pw", first_name="X", channel="WEB"
        )
    web = gql.as_(x_api_key=world.web_key)
    cart = await _cart(web)
    await web(docs.LINES_ADD, {"input": {"token": cart["token"], "lines": [
        {"sku": "HP-200", "quantity": 2, "method": "SHIP"}]}})  # fmt: skip
    signed = (
        await web(
            SIGN_IN,
            {
                "i": {
                    "identifier": "olga@example.ru",
                    "password": "long-enough-pw",
                    "cartToken": cart["token"],
                }
            },
        )
    )["customerSignIn"]
    assert signed["userErrors"] == [] and signed["cartId"] == cart["id"]
    olga = web.as_(authorization=f"Bearer {signed['token']}")
    mine = await olga(
        "query($id: ID!) { cart(id: $id) { customer { id } lines { sku quantity heldQuantity } } }",
        {"id": signed["cartId"]},
    )
    assert mine["cart"]["lines"] == [{"sku": "HP-200", "quantity": 2, "heldQuantity": 2}]
    assert mine["cart"]["customer"] is not None
    # someone else signing in with the same token keeps their sign-in, not the cart
    other = (
        await web.raw(
            SIGN_IN,
            {
                "i": {
                    "identifier": "ivan@example.ru",
                    "password": "long-enough-pw",
                    "cartToken": cart["token"],
                }
            },
        )
    ).json()["data"]["customerSignIn"]
    assert other["token"] and other["cartId"] is None
    assert [e["field"] for e in other["userErrors"]] == ["cartToken"]
    again = await olga(
        "query($id: ID!) { cart(id: $id) { lines { quantity } } }", {"id": signed["cartId"]}
    )
    assert again["cart"]["lines"] == [{"quantity": 2}]
