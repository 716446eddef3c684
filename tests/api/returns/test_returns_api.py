"""Issue 8 through the GraphQL API: return anywhere, exact refunds, replays, over-returns."""

from __future__ import annotations

import asyncio
from typing import Any

from api.relay import encode_id
from domain.access.model import Role
from domain.pricing import model as pricing
from domain.pricing.services import promotions
from fulfillment.model import TenderKind
from fulfillment.services.tenders import TenderRequest
from tests.integration.returns.support import fulfil_all, rows, scalar
from tests.support.orders import enrol_customer, give_points, level, make_world, place_order

CREATE = """
mutation($input: ReturnCreateInput!) {
  returnCreate(input: $input) {
    userErrors { code field message }
    return { id status refundTotal { amount } lines { id quantity cancelledQuantity } }
  }
}"""

RECEIVE = """
mutation($input: ReturnReceiveInput!) {
  returnReceive(input: $input) {
    userErrors { code field message }
    return {
      id status refundGoods { amount } refundShipping { amount } refundWithheld { amount }
      refundTotal { amount display } pointsReversed
      location { code }
      lines { receivedQuantity disposition refund { amount } }
      order { number lines { returnedQuantity } refunds { kind amount { amount } } }
    }
  }
}"""


def gid(kind: str, i: int) -> str:
    return str(encode_id(kind, i))


async def _order_lines(runtime: Any, order_id: int) -> list[int]:
    return [
        r[0]
        for r in await rows(
            runtime, "SELECT id FROM order_lines WHERE order_id = :o ORDER BY line_no", o=order_id
        )
    ]


async def _snapshot(runtime: Any, customer_id: int | None) -> dict[str, Any]:
    return {
        "levels": await rows(
            runtime,
            "SELECT variant_id, location_id, on_hand, committed, damaged, quality_control "
            "FROM stock_levels ORDER BY 1, 2",
        ),
        "movements": await scalar(runtime, "SELECT count(*) FROM stock_movements"),
        "returns": await scalar(runtime, "SELECT count(*) FROM returns"),
        "refunds": await scalar(runtime, "SELECT count(*) FROM order_refunds"),
        "tenders": await rows(runtime, "SELECT id, refunded FROM order_tenders ORDER BY id"),
        "order_lines": await rows(
            runtime, "SELECT id, cancelled_quantity, returned_quantity FROM order_lines ORDER BY id"
        ),
        "points": await scalar(
            runtime, "SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=customer_id
        ),
        "points_entries": await scalar(runtime, "SELECT count(*) FROM points_entries"),
    }


