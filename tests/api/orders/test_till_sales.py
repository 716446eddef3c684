"""Till sales over GraphQL: who may sell, when a sale is an offline replay, the store
managers' review queue, and replays that say they are replays (issues 13.5 and 20.3)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.relay import encode_id
from api.runtime import Runtime
from domain.access.model import Role
from domain.shared.errors import DomainError
from fulfillment.model import TenderKind
from fulfillment.services import pos
from fulfillment.services.tenders import TenderRequest
from tests.api.orders import docs
from tests.support.orders import counters, enrol_customer, make_world, scalar

REVIEW_FIELDS = """
  id status orderNumber expectedTotal { amount } tendered { amount } discrepancy { amount }
  notes offline offlineSince offlineReason cashier resolution resolutionNote resolvedBy
  resolvedAt order { number }
"""

REVIEWS = """
query($locationId: ID, $status: PosSaleReviewStatus, $first: Int, $after: String) {
  posSaleReviews(locationId: $locationId, status: $status, first: $first, after: $after) {
    edges { cursor node { %s } } pageInfo { hasNextPage endCursor } } }
""".replace("%s", REVIEW_FIELDS)

RESOLVE = """
mutation($input: PosSaleReviewResolveInput!) { posSaleReviewResolve(input: $input) {
  userErrors { code field message } review { %s } } }
