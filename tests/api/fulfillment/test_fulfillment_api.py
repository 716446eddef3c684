"""The store's queue and work steps, routing simulation and sourcing profiles, end to end
through GraphQL (ASGI), with the queue subscription over graphql-transport-ws."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from strawberry import relay

from api.app import create_app
from api.runtime import Runtime
from domain.access.model import Role
from fulfillment.model import FulfillmentMethod as M
from inventory.model import LocationKind
from loyalty.services.customers import sign_up
from tests.integration.fulfillment.support import fo_row, order_state, place_order, stock
from tests.integration.inventory.support import figures, level, make_variants, snapshot

ADDRESS = (55.75, 37.60)


def gid(type_name: str, db_id: int) -> str:
    return str(relay.GlobalID(type_name, str(db_id)))


FO_FIELDS = """
  id status method orderNumber transfer pickupCode pickupDeadline carrier trackingNumber
  location { code } pickupLocation { code } reasons
  lines { sku quantity cancelledQuantity openQuantity }
"""

QUEUE = (
    """query($loc: ID!, $status: [FulfillmentStatus!], $first: Int, $after: String) {
  fulfillmentOrders(locationId: $loc, status: $status, first: $first, after: $after) {
    edges { node { """
    + FO_FIELDS
    + """ } } pageInfo { hasNextPage endCursor } } }"""
)

STEP = """mutation($input: {Input}!) { {name}(input: $input) {
  userErrors { code field message } fulfillmentOrder { id status pickupCode trackingNumber } } }"""


def step(name: str) -> str:
    input_name = name[0].upper() + name[1:] + "Input"
    return STEP.replace("{Input}", input_name).replace("{name}", name)


@pytest.fixture
async def world(runtime: Runtime, make_location: Any, staff_token: Any) -> dict[str, Any]:
    wh = await make_location(
        "WH", LocationKind.WAREHOUSE, latitude=55.60, longitude=37.40, ships=True, priority=10
    )
    s1 = await make_location("S1", latitude=55.76, longitude=37.61, ships=True, offers_pickup=True)
    s2 = await make_location("S2", latitude=55.75, longitude=37.59, ships=True, offers_pickup=True)
    (tv,) = await make_variants(runtime, "TV-55")
    _, s1_staff = await staff_token(Role.STORE_MANAGER, [s1])
    _, s2_staff = await staff_token(Role.CASHIER, [s2])
    _, wh_staff = await staff_token(Role.WAREHOUSE, [wh])
    _, merch = await staff_token(Role.MERCHANDISER)
    customer = await sign_up(
        runtime.uow(),
        email="anna@example.ru",
        password="correct-horse-battery",
        first_name="Anna",
        channel="WEB",
    )
    return {
        "wh": wh,
        "s1": s1,
        "s2": s2,
        "tv": tv,
        "s1_staff": s1_staff,
        "s2_staff": s2_staff,
        "wh_staff": wh_staff,
        "merch": merch,
        "customer": customer,
    }


async def test_pickup_flow_through_the_api(runtime, gql, world, customer_token):
    w = world
    await stock(runtime, w["tv"], w["s1"], 3)
    placed = await place_order(
        runtime, [(w["tv"], 1, M.PICKUP, w["s1"])], customer_id=w["customer"]
    )
    (fo_id,) = placed.fo_ids
    staff = gql.as_(authorization=w["s1_staff"])
    data = await staff(QUEUE, {"loc": gid("Location", w["s1"]), "status": ["OPEN"]})
    (edge,) = data["fulfillmentOrders"]["edges"]
    node = edge["node"]
    assert node["status"] == "OPEN" and node["orderNumber"] == placed.number
    assert node["lines"] == [
        {"sku": f"SKU-{w['tv']}", "quantity": 1, "cancelledQuantity": 0, "openQuantity": 1}
    ]
    assert node["reasons"] == ["pickup store S1 (S1) has 3 available"]

    fo = gid("FulfillmentOrder", fo_id)
    out = await staff(step("fulfillmentOrderStart"), {"input": {"fulfillmentOrderId": fo}})
    assert out["fulfillmentOrderStart"]["fulfillmentOrder"]["status"] == "IN_PROGRESS"
    out = await staff(
        step("fulfillmentOrderMarkReady"),
        {"input": {"fulfillmentOrderId": fo, "idempotencyKey": "ready-1"}},
    )
    ready = out["fulfillmentOrderMarkReady"]
    assert ready["userErrors"] == [] and ready["fulfillmentOrder"]["status"] == "READY_FOR_PICKUP"
    assert ready["fulfillmentOrder"]["pickupCode"] is None  # staff never see the code

    # the customer sees the code in the app
    me = gql.as_(authorization=customer_token(w["customer"]))
    mine = await me(
        "query($id: ID!) { fulfillmentOrder(id: $id) { status pickupCode } }", {"id": fo}
    )
    code = mine["fulfillmentOrder"]["pickupCode"]
    assert code == (await fo_row(runtime, fo_id)).pickup_code and len(code) == 6

    before = await snapshot(runtime)
    wrong = "000000" if code != "000000" else "111111"
    out = await staff(
        step("fulfillmentOrderPickUp"), {"input": {"fulfillmentOrderId": fo, "code": wrong}}
    )
    assert out["fulfillmentOrderPickUp"]["userErrors"][0]["code"] == "PICKUP_CODE_INVALID"
    assert out["fulfillmentOrderPickUp"]["userErrors"][0]["field"] == "code"
    assert out["fulfillmentOrderPickUp"]["fulfillmentOrder"] is None
    assert await snapshot(runtime) == before

    pick = {"input": {"fulfillmentOrderId": fo, "code": code, "idempotencyKey": "pick-1"}}
    out = await staff(step("fulfillmentOrderPickUp"), pick)
    assert out["fulfillmentOrderPickUp"]["fulfillmentOrder"]["status"] == "PICKED_UP"
    replay = await staff(step("fulfillmentOrderPickUp"), pick)
    assert replay["fulfillmentOrderPickUp"]["userErrors"] == []
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=2)
    assert (await order_state(runtime, placed.order_id))["status"] == "COMPLETED"

    # illegal transition: names the current status, changes nothing
    before = await snapshot(runtime)
    out = await staff(step("fulfillmentOrderStart"), {"input": {"fulfillmentOrderId": fo}})
    (err,) = out["fulfillmentOrderStart"]["userErrors"]
    assert err["code"] == "INVALID_TRANSITION" and "is PICKED_UP" in err["message"]
    assert await snapshot(runtime) == before


async def test_ship_flow_with_tracking_and_delivery(runtime, gql, world):
    w = world
    await stock(runtime, w["tv"], w["wh"], 4)
    placed = await place_order(runtime, [(w["tv"], 2, M.SHIP, None)], ship_to=ADDRESS)
    fo = gid("FulfillmentOrder", placed.fo_ids[0])
    staff = gql.as_(authorization=w["wh_staff"])
    out = await staff(
        step("fulfillmentOrderShip"), {"input": {"fulfillmentOrderId": fo, "carrier": "CDEK"}}
    )
    assert out["fulfillmentOrderShip"]["userErrors"][0]["field"] == "trackingNumber"
    out = await staff(
        step("fulfillmentOrderShip"),
        {"input": {"fulfillmentOrderId": fo, "carrier": "CDEK", "trackingNumber": "10001"}},
    )
    shipped = out["fulfillmentOrderShip"]["fulfillmentOrder"]
    assert (shipped["status"], shipped["trackingNumber"]) == ("SHIPPED", "10001")
    assert await level(runtime, w["tv"], w["wh"]) == figures(on_hand=2)
    out = await staff(step("fulfillmentOrderDeliver"), {"input": {"fulfillmentOrderId": fo}})
    assert out["fulfillmentOrderDeliver"]["fulfillmentOrder"]["status"] == "DELIVERED"
    assert await order_state(runtime, placed.order_id) == {
        "status": "COMPLETED",
        "lines": [(placed.line_ids[0], 0, 2)],
    }


async def test_reject_through_the_api_resources_with_exact_levels(runtime, gql, world):
    w = world
    await stock(runtime, w["tv"], w["s2"], 1)
    await stock(runtime, w["tv"], w["s1"], 4)
    placed = await place_order(runtime, [(w["tv"], 1, M.SHIP, None)], ship_to=ADDRESS)
    fo_id = placed.fo_ids[0]
    assert (await fo_row(runtime, fo_id)).location_id == w["s2"]
    doc = """mutation($input: FulfillmentOrderRejectInput!) {
      fulfillmentOrderReject(input: $input) {
      userErrors { code field message } cancelledQuantity
      fulfillmentOrder { status }
      replacements { status location { code } reasons } } }"""
    variables = {
        "input": {
            "fulfillmentOrderId": gid("FulfillmentOrder", fo_id),
            "reason": "screen cracked",
            "idempotencyKey": "rej-1",
        }
    }
    clerk = gql.as_(authorization=w["s2_staff"])
    out = await clerk(doc, variables)
    r = out["fulfillmentOrderReject"]
    assert r["userErrors"] == [] and r["cancelledQuantity"] == 0
    assert r["fulfillmentOrder"] == {"status": "REJECTED"}
    (new,) = r["replacements"]
    assert (new["status"], new["location"]["code"]) == ("OPEN", "S1")
    assert await level(runtime, w["tv"], w["s2"]) == figures(on_hand=1)
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=4, committed=1)
    # a replay (the clerk's tablet retried) answers the same and moves nothing again
    before = await snapshot(runtime)
    replay = (await clerk(doc, variables))["fulfillmentOrderReject"]
    assert replay["userErrors"] == [] and replay["replacements"] == r["replacements"]
    assert await snapshot(runtime) == before


async def test_staff_of_another_store_are_refused_and_nothing_changes(runtime, gql, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 2)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    fo = gid("FulfillmentOrder", placed.fo_ids[0])
    other = gql.as_(authorization=w["s2_staff"])
    raw = await other.raw(QUEUE, {"loc": gid("Location", w["s1"])})
    body = raw.json()
    assert body["data"] is None or body["data"].get("fulfillmentOrders") is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    before = await snapshot(runtime)
    out = await other(step("fulfillmentOrderStart"), {"input": {"fulfillmentOrderId": fo}})
    assert out["fulfillmentOrderStart"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(runtime) == before
    seen = await other("query($id: ID!) { fulfillmentOrder(id: $id) { id } }", {"id": fo})
    assert seen == {"fulfillmentOrder": None}
    # a customer may not work the queue at all
    raw = await gql.raw(step("fulfillmentOrderStart"), {"input": {"fulfillmentOrderId": fo}})
    assert raw.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_queue_pages_with_cursors(runtime, gql, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 5)
    ids = [
        (await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])).fo_ids[0] for _ in range(3)
    ]
    staff = gql.as_(authorization=w["s1_staff"])
    page1 = (await staff(QUEUE, {"loc": gid("Location", w["s1"]), "first": 2}))["fulfillmentOrders"]
    assert [e["node"]["id"] for e in page1["edges"]] == [
        gid("FulfillmentOrder", i) for i in ids[:2]
    ]
    assert page1["pageInfo"]["hasNextPage"] is True
    page2 = (
        await staff(
            QUEUE,
            {"loc": gid("Location", w["s1"]), "first": 2, "after": page1["pageInfo"]["endCursor"]},
        )
    )["fulfillmentOrders"]
    assert [e["node"]["id"] for e in page2["edges"]] == [gid("FulfillmentOrder", ids[2])]


async def test_queue_query_count_does_not_grow_with_the_page(runtime, gql, world, count_queries):
    w = world
    await stock(runtime, w["tv"], w["s1"], 20)
    staff = gql.as_(authorization=w["s1_staff"])
    counts = []
    for n in (2, 8):
        while True:
            async with runtime.engine.connect() as conn:
                from sqlalchemy import text

                have = await conn.scalar(text("SELECT count(*) FROM fulfillment_orders"))
            if have >= n:
                break
            await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
        await staff(QUEUE, {"loc": gid("Location", w["s1"]), "first": 50})  # warm caches
        count_queries.statements.clear()
        data = await staff(QUEUE, {"loc": gid("Location", w["s1"]), "first": 50})
        assert len(data["fulfillmentOrders"]["edges"]) == n
        counts.append(
            [
                s
                for s in count_queries.statements
                # the outbox relay's own statements run on the same engine
                if not any(bg in s for bg in ("outbox", "pg_notify", "pg_try_advisory"))
            ]
        )
    assert len(counts[0]) == len(counts[1]), (counts[0], counts[1])


SIMULATE = """query($input: RoutingSimulateInput!) { routingSimulate(input: $input) {
  userErrors { code field message }
  decision { profileVersion complete
    allocations { lineIndex sku quantity method transfer readyAt reasons location { code }
                  pickupLocation { code } }
    shortfalls { lineIndex wanted available alternatives { method available location { code } } }
  } } }"""


async def test_routing_simulate_explains_and_writes_nothing(runtime, gql, world):
    w = world
    await stock(runtime, w["tv"], w["wh"], 10)
    await stock(runtime, w["tv"], w["s2"], 1)
    before = await snapshot(runtime)
    merch = gql.as_(authorization=w["merch"])
    out = await merch(
        SIMULATE,
        {
            "input": {
                "lines": [
                    {
                        "sku": "TV-55",
                        "quantity": 2,
                        "method": "PICKUP",
                        "pickupLocationId": gid("Location", w["s1"]),
                    },
                    {"sku": "TV-55", "quantity": 20, "method": "SHIP"},
                ],
                "shipTo": {"latitude": ADDRESS[0], "longitude": ADDRESS[1]},
            }
        },
    )
    d = out["routingSimulate"]["decision"]
    assert out["routingSimulate"]["userErrors"] == []
    assert d["complete"] is False
    pickup = [a for a in d["allocations"] if a["lineIndex"] == 0]
    assert [(a["location"]["code"], a["quantity"], a["transfer"]) for a in pickup] == [
        ("WH", 2, True)
    ]
    assert pickup[0]["pickupLocation"] == {"code": "S1"}
    assert pickup[0]["reasons"][:2] == [
        "pickup store S1 (S1) has 0 of 2",
        "transfer from WH (WH) to the pickup store",
    ]
    shipped = sum(a["quantity"] for a in d["allocations"] if a["lineIndex"] == 1)
    assert shipped == 9  # 8 left at WH after the pickup + 1 at S2
    (short,) = d["shortfalls"]
    assert (short["lineIndex"], short["wanted"], short["available"]) == (1, 20, 9)
    assert await snapshot(runtime) == before

    out = await merch(
        SIMULATE, {"input": {"lines": [{"sku": "NOPE", "quantity": 1, "method": "SHIP"}]}}
    )
    assert out["routingSimulate"]["userErrors"][0]["code"] == "UNKNOWN_SKU"


async def test_sourcing_profiles_version_and_activate(runtime, gql, world):
    w = world
    merch = gql.as_(authorization=w["merch"])
    create = """mutation($input: SourcingProfileCreateInput!) {
      sourcingProfileCreate(input: $input) { userErrors { code field message }
        profile { version name active rules { criteria maxSplits } } } }"""
    out = await merch(
        create,
        {
            "input": {
                "name": "Warehouse first",
                "rules": {"criteria": ["PRIORITY", "DISTANCE"], "maxSplits": 1},
            }
        },
    )
    p = out["sourcingProfileCreate"]["profile"]
    assert p == {
        "version": 1,  # the tables were emptied after the migration seeded v1
        "name": "Warehouse first",
        "active": False,
        "rules": {"criteria": ["PRIORITY", "DISTANCE"], "maxSplits": 1},
    }
    bad = await merch(create, {"input": {"name": "x", "rules": {"maxSplits": 0}}})
    assert bad["sourcingProfileCreate"]["userErrors"][0]["field"] == "max_splits"

    await stock(runtime, w["tv"], w["wh"], 5)
    await stock(runtime, w["tv"], w["s2"], 5)
    sim = {
        "input": {
            "lines": [{"sku": "TV-55", "quantity": 1, "method": "SHIP"}],
            "shipTo": {"latitude": ADDRESS[0], "longitude": ADDRESS[1]},
        }
    }
    d = (await merch(SIMULATE, sim))["routingSimulate"]["decision"]
    assert (d["profileVersion"], d["allocations"][0]["location"]["code"]) == (0, "S2")
    d = (await merch(SIMULATE, {"input": {**sim["input"], "profileVersion": 1}}))[
        "routingSimulate"
    ]["decision"]
    assert (d["profileVersion"], d["allocations"][0]["location"]["code"]) == (1, "WH")

    activate = """mutation($v: Int!) { sourcingProfileActivate(input: {version: $v}) {
      userErrors { code } profile { version active } } }"""
    out = await merch(activate, {"v": 1})
    assert out["sourcingProfileActivate"]["profile"] == {"version": 1, "active": True}
    d = (await merch(SIMULATE, sim))["routingSimulate"]["decision"]
    assert (d["profileVersion"], d["allocations"][0]["location"]["code"]) == (1, "WH")
    out = await merch(activate, {"v": 9})
    assert out["sourcingProfileActivate"]["userErrors"] == [{"code": "NOT_FOUND"}]
    listed = await merch("{ sourcingProfiles { version active } }")
    assert listed == {"sourcingProfiles": [{"version": 1, "active": True}]}
    raw = await gql.as_(authorization=w["s1_staff"]).raw(
        create, {"input": {"name": "n", "rules": {}}}
    )
    assert raw.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_queue_subscription_receives_new_work(runtime: Runtime, world):
    w = world
    await stock(runtime, w["tv"], w["s1"], 2)
    app = create_app(runtime=runtime)
    doc = """subscription($loc: ID!) {
      fulfillmentQueueChanged(locationId: $loc, newWorkOnly: true) {
      status previousStatus fulfillmentOrder { orderNumber method location { code } } } }"""
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app=app), base_url="http://test"
    ) as client:
        async with aconnect_ws(
            "http://test/graphql", client, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send_json(
                {"type": "connection_init", "payload": {"authorization": w["s1_staff"]}}
            )
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": doc, "variables": {"loc": gid("Location", w["s1"])}},
                }
            )
            await asyncio.sleep(0.3)  # the resolver starts its stream after the message
            placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
            message = await asyncio.wait_for(ws.receive_json(), 10)
    assert message["payload"]["data"]["fulfillmentQueueChanged"] == {
        "status": "OPEN",
        "previousStatus": None,
        "fulfillmentOrder": {
            "orderNumber": placed.number,
            "method": "PICKUP",
            "location": {"code": "S1"},
        },
    }


async def test_pickup_by_transfer_through_the_api(runtime, gql, world, customer_token):
    w = world
    await stock(runtime, w["tv"], w["wh"], 5)
    placed = await place_order(
        runtime, [(w["tv"], 2, M.PICKUP, w["s1"])], customer_id=w["customer"]
    )
    fo = gid("FulfillmentOrder", placed.fo_ids[0])
    store = gql.as_(authorization=w["s1_staff"])
    warehouse = gql.as_(authorization=w["wh_staff"])
    # the pickup store sees the transfer coming in its queue
    queue = (await store(QUEUE, {"loc": gid("Location", w["s1"])}))["fulfillmentOrders"]
    (node,) = [e["node"] for e in queue["edges"]]
    assert (node["transfer"], node["location"], node["pickupLocation"]) == (
        True,
        {"code": "WH"},
        {"code": "S1"},
    )
    # ...but cannot ship it from the warehouse
    out = await store(step("fulfillmentOrderShip"), {"input": {"fulfillmentOrderId": fo}})
    assert out["fulfillmentOrderShip"]["userErrors"][0]["code"] == "FORBIDDEN"
    out = await warehouse(step("fulfillmentOrderStart"), {"input": {"fulfillmentOrderId": fo}})
    assert out["fulfillmentOrderStart"]["fulfillmentOrder"]["status"] == "IN_PROGRESS"
    out = await warehouse(step("fulfillmentOrderShip"), {"input": {"fulfillmentOrderId": fo}})
    assert out["fulfillmentOrderShip"]["fulfillmentOrder"]["status"] == "SHIPPED"
    assert await level(runtime, w["tv"], w["wh"]) == figures(on_hand=3)
    assert await level(runtime, w["tv"], w["s1"]) == figures(incoming=2)
    # the warehouse cannot make it ready at the store
    out = await warehouse(step("fulfillmentOrderMarkReady"), {"input": {"fulfillmentOrderId": fo}})
    assert out["fulfillmentOrderMarkReady"]["userErrors"][0]["code"] == "FORBIDDEN"
    out = await store(step("fulfillmentOrderMarkReady"), {"input": {"fulfillmentOrderId": fo}})
    assert out["fulfillmentOrderMarkReady"]["fulfillmentOrder"]["status"] == "READY_FOR_PICKUP"
    assert await level(runtime, w["tv"], w["s1"]) == figures(on_hand=2, committed=2)
    me = gql.as_(authorization=customer_token(w["customer"]))
    code = (await me("query($id: ID!) { fulfillmentOrder(id: $id) { pickupCode } }", {"id": fo}))[
        "fulfillmentOrder"
    ]["pickupCode"]
    out = await store(
        step("fulfillmentOrderPickUp"), {"input": {"fulfillmentOrderId": fo, "code": code}}
    )
    assert out["fulfillmentOrderPickUp"]["fulfillmentOrder"]["status"] == "PICKED_UP"
    assert await level(runtime, w["tv"], w["s1"]) == figures()
    assert (await order_state(runtime, placed.order_id))["status"] == "COMPLETED"


async def test_a_store_device_reads_its_own_queue_but_cannot_work_it(runtime, gql, world):
    from domain.access import services as access
    from domain.access.model import Channel

    w = world
    await stock(runtime, w["tv"], w["s1"], 2)
    placed = await place_order(runtime, [(w["tv"], 1, M.PICKUP, w["s1"])])
    tablet = await access.create_api_key(
        runtime.uow(),
        actor="t",
        name="stockroom screen",
        channel=Channel.STAFF,
        location_id=w["s1"],
    )
    device = gql.as_(x_api_key=tablet.key)
    data = await device(QUEUE, {"loc": gid("Location", w["s1"])})
    assert [e["node"]["orderNumber"] for e in data["fulfillmentOrders"]["edges"]] == [placed.number]
    other = await device.raw(QUEUE, {"loc": gid("Location", w["s2"])})
    assert other.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    fo = gid("FulfillmentOrder", placed.fo_ids[0])
    before = await snapshot(runtime)
    raw = await device.raw(step("fulfillmentOrderStart"), {"input": {"fulfillmentOrderId": fo}})
    assert raw.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await snapshot(runtime) == before