async def test_bought_on_the_web_returned_at_store_b(
    runtime: Any, gql: Any, staff_token: Any, customer_token: Any
) -> None:
    """Paid 500 points + card; returned in the app, received at S02: S02 on_hand +1 with a
    RETURN movement, the refund is exact (points first, then card), earned points reversed."""
    world = await make_world(runtime, stock={("HP-100", "WH"): 3})
    cid = await enrol_customer(runtime)
    await give_points(runtime, cid, 500)
    placed = await place_order(
        runtime,
        world,
        lines=[("HP-100", 1, "SHIP")],
        customer_id=cid,
        tenders=[
            TenderRequest(TenderKind.POINTS, points=500),
            TenderRequest(TenderKind.CARD, reference="PSP-1"),
        ],
    )
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _order_lines(runtime, placed.order_id)
    earned = await scalar(runtime, "SELECT points_earned FROM orders")
    total = await scalar(runtime, "SELECT total FROM orders")
    assert total == 2_999_000 and earned > 0  # free delivery above 5000
    points_before = await scalar(runtime, "SELECT balance FROM loyalty_accounts")
    s02 = world.locations["S02"]
    s02_before = await level(runtime, world, "HP-100", "S02")

    app = gql.as_(x_api_key=world.app_key, authorization=customer_token(cid))
    created = (
        await app(
            CREATE,
            {
                "input": {
                    "orderId": gid("Order", placed.order_id),
                    "lines": [
                        {
                            "orderLineId": gid("OrderLine", line_id),
                            "quantity": 1,
                            "reason": "DOES_NOT_FIT",
                        }
                    ],
                    "idempotencyKey": "app-return-1",
                }
            },
        )
    )["returnCreate"]
    assert created["userErrors"] == []
    assert created["return"]["status"] == "REQUESTED"
    return_gid = created["return"]["id"]
    line_gid = created["return"]["lines"][0]["id"]

    _, token = await staff_token(Role.CASHIER, [s02])
    till = gql.as_(x_api_key=world.pos_keys["S02"], authorization=token)
    got = (
        await till(
            RECEIVE,
            {
                "input": {
                    "returnId": return_gid,
                    "locationId": gid("Location", s02),
                    "lines": [{"returnLineId": line_gid, "disposition": "RESTOCK"}],
                    "idempotencyKey": "receipt-1",
                }
            },
        )
    )["returnReceive"]
    assert got["userErrors"] == []
    r = got["return"]
    assert r["status"] == "RECEIVED"
    assert r["location"] == {"code": "S02"}
    assert r["refundTotal"] == {"amount": 2_999_000, "display": r["refundTotal"]["display"]}
    assert r["refundWithheld"] == {"amount": 0}
    assert r["lines"] == [
        {"receivedQuantity": 1, "disposition": "RESTOCK", "refund": {"amount": 2_999_000}}
    ]
    assert r["order"]["lines"] == [{"returnedQuantity": 1}]
    assert r["order"]["refunds"] == [
        {"kind": "POINTS", "amount": {"amount": 50_000}},
        {"kind": "CARD", "amount": {"amount": 2_949_000}},
    ]
    assert r["pointsReversed"] == earned
    # stock landed where the goods are, with a ledger entry
    assert (await level(runtime, world, "HP-100", "S02"))["on_hand"] == s02_before["on_hand"] + 1
    assert await rows(
        runtime,
        "SELECT location_id, kind::text, d_on_hand, document_ref FROM stock_movements "
        "WHERE kind = 'RETURN'",
    ) == [(s02, "RETURN", 1, f"return:{await scalar(runtime, 'SELECT id FROM returns')}")]
    # the 500 redeemed points came back; the points earned on the order were taken back
    assert await scalar(runtime, "SELECT balance FROM loyalty_accounts") == (
        points_before + 500 - earned
    )
    assert await rows(runtime, "SELECT amount, refunded FROM order_tenders ORDER BY id") == [
        (50_000, 50_000),
        (2_949_000, 2_949_000),
    ]


async def test_the_same_receipt_replayed_moves_and_refunds_once(
    runtime: Any, gql: Any, staff_token: Any
) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 4})
    placed = await place_order(runtime, world, lines=[("HP-200", 2, "PICKUP", "S01")])
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _order_lines(runtime, placed.order_id)
    s01 = world.locations["S01"]
    _, token = await staff_token(Role.CASHIER, [s01])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=token)
    created = (
        await till(
            CREATE,
            {
                "input": {
                    "orderId": gid("Order", placed.order_id),
                    "lines": [
                        {
                            "orderLineId": gid("OrderLine", line_id),
                            "quantity": 1,
                            "reason": "DEFECTIVE",
                        }
                    ],
                }
            },
        )
    )["returnCreate"]["return"]
    variables = {
        "input": {
            "returnId": created["id"],
            "locationId": gid("Location", s01),
            "lines": [{"returnLineId": created["lines"][0]["id"], "disposition": "RESTOCK"}],
            "idempotencyKey": "receipt-42",
        }
    }
    # the same key, sent concurrently and then again
    results = await asyncio.gather(*(till(RECEIVE, variables) for _ in range(6)))
    again = await till(RECEIVE, variables)
    payloads = [r["returnReceive"] for r in [*results, again]]
    assert all(p["userErrors"] == [] for p in payloads)
    assert {p["return"]["refundTotal"]["amount"] for p in payloads} == {349_000}
    assert await scalar(runtime, "SELECT count(*) FROM stock_movements WHERE kind = 'RETURN'") == 1
    assert await scalar(runtime, "SELECT count(*) FROM order_refunds") == 1
    assert await scalar(runtime, "SELECT sum(refunded) FROM order_tenders") == 349_000
    # another key for the same receipt: refused, nothing changes
    variables["input"]["idempotencyKey"] = "receipt-43"
    refused = (await till(RECEIVE, variables))["returnReceive"]
    assert [e["code"] for e in refused["userErrors"]] == ["RETURN_STATE"]
    assert await scalar(runtime, "SELECT count(*) FROM stock_movements WHERE kind = 'RETURN'") == 1
    assert await scalar(runtime, "SELECT count(*) FROM order_refunds") == 1