""".replace("%s", REVIEW_FIELDS)

# Two headphones and a pair of earbuds: 2 x 29 990,00 + 3 490,00.
BIG_SALE = [{"sku": "HP-100", "quantity": 2}, {"sku": "HP-200", "quantity": 1}]
BIG_TOTAL = 6_347_000


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


async def written(runtime: Runtime, world: Any) -> dict[str, Any]:
    """Everything a till sale writes: stock, orders, tenders, reviews, keys, outbox."""
    return {
        **await counters(runtime, world, None, None),
        "orders": await scalar(runtime, "SELECT count(*) FROM orders"),
        "tenders": await scalar(runtime, "SELECT count(*) FROM order_tenders"),
        "movements": await scalar(runtime, "SELECT count(*) FROM stock_movements"),
        "reviews": await scalar(runtime, "SELECT count(*) FROM pos_sale_reviews"),
        "keys": await scalar(runtime, "SELECT count(*) FROM idempotency_keys"),
        "outbox": await scalar(runtime, "SELECT count(*) FROM outbox_events"),
    }


def sale(client_sale_id: str = "T1-000001", **extra: Any) -> dict[str, Any]:
    return {
        "clientSaleId": client_sale_id,
        "lines": [{"sku": "CB-400", "quantity": 1}],
        "tenders": [{"kind": "CASH", "tendered": 100_000}],
        **extra,
    }


@pytest.mark.parametrize(
    ("key", "who", "message"),
    [
        ("POS:S01", None, "Sign in at the till as a cashier or store manager of this store"),
        ("POS:S01", "customer", "Sign in at the till as a cashier or store manager of this store"),
        ("POS:S01", "cashier:S02", "You are signed in as staff of another store"),
        ("POS:S01", "warehouse:S01", "Sign in at the till as a cashier or store manager"),
        ("POS:S02", "cashier:S01", "You are signed in as staff of another store"),
        ("WEB", "cashier:S01", "Till sales come from a store's POS terminal"),
        ("APP", "cashier:S01", "Till sales come from a store's POS terminal"),
        (None, "cashier:S01", "Till sales come from a store's POS terminal"),
    ],
)
async def test_a_till_sale_needs_the_stores_terminal_and_a_cashier_of_that_store(
    runtime: Runtime, gql, staff_token, customer_token, key, who, message
) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 5, ("CB-400", "S02"): 5})
    headers: dict[str, str] = {}
    if key is not None:
        keys = {f"POS:{s}": k for s, k in world.pos_keys.items()}
        headers["x_api_key"] = {**keys, "WEB": world.web_key, "APP": world.app_key}[key]
    if who == "customer":
        headers["authorization"] = customer_token(await enrol_customer(runtime))
    elif who is not None:
        role, _, store = who.partition(":")
        _, headers["authorization"] = await staff_token(
            Role(role.upper()), [world.locations[store]]
        )
    before = await written(runtime, world)
    out = await gql.as_(**headers)(docs.POS_SALE, {"input": sale(idempotencyKey="k-1")})
    body = out["posSaleComplete"]
    assert body["order"] is None and body["receipt"] is None
    assert [e["code"] for e in body["userErrors"]] == ["FORBIDDEN"]
    assert body["userErrors"][0]["message"].startswith(message)
    assert await written(runtime, world) == before


async def test_the_right_cashier_sells_and_an_admin_may_sell_anywhere(
    runtime: Runtime, gql, staff_token
) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 5})
    for n, (role, stores) in enumerate([(Role.CASHIER, ["S01"]), (Role.ADMIN, [])]):
        staff_id, token = await staff_token(role, [world.locations[s] for s in stores])
        till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=token)
        body = (await till(docs.POS_SALE, {"input": sale(f"T1-{n}")}))["posSaleComplete"]
        assert body["userErrors"] == [] and body["replayed"] is False
        assert (
            await scalar(
                runtime,
                "SELECT staff_user_id FROM orders WHERE number = :n",
                n=body["order"]["number"],
            )
            == staff_id
        )
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 2


@pytest.mark.parametrize("occurred", [timedelta(seconds=2), timedelta(minutes=4)])
async def test_an_undeclared_sale_is_checked_strictly_whatever_its_time(
    runtime: Runtime, gql, staff_token, occurred
) -> None:
    """63 470 ₽ of goods against a 0.01 ₽ card tender, "two seconds ago": refused."""
    world = await make_world(runtime, stock={("HP-100", "S01"): 5, ("HP-200", "S01"): 5})
    _, cashier = await staff_token(Role.CASHIER, [world.locations["S01"]])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    extra = {"occurredAt": (datetime.now(UTC) - occurred).isoformat()}
    before = await written(runtime, world)
    body = (
        await till(
            docs.POS_SALE,
            {
                "input": {
                    "clientSaleId": "T1-BIG",
                    "lines": BIG_SALE,
                    "tenders": [{"kind": "CARD", "amount": 1, "reference": "TERM-1"}],
                    **extra,
                }
            },
        )
    )["posSaleComplete"]
    assert body["userErrors"] == [
        {
            "code": "TENDER_MISMATCH",
            "field": "tenders",
            "message": "The tenders cover 0.01 of 63470.00; add 63469.99 with another tender.",
        }
    ]
    assert await written(runtime, world) == before


async def test_a_sale_from_hours_ago_must_declare_it_was_offline(
    runtime: Runtime, gql, staff_token
) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 5})
    _, cashier = await staff_token(Role.CASHIER, [world.locations["S01"]])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    at = datetime.now(UTC) - timedelta(hours=3)
    before = await written(runtime, world)
    body = (await till(docs.POS_SALE, {"input": sale(occurredAt=at.isoformat())}))[
        "posSaleComplete"
    ]
    assert [(e["code"], e["field"]) for e in body["userErrors"]] == [
        ("OFFLINE_NOT_DECLARED", "offline")
    ]
    assert "offline { since, reason }" in body["userErrors"][0]["message"]
    assert await written(runtime, world) == before


async def test_a_declared_offline_sale_outside_the_window_is_refused(
    runtime: Runtime, gql, staff_token
) -> None:
    world = await make_world(runtime, stock={("HP-100", "S01"): 5, ("HP-200", "S01"): 5})
    _, cashier = await staff_token(Role.CASHIER, [world.locations["S01"]])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    at = datetime.now(UTC) - timedelta(hours=73)
    before = await written(runtime, world)
    body = (
        await till(
            docs.POS_SALE,
            {
                "input": {
                    "clientSaleId": "T1-OLD",
                    "lines": BIG_SALE,
                    "tenders": [{"kind": "CARD", "amount": 1, "reference": "TERM-1"}],
                    "occurredAt": at.isoformat(),
                    "offline": {"since": (at - timedelta(hours=1)).isoformat()},
                }
            },
        )
    )["posSaleComplete"]
    assert body["userErrors"] == [
        {
            "code": "OFFLINE_WINDOW_EXCEEDED",
            "field": "occurredAt",
            "message": "This sale happened 73 hours ago, beyond the 72-hour offline window: the "
            "till cannot replay it. Keep the receipt and call the back office to record it.",
        }
    ]
    assert await written(runtime, world) == before


async def test_the_offline_window_is_the_services_setting(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 5})
    at = datetime.now(UTC) - timedelta(hours=2)
    replay = pos.PosSale(
        client_sale_id="T1-W",
        lines=(pos.SaleLine(world.variants["CB-400"], 1),),
        tenders=(TenderRequest(TenderKind.CASH),),
        occurred_at=at,
        offline=pos.OfflineDeclaration(since=at),
    )
    with pytest.raises(DomainError) as err:
        await pos.complete_sale(
            runtime.uow(), world.till("S01"), replay, offline_window=timedelta(hours=1)
        )
    assert err.value.code == "OFFLINE_WINDOW_EXCEEDED"
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 0
    placed = await pos.complete_sale(
        runtime.uow(), world.till("S01"), replay, offline_window=timedelta(hours=3)
    )
    assert placed.replayed is False
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 1


async def test_an_offline_sale_with_a_discrepancy_is_queued_for_the_manager_and_resolved_once(
    runtime: Runtime, gql, staff_token
) -> None:
    world = await make_world(runtime, stock={("HP-100", "S01"): 5, ("HP-200", "S01"): 5})
    s01 = world.locations["S01"]
    cashier_id, cashier = await staff_token(Role.CASHIER, [s01])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    since = at - timedelta(minutes=40)
    body = (
        await till(
            docs.POS_SALE,
            {
                "input": {
                    "clientSaleId": "T1-OFF",
                    "idempotencyKey": "T1-OFF",
                    "lines": BIG_SALE,
                    "tenders": [{"kind": "CARD", "amount": 1, "reference": "TERM-1"}],
                    "occurredAt": at.isoformat(),
                    "offline": {"since": since.isoformat(), "reason": "router down"},
                }
            },
        )
    )["posSaleComplete"]
    # The sale happened: recorded (DESIGN invariant 2), stock sold, and queued for review.
    assert body["userErrors"] == [] and body["replayed"] is False
    number = body["order"]["number"]
    assert (
        await scalar(runtime, "SELECT payment_discrepancy FROM orders WHERE number = :n", n=number)
        == 1 - BIG_TOTAL
    )
    # A square sale does not join the queue.
    square = (await till(docs.POS_SALE, {"input": sale("T1-SQUARE")}))["posSaleComplete"]
    assert square["userErrors"] == []

    manager_id, manager = await staff_token(Role.STORE_MANAGER, [s01])
    _, other_manager = await staff_token(Role.STORE_MANAGER, [world.locations["S02"]])
    boss = gql.as_(authorization=manager)
    queue = (await boss(REVIEWS, {"locationId": gid("Location", s01), "status": "OPEN"}))[
        "posSaleReviews"
    ]
    [review] = [e["node"] for e in queue["edges"]]
    assert {k: v for k, v in review.items() if k != "id"} == {
        "status": "OPEN",
        "orderNumber": number,
        "expectedTotal": {"amount": BIG_TOTAL},
        "tendered": {"amount": 1},
        "discrepancy": {"amount": 1 - BIG_TOTAL},
        "notes": [],
        "offline": True,
        "offlineSince": since.isoformat(),
        "offlineReason": "router down",
        "cashier": f"staff:{cashier_id}",
        "resolution": None,
        "resolutionNote": None,
        "resolvedBy": None,
        "resolvedAt": None,
        "order": {"number": number},
    }
    assert queue["pageInfo"]["hasNextPage"] is False
    node = "query($id: ID!) { node(id: $id) { ... on PosSaleReview { orderNumber } } }"
    assert (await boss(node, {"id": review["id"]}))["node"] == {"orderNumber": number}
    hidden = await gql.as_(authorization=other_manager)(node, {"id": review["id"]})
    assert hidden["node"] is None
    # Without a store the manager gets their own stores' queue; others are kept out.
    mine = (await boss(REVIEWS, {}))["posSaleReviews"]["edges"]
    assert [e["node"]["id"] for e in mine] == [review["id"]]
    for token in (cashier, other_manager):
        denied = await gql.as_(authorization=token).raw(
            REVIEWS, {"locationId": gid("Location", s01)}
        )
        assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert denied.json()["data"] is None
    outsider = (
        await gql.as_(authorization=other_manager)(
            RESOLVE, {"input": {"id": review["id"], "resolution": "ACCEPTED", "note": "ok"}}
        )
    )["posSaleReviewResolve"]
    assert [e["code"] for e in outsider["userErrors"]] == ["FORBIDDEN"]

    # Two managers resolve at once: one wins, the other is told who did it.
    manager2_id, manager2 = await staff_token(Role.STORE_MANAGER, [s01])
    results = await asyncio.gather(
        *(
            gql.as_(authorization=t)(
                RESOLVE,
                {
                    "input": {
                        "id": review["id"],
                        "resolution": "COLLECTED",
                        "note": "customer paid the rest by card, slip 4411",
                        "idempotencyKey": f"resolve-{n}",
                    }
                },
            )
            for n, t in enumerate((manager, manager2))
        )
    )
    bodies = [r["posSaleReviewResolve"] for r in results]
    won = [b for b in bodies if b["userErrors"] == []]
    lost = [b for b in bodies if b["userErrors"] != []]
    assert len(won) == 1 and len(lost) == 1
    winner = (manager_id, manager2_id)[bodies.index(won[0])]
    assert [e["code"] for e in lost[0]["userErrors"]] == ["ALREADY_RESOLVED"]
    assert lost[0]["review"] is None
    done = won[0]["review"]
    assert done["status"] == "RESOLVED" and done["resolution"] == "COLLECTED"
    assert done["resolutionNote"] == "customer paid the rest by card, slip 4411"
    assert done["resolvedBy"] == f"staff:{winner}"
    assert done["resolvedAt"] is not None
    assert f"(COLLECTED) by staff:{winner} at " in lost[0]["userErrors"][0]["message"]
    assert (
        await scalar(runtime, "SELECT count(*) FROM pos_sale_reviews WHERE status = 'RESOLVED'")
        == 1
    )
    assert (await boss(REVIEWS, {"status": "OPEN"}))["posSaleReviews"]["edges"] == []
    events = await scalar(
        runtime,
        "SELECT array_agg(payload->>'change' || ':' || (payload->>'discrepancy') ORDER BY id) "
        "FROM outbox_events WHERE topic = 'pos_reviews'",
    )
    assert events == [f"OPENED:{1 - BIG_TOTAL}", f"RESOLVED:{1 - BIG_TOTAL}"]


async def test_a_copy_of_a_sale_says_it_is_a_replay_with_the_same_or_a_new_key(
    runtime: Runtime, gql, staff_token
) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 5})
    _, cashier = await staff_token(Role.CASHIER, [world.locations["S01"]])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    first = (await till(docs.POS_SALE, {"input": sale(idempotencyKey="k-1")}))["posSaleComplete"]
    assert first["userErrors"] == [] and first["replayed"] is False
    after_first = await written(runtime, world)
    same_key = (await till(docs.POS_SALE, {"input": sale(idempotencyKey="k-1")}))["posSaleComplete"]
    new_key = (await till(docs.POS_SALE, {"input": sale(idempotencyKey="k-2")}))["posSaleComplete"]
    no_key = (await till(docs.POS_SALE, {"input": sale()}))["posSaleComplete"]
    for copy in (same_key, new_key, no_key):
        assert copy["userErrors"] == [] and copy["replayed"] is True
        assert copy["order"] == first["order"] and copy["receipt"] == first["receipt"]
    # Nothing new but the second key's row.
    assert await written(runtime, world) == {**after_first, "keys": after_first["keys"] + 1}
    # A copy needs the same credentials: the terminal alone gets no receipt, even by its key.
    bare = gql.as_(x_api_key=world.pos_keys["S01"])
    refused = (await bare(docs.POS_SALE, {"input": sale(idempotencyKey="k-1")}))["posSaleComplete"]
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    assert refused["order"] is None


async def test_a_till_cart_is_paid_only_with_a_cashier_of_its_store_signed_in(
    runtime: Runtime, gql, staff_token
) -> None:
    """The cart route to a till sale follows the same rule as posSaleComplete."""
    world = await make_world(runtime, stock={("CB-400", "S01"): 5})
    terminal = gql.as_(x_api_key=world.pos_keys["S01"])
    cart = (await terminal(docs.CART_CREATE, {"input": {}}))["cartCreate"]["cart"]
    assert cart["channel"] == "POS"
    added = await terminal(
        docs.LINES_ADD,
        {
            "input": {
                "cartId": cart["id"],
                "lines": [{"sku": "CB-400", "quantity": 2, "method": "CARRY_OUT"}],
            }
        },
    )
    assert added["cartLinesAdd"]["userErrors"] == []
    pay = {"cartId": cart["id"], "tenders": [{"kind": "CASH", "tendered": 300_000}]}
    _, other = await staff_token(Role.CASHIER, [world.locations["S02"]])
    before = await written(runtime, world)
    for till in (terminal, gql.as_(x_api_key=world.pos_keys["S01"], authorization=other)):
        out = (await till(docs.CHECKOUT, {"input": {**pay, "idempotencyKey": "co-1"}}))[
            "checkoutComplete"
        ]
        assert [e["code"] for e in out["userErrors"]] == ["FORBIDDEN"] and out["order"] is None
    assert await written(runtime, world) == before
    assert await scalar(runtime, "SELECT status::text FROM carts") == "OPEN"
    _, cashier = await staff_token(Role.CASHIER, [world.locations["S01"]])
    till = gql.as_(x_api_key=world.pos_keys["S01"], authorization=cashier)
    done = (await till(docs.CHECKOUT, {"input": pay}))["checkoutComplete"]
    assert done["userErrors"] == [] and done["order"]["total"] == {"amount": 198_000}
    assert await scalar(runtime, "SELECT status::text FROM carts") == "CHECKED_OUT"


async def test_the_review_queue_costs_the_same_queries_for_2_or_8_entries(
    runtime: Runtime, gql, staff_token, count_queries
) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 20})
    _, token = await staff_token(Role.ADMIN)
    admin = gql.as_(authorization=token)
    at = datetime.now(UTC) - timedelta(hours=1)
    counts = []
    for n in (2, 8):
        while await scalar(runtime, "SELECT count(*) FROM pos_sale_reviews") < n:
            done = await scalar(runtime, "SELECT count(*) FROM orders")
            await pos.complete_sale(
                runtime.uow(),
                world.till("S01"),
                pos.PosSale(
                    client_sale_id=f"T1-R{done}",
                    lines=(pos.SaleLine(world.variants["CB-400"], 1),),
                    tenders=(TenderRequest(TenderKind.CARD, amount=50_000, reference="T"),),
                    occurred_at=at,
                    offline=pos.OfflineDeclaration(since=at),
                ),
            )
        start = len(count_queries.statements)
        out = await admin(REVIEWS, {"first": 20})
        assert [e["node"]["discrepancy"] for e in out["posSaleReviews"]["edges"]] == [
            {"amount": 50_000 - 99_000}
        ] * n
        counts.append(len(count_queries.in_requests(start)))
    assert counts[0] == counts[1]
