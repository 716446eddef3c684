"""The staff console and the rest of the clienteling API on a small shop: store scoping,
opt-out, userErrors, constant query counts, the storeActivity subscription."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from api.app import create_app
from api.runtime import Runtime
from domain.access.model import Role
from loyalty import services as loyalty
from tests.api.clienteling.support import db_id, gid
from tests.api.clienteling.test_story import C360, RECOMMEND, RECORD, VISITORS
from tests.conftest import GQL
from tests.support.orders import make_world

SET = """mutation($input: CustomerPersonalisationSetInput!) {
  customerPersonalisationSet(input: $input) { userErrors { code message } enabled } }"""


@pytest.fixture
async def shop(runtime: Runtime, staff_token, customer_token, gql: GQL) -> dict[str, Any]:
    world = await make_world(runtime, keys=False)
    s01, s02 = world.locations["S01"], world.locations["S02"]
    _, cashier = await staff_token(Role.CASHIER, [s01])
    _, other = await staff_token(Role.CASHIER, [s02])
    customers = [
        await loyalty.enrol(runtime.uow(), phone=f"+7916000000{n}", actor="t", channel="POS",
                            location_id=None, first_name=f"Покупатель {n}")
        for n in range(6)
    ]  # fmt: skip
    product = gid("Product", min(world.variants.values()))  # demo world: product id 1 exists
    return {
        "s01": gid("Location", s01),
        "s02": gid("Location", s02),
        "staff": gql.as_(authorization=cashier),
        "other_staff": gql.as_(authorization=other),
        "customers": [gid("Customer", c) for c in customers],
        "as_customer": [gql.as_(authorization=customer_token(c)) for c in customers],
        "product": product,
    }


async def check_in(shop: dict[str, Any], n: int, views: int = 0) -> None:
    events = [{"type": "STORE_CHECK_IN", "locationId": shop["s01"]}]
    events += [{"type": "PRODUCT_VIEWED", "productId": shop["product"]} for _ in range(views)]
    events += [{"type": "FILTER_APPLIED", "priceMax": 5_000_000} for _ in range(views)]
    data = await shop["as_customer"][n](RECORD, {"input": {"events": events}})
    assert data["interactionsRecord"]["userErrors"] == []


async def test_staff_of_another_store_get_forbidden_and_see_nothing(shop):
    await check_in(shop, 0)
    body = (await shop["other_staff"].raw(VISITORS, {"loc": shop["s01"]})).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = (
        await shop["other_staff"].raw(C360, {"c": shop["customers"][0], "loc": shop["s01"]})
    ).json()
    assert body["errors"][0]["message"] == (
        "You can see the visitors and customers of your own store only."
    )
    # a customer is not console staff at all
    body = (await shop["as_customer"][0].raw(VISITORS, {"loc": shop["s01"]})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_customer_who_opted_out_is_shown_without_behavioural_data(shop):
    await check_in(shop, 0, views=2)
    on = (await shop["staff"](C360, {"c": shop["customers"][0], "loc": shop["s01"]}))["customer360"]
    assert (on["personalised"], len(on["recentViews"]), len(on["filters"])) == (True, 2, 2)
    assert on["preferences"]["priceRange"]["max"] == 5_000_000
    data = await shop["as_customer"][0](SET, {"input": {"enabled": False}})
    assert data["customerPersonalisationSet"] == {"userErrors": [], "enabled": False}
    off = (await shop["staff"](C360, {"c": shop["customers"][0], "loc": shop["s01"]}))[
        "customer360"
    ]
    assert off["personalised"] is False
    assert (off["recentViews"], off["searches"], off["filters"], off["favourites"]) == (
        [], [], [], [],
    )  # fmt: skip
    assert (off["comparisons"], off["ratings"], off["preferences"]) == ([], [], None)
    assert off["customer"]["displayName"] == "Покупатель 0"
    rec = (await shop["as_customer"][0](RECOMMEND, {"ctx": None}))["recommendations"]
    assert (rec["personalised"], rec["items"]) == (False, [])


async def test_a_batch_with_a_bad_event_returns_user_errors_and_records_nothing(shop):
    data = await shop["as_customer"][0](RECORD, {"input": {"events": [
        {"type": "PRODUCT_VIEWED", "productId": shop["product"]},
        {"type": "PRODUCT_RATED", "productId": shop["product"],
         "ratings": [{"attribute": "bass_level", "score": 9}]},
        {"type": "STORE_CHECK_IN", "locationId": shop["product"]},
    ]}})  # fmt: skip
    assert data["interactionsRecord"]["userErrors"] == [
        {"code": "INVALID", "field": "events[2].locationId",
         "message": f"'{shop['product']}' is not a Location id."},
    ]  # fmt: skip
    data = await shop["as_customer"][0](RECORD, {"input": {"events": [
        {"type": "PRODUCT_VIEWED", "productId": shop["product"]},
        {"type": "PRODUCT_RATED", "productId": shop["product"],
         "ratings": [{"attribute": "bass_level", "score": 9}]},
    ]}})  # fmt: skip
    assert data["interactionsRecord"]["userErrors"] == [
        {"code": "INVALID", "field": "events[1].ratings[0].score",
         "message": "Scores go from 1 to 5; bass_level has 9."},
    ]  # fmt: skip
    too_many = [{"type": "SEARCHED", "query": "x"}] * 101
    data = await shop["as_customer"][0](RECORD, {"input": {"events": too_many}})
    assert data["interactionsRecord"]["userErrors"][0]["field"] == "events"
    visitors = (await shop["staff"](VISITORS, {"loc": shop["s01"]}))["storeVisitors"]
    assert visitors == {"visitors": [], "queue": []}


async def test_anonymous_events_need_a_session_and_customers_see_only_their_own(shop, gql):
    data = await gql(RECORD, {"input": {"events": [{"type": "SEARCHED", "query": "bass"}]}})
    assert data["interactionsRecord"]["userErrors"][0]["field"] == "sessionId"
    data = await gql(RECORD, {"input": {"events": [
        {"type": "STORE_CHECK_IN", "locationId": shop["s01"]}], "sessionId": "s"}})  # fmt: skip
    assert data["interactionsRecord"]["userErrors"][0]["message"] == (
        "Sign in to check in or call a consultant: the store needs to know who you are."
    )
    other = """query($c: ID) { recommendations(customerId: $c) { personalised } }"""
    body = (await shop["as_customer"][0].raw(other, {"c": shop["customers"][1]})).json()
    assert body["errors"][0]["message"] == "You can get your own recommendations only."


def own(counter) -> int:
    """Statements of this request: the outbox relay may publish earlier events meanwhile."""
    return sum(1 for s in counter.statements if "outbox_events" not in s and "advisory" not in s)


async def test_the_console_reads_in_a_constant_number_of_queries(shop, count_queries):
    await check_in(shop, 0, views=1)
    await shop["staff"](VISITORS, {"loc": shop["s01"]})  # warm the credential caches
    await shop["staff"](C360, {"c": shop["customers"][0], "loc": shop["s01"]})
    count_queries.statements.clear()
    await shop["staff"](VISITORS, {"loc": shop["s01"]})
    one_visitor = own(count_queries)
    count_queries.statements.clear()
    await shop["staff"](C360, {"c": shop["customers"][0], "loc": shop["s01"]})
    small_history = own(count_queries)

    for n in range(1, 6):
        await check_in(shop, n, views=3)
    await check_in(shop, 0, views=20)
    count_queries.statements.clear()
    data = await shop["staff"](VISITORS, {"loc": shop["s01"]})
    assert len(data["storeVisitors"]["visitors"]) == 6
    assert own(count_queries) == one_visitor
    count_queries.statements.clear()
    data = await shop["staff"](C360, {"c": shop["customers"][0], "loc": shop["s01"]})
    assert len(data["customer360"]["recentViews"]) == 20
    assert own(count_queries) == small_history
    # auth (2) + visits (1) + queue (1) + customers loader (1); the 360 adds the customer,
    # orders, carts, returns, consultations, timeline, products, brands, attributes, loyalty.
    assert one_visitor <= 5 and small_history <= 16


async def test_staff_devices_see_check_ins_and_requests_live(runtime: Runtime, shop, staff_token):
    _, bearer = await staff_token(Role.CASHIER, [db_id(shop["s01"])])
    app = create_app(runtime=runtime)
    query = """subscription($loc: ID!) { storeActivity(locationId: $loc) {
      kind customer { displayName } consultationId } }"""
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app=app), base_url="http://test"
    ) as client:
        async with aconnect_ws(
            "http://test/graphql", client, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": bearer}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            payload = {"query": query, "variables": {"loc": shop["s01"]}}
            await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
            await asyncio.sleep(0.3)  # the resolver starts its stream after the message
            await shop["as_customer"][2](RECORD, {"input": {"events": [
                {"type": "STORE_CHECK_IN", "locationId": shop["s02"]},
                {"type": "STORE_CHECK_IN", "locationId": shop["s01"]},
                {"type": "CONSULTANT_REQUESTED", "locationId": shop["s01"]},
            ]}})  # fmt: skip
            first = await asyncio.wait_for(ws.receive_json(), 10)
            second = await asyncio.wait_for(ws.receive_json(), 10)
    got = [m["payload"]["data"]["storeActivity"] for m in (first, second)]
    assert [(g["kind"], g["customer"]["displayName"]) for g in got] == [
        ("STORE_CHECK_IN", "Покупатель 2"),
        ("CONSULTANT_REQUESTED", "Покупатель 2"),
    ]
    assert got[0]["consultationId"] is None and got[1]["consultationId"] is not None


START = """mutation($input: ConsultationStartInput!) { consultationStart(input: $input) {
  userErrors { code message } consultation { id status } } }"""
RATE = """mutation($input: ConsultationRatingsRecordInput!) {
  consultationRatingsRecord(input: $input) { userErrors { code message } recorded duplicates } }"""
RATINGS = """query($c: ID!, $loc: ID!) { customer360(customerId: $c, locationId: $loc) {
  ratings { ratings { attribute score comment } } } }"""


def _rating(shop: dict[str, Any], n: int) -> dict[str, Any]:
    score = {"attribute": "bass_level", "score": n + 1, "comment": f"клиент {n}"}
    return {"productId": shop["product"], "clientEventId": "r1", "scores": [score]}


async def _ratings_of(shop: dict[str, Any], n: int) -> list[Any]:
    data = await shop["staff"](RATINGS, {"c": shop["customers"][n], "loc": shop["s01"]})
    return [r["ratings"] for r in data["customer360"]["ratings"]]


async def test_one_consultant_rates_many_customers_with_the_same_till_counter(shop):
    consultations = []
    for n in range(3):
        data = await shop["staff"](
            START, {"input": {"customerId": shop["customers"][n], "locationId": shop["s01"]}}
        )
        assert data["consultationStart"]["userErrors"] == []
        consultations.append(data["consultationStart"]["consultation"]["id"])
    for n, cid in enumerate(consultations):
        data = await shop["staff"](
            RATE, {"input": {"consultationId": cid, "ratings": [_rating(shop, n)]}}
        )
        assert data["consultationRatingsRecord"] == {
            "userErrors": [],
            "recorded": 1,
            "duplicates": 0,
        }
    for n in range(3):
        assert await _ratings_of(shop, n) == [
            [{"attribute": "bass_level", "score": n + 1, "comment": f"клиент {n}"}]
        ]

    # The same event for one customer, replayed and sent twice at once: stored once.
    again = {"input": {"consultationId": consultations[1], "ratings": [_rating(shop, 1)]}}
    replays = await asyncio.gather(*(shop["staff"](RATE, again) for _ in range(4)))
    assert [r["consultationRatingsRecord"] for r in replays] == [
        {"userErrors": [], "recorded": 0, "duplicates": 1}
    ] * 4
    assert await _ratings_of(shop, 1) == [
        [{"attribute": "bass_level", "score": 2, "comment": "клиент 1"}]
    ]


async def test_staff_events_for_different_customers_do_not_collide_on_client_event_ids(shop):
    async def send(n: int) -> dict[str, Any]:
        events = [{"type": "PRODUCT_VIEWED", "productId": shop["product"], "clientEventId": "1"}]
        data = await shop["staff"](
            RECORD, {"input": {"customerId": shop["customers"][n], "events": events}}
        )
        return {k: data["interactionsRecord"][k] for k in ("userErrors", "recorded", "duplicates")}

    assert [await send(n) for n in range(3)] == [
        {"userErrors": [], "recorded": 1, "duplicates": 0}
    ] * 3
    concurrent = await asyncio.gather(*(send(0) for _ in range(3)))
    for n in range(3):
        await check_in(shop, n)
    assert concurrent == [{"userErrors": [], "recorded": 0, "duplicates": 1}] * 3
    for n in range(3):
        profile = await shop["staff"](C360, {"c": shop["customers"][n], "loc": shop["s01"]})
        assert len(profile["customer360"]["recentViews"]) == 1