async def test_returning_more_than_was_bought_is_a_user_error_and_changes_nothing(
    runtime: Any, gql: Any, staff_token: Any
) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 4})
    cid = await enrol_customer(runtime)
    placed = await place_order(
        runtime, world, lines=[("HP-200", 1, "PICKUP", "S01")], customer_id=cid
    )
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _order_lines(runtime, placed.order_id)
    s01 = world.locations["S01"]
    _, token = await staff_token(Role.CASHIER, [s01])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=token)
    before = await _snapshot(runtime, cid)
    got = (
        await till(
            CREATE,
            {
                "input": {
                    "orderId": gid("Order", placed.order_id),
                    "lines": [
                        {
                            "orderLineId": gid("OrderLine", line_id),
                            "quantity": 2,
                            "reason": "CHANGED_MIND",
                        }
                    ],
                }
            },
        )
    )["returnCreate"]
    assert got["return"] is None
    assert got["userErrors"] == [
        {
            "code": "RETURN_QUANTITY_EXCEEDED",
            "field": "lines[0].quantity",
            "message": "Line 1 (HP-200) was bought 1 time(s) (1 handed over, 0 already "
            "returned); 2 cannot be returned. Return at most 1.",
        }
    ]
    assert await _snapshot(runtime, cid) == before


async def test_partial_return_of_a_discounted_bundle(
    runtime: Any, gql: Any, staff_token: Any
) -> None:
    """Headphones 3490 + cable 990 as a bundle for 3990. The cable comes back: the headphones
    alone cost 3490, so 3990 - 3490 = 500.00 is refunded (490.00 of the bundle discount is
    withheld); then the headphones: 3490.00. Together: exactly the 3990.00 paid."""
    world = await make_world(runtime, stock={("HP-200", "S01"): 3, ("CB-400", "S01"): 3})
    await promotions.create_promotion(
        runtime.uow(),
        actor="test",
        promotion=pricing.Promotion(
            id=0,
            name="Headphones + cable for 3990",
            kind=pricing.PromotionKind.BUNDLE_PRICE,
            amount=399_000,
            buy_quantity=2,
            target=pricing.Target(
                variant_ids=frozenset({world.variants["HP-200"], world.variants["CB-400"]})
            ),
        ),
    )
    cid = await enrol_customer(runtime)
    placed = await place_order(
        runtime,
        world,
        lines=[("HP-200", 1, "PICKUP", "S01"), ("CB-400", 1, "PICKUP", "S01")],
        customer_id=cid,
    )
    await fulfil_all(runtime, placed.order_id)
    assert await rows(runtime, "SELECT total FROM order_lines ORDER BY line_no") == [
        (310_828,),
        (88_172,),
    ]
    hp, cable = await _order_lines(runtime, placed.order_id)
    earned = await scalar(runtime, "SELECT points_earned FROM orders")
    s01 = world.locations["S01"]
    _, token = await staff_token(Role.STORE_MANAGER, [s01])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=token)

    async def give_back(line: int, key: str) -> dict[str, Any]:
        created = (
            await till(
                CREATE,
                {
                    "input": {
                        "orderId": gid("Order", placed.order_id),
                        "lines": [
                            {
                                "orderLineId": gid("OrderLine", line),
                                "quantity": 1,
                                "reason": "CHANGED_MIND",
                            }
                        ],
                        "idempotencyKey": key,
                    }
                },
            )
        )["returnCreate"]["return"]
        return (
            await till(
                RECEIVE,
                {
                    "input": {
                        "returnId": created["id"],
                        "locationId": gid("Location", s01),
                        "lines": [
                            {"returnLineId": created["lines"][0]["id"], "disposition": "RESTOCK"}
                        ],
                        "idempotencyKey": key,
                    }
                },
            )
        )["returnReceive"]["return"]

    first = await give_back(cable, "cable")
    assert first["refundGoods"] == {"amount": 50_000}
    assert first["refundWithheld"] == {"amount": 49_000}
    assert first["refundShipping"] == {"amount": 0}
    # The cable earned at x1.5 (accessories), the headphones at x2: the cable's points back.
    assert first["pointsReversed"] == earned * (50_000 * 3) // (310_828 * 4 + 88_172 * 3) == 7
    second = await give_back(hp, "headphones")
    assert second["refundGoods"] == {"amount": 349_000}
    assert first["refundGoods"]["amount"] + second["refundGoods"]["amount"] == 399_000
    assert first["pointsReversed"] + second["pointsReversed"] == earned
    assert await scalar(runtime, "SELECT sum(amount) FROM order_refunds") == 399_000


async def test_store_credit_balance_and_returns_queries(
    runtime: Any, gql: Any, staff_token: Any, customer_token: Any
) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 3})
    cid = await enrol_customer(runtime)
    placed = await place_order(
        runtime, world, lines=[("HP-200", 1, "PICKUP", "S01")], customer_id=cid
    )
    await fulfil_all(runtime, placed.order_id)
    (line_id,) = await _order_lines(runtime, placed.order_id)
    s01, s02 = world.locations["S01"], world.locations["S02"]
    _, token = await staff_token(Role.CASHIER, [s02])
    till = gql.as_(x_api_key=world.pos_keys["S02"], authorization=token)
    created = (
        await till(
            CREATE,
            {
                "input": {
                    "orderId": gid("Order", placed.order_id),
                    "toStoreCredit": True,
                    "lines": [
                        {
                            "orderLineId": gid("OrderLine", line_id),
                            "quantity": 1,
                            "reason": "CHANGED_MIND",
                        }
                    ],
                }
            },
        )
    )["returnCreate"]["return"]
    await till(
        RECEIVE,
        {
            "input": {
                "returnId": created["id"],
                "locationId": gid("Location", s02),
                "lines": [{"returnLineId": created["lines"][0]["id"], "disposition": "DAMAGED"}],
            }
        },
    )
    me = gql.as_(x_api_key=world.app_key, authorization=customer_token(cid))
    data = await me(
        "{ storeCreditBalance { amount } returns(first: 5) { edges { node { id status "
        "refundTotal { amount } } } } }"
    )
    assert data["storeCreditBalance"] == {"amount": 349_000}
    assert [e["node"]["status"] for e in data["returns"]["edges"]] == ["RECEIVED"]
    by_store = await till(
        "query($l: ID!) { returns(locationId: $l) { edges { node { id location { code } } } } }",
        {"l": gid("Location", s02)},
    )
    assert [e["node"]["location"] for e in by_store["returns"]["edges"]] == [{"code": "S02"}]
    forbidden = await till.raw(
        "query($l: ID!) { returns(locationId: $l) { edges { node { id } } } }",
        {"l": gid("Location", s01)},
    )
    assert forbidden.json()["errors"][0]["message"].startswith("You can list the returns")
    by_order = await till(
        "query($o: ID!) { returns(orderId: $o) { edges { node { id } } } }",
        {"o": gid("Order", placed.order_id)},
    )
    assert len(by_order["returns"]["edges"]) == 1
    staff_view = await till(
        "query($c: ID!) { storeCreditBalance(customerId: $c) { amount } }",
        {"c": gid("Customer", cid)},
    )
    assert staff_view["storeCreditBalance"] == {"amount": 349_000}


EXCHANGE = """
mutation($input: ExchangeCreateInput!) {
  exchangeCreate(input: $input) {
    userErrors { code field message }
    returnedValue { amount } newTotal { amount } charged { amount } refunded { amount }
    return { status lines { disposition receivedQuantity } }
    order { number total { amount } tenders { kind amount { amount } } lines { sku } }
  }
}"""


async def test_exchange_at_the_till(runtime: Any, gql: Any, staff_token: Any) -> None:
    from tests.support.orders import pos_sale

    world = await make_world(runtime, stock={("HP-200", "S01"): 2, ("HP-100", "S01"): 2})
    cid = await enrol_customer(runtime)
    sale = await pos_sale(
        runtime, world, "S01", lines=[("HP-200", 1)], client_sale_id="T1-7", customer_id=cid
    )
    (line_id,) = await _order_lines(runtime, sale.order_id)
    s01 = world.locations["S01"]
    _, token = await staff_token(Role.CASHIER, [s01])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=token)
    variables = {
        "input": {
            "orderId": gid("Order", sale.order_id),
            "locationId": gid("Location", s01),
            "returnLines": [
                {
                    "orderLineId": gid("OrderLine", line_id),
                    "quantity": 1,
                    "reason": "DOES_NOT_FIT",
                    "disposition": "RESTOCK",
                }
            ],
            "newLines": [{"variantId": gid("Variant", world.variants["HP-100"]), "quantity": 1}],
            "tenders": [{"kind": "CARD", "reference": "TERM-77"}],
            "idempotencyKey": "exchange-1",
        }
    }
    first, again = [(await till(EXCHANGE, variables))["exchangeCreate"] for _ in range(2)]
    assert first == again
    assert first["userErrors"] == []
    assert (first["returnedValue"], first["newTotal"], first["charged"], first["refunded"]) == (
        {"amount": 349_000},
        {"amount": 2_999_000},
        {"amount": 2_650_000},
        {"amount": 0},
    )
    assert first["return"] == {
        "status": "RECEIVED",
        "lines": [{"disposition": "RESTOCK", "receivedQuantity": 1}],
    }
    assert first["order"]["tenders"] == [
        {"kind": "STORE_CREDIT", "amount": {"amount": 349_000}},
        {"kind": "CARD", "amount": {"amount": 2_650_000}},
    ]
    assert await rows(
        runtime,
        "SELECT v.sku, l.on_hand FROM stock_levels l JOIN variants v ON v.id = l.variant_id "
        "ORDER BY v.sku",
    ) == [("HP-100", 1), ("HP-200", 2)]
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 2


async def test_listing_returns_costs_the_same_queries_for_2_and_6(
    runtime: Any, gql: Any, staff_token: Any, count_queries: Any
) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 10})
    s01 = world.locations["S01"]
    _, token = await staff_token(Role.STORE_MANAGER, [s01])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=token)
    query = """query($l: ID!) { returns(locationId: $l, first: 20) { edges { node {
      id status refundTotal { amount } lines { quantity reason refund { amount } }
      order { number lines { returnedQuantity } } customer { id } location { code }
      startedAt { code } } } } }"""
    counts = []
    for n in (2, 6):
        while await scalar(runtime, "SELECT count(*) FROM returns") < n:
            cid = await enrol_customer(
                runtime,
                f"+7916555{n:02d}{await scalar(runtime, 'SELECT count(*) FROM returns'):02d}",
            )
            placed = await place_order(
                runtime, world, lines=[("HP-200", 1, "PICKUP", "S01")], customer_id=cid
            )
            await fulfil_all(runtime, placed.order_id)
            (line_id,) = await _order_lines(runtime, placed.order_id)
            await till(
                CREATE,
                {
                    "input": {
                        "orderId": gid("Order", placed.order_id),
                        "lines": [
                            {
                                "orderLineId": gid("OrderLine", line_id),
                                "quantity": 1,
                                "reason": "CHANGED_MIND",
                            }
                        ],
                    }
                },
            )
        count_queries.statements.clear()
        data = await till(query, {"l": gid("Location", s01)})
        assert len(data["returns"]["edges"]) == n
        counts.append(
            sum(
                1
                for s in count_queries.statements
                if "outbox_events" not in s and "advisory" not in s
            )
        )
    assert counts[0] == counts[1]
