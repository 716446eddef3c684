"""Stock check, storefront availability, levels, ledger, discrepancies, the subscription."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from sqlalchemy import text
from strawberry import relay

from api.app import create_app
from api.runtime import Runtime
from domain.access.model import Role
from inventory import services as inv
from inventory.model import LocationKind
from tests.conftest import GQL
from tests.integration.inventory.support import scalar


def gid(type_name: str, db_id: int) -> str:
    return str(relay.GlobalID(type_name, str(db_id)))


ALWAYS_OPEN: dict[str, str] = {}

STOCK_CHECK = """query($sku: String, $barcode: String, $near: NearInput, $r: Float) {
  stockCheck(sku: $sku, barcode: $barcode, near: $near, radiusKm: $r) { sku locations {
    location { code } isOwn distanceKm onHand available reserved committed incoming
    incomingExpectedAt pickup { possible readyAt } } } }"""


async def _stores(make_location):
    wh = await make_location(
        "WH01", LocationKind.WAREHOUSE, latitude=55.717, longitude=37.790, ships=True
    )
    s1 = await make_location(
        "S01", latitude=55.7615, longitude=37.6085, offers_pickup=True, pickup_lead_minutes=60
    )
    s2 = await make_location(
        "S02", latitude=55.7527, longitude=37.5880, offers_pickup=True, pickup_lead_minutes=60
    )
    far = await make_location("S09", latitude=55.6042, longitude=37.4917, offers_pickup=True)
    return wh, s1, s2, far


async def test_stock_check_lists_own_store_first_then_by_distance(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    (v,) = await variants("HP-100", barcode=True)
    wh, s1, s2, far = await _stores(make_location)
    for loc, qty in ((wh, 10), (s1, 2), (s2, 1), (far, 4)):
        await inv.receive_stock(
            runtime.uow(), variant_id=v, location_id=loc, quantity=qty, actor="t"
        )
    await inv.reserve(
        runtime.uow(), variant_id=v, location_id=s2, quantity=1, owner_ref="cart:1", expires_at=None
    )
    tid = await inv.create_transfer(
        runtime.uow(),
        from_location_id=wh,
        to_location_id=s2,
        lines=[(v, 3)],
        actor="t",
        expected_at=datetime(2030, 1, 2, 9, tzinfo=UTC),
    )
    await inv.ship_transfer(runtime.uow(), transfer_id=tid, actor="t")
    _, token = await staff_token(Role.CASHIER, [s2])

    data = await gql.as_(authorization=token)(STOCK_CHECK, {"sku": "HP-100", "r": 10.0})
    rows = data["stockCheck"]["locations"]
    assert [(r["location"]["code"], r["isOwn"]) for r in rows] == [("S02", True), ("S01", False)]
    own = rows[0]
    assert (
        own["distanceKm"],
        own["onHand"],
        own["available"],
        own["reserved"],
        own["incoming"],
    ) == (0.0, 1, 0, 1, 3)
    assert own["incomingExpectedAt"] == "2030-01-02T09:00:00+00:00"
    assert own["pickup"] == {"possible": True, "readyAt": "2030-01-02T10:00:00+00:00"}
    assert (
        rows[1]["distanceKm"] == 1.613
        and rows[1]["available"] == 2
        and rows[1]["pickup"]["possible"] is True
    )

    everywhere = await gql.as_(authorization=token)(STOCK_CHECK, {"sku": "HP-100"})
    assert [r["location"]["code"] for r in everywhere["stockCheck"]["locations"]] == [
        "S02",
        "S01",
        "WH01",
        "S09",
    ]
    barcode = await scalar(runtime, "SELECT barcode FROM variants WHERE id = :v", v=v)
    by_barcode = await gql.as_(authorization=token)(
        STOCK_CHECK, {"barcode": barcode, "near": {"latitude": 55.6042, "longitude": 37.4917}}
    )
    assert by_barcode["stockCheck"]["locations"][1]["location"]["code"] == "S09"

    body = (await gql.raw(STOCK_CHECK, {"sku": "HP-100"})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = (await gql.as_(authorization=token).raw(STOCK_CHECK, {"sku": "NOPE"})).json()
    assert unknown["errors"][0]["extensions"]["code"] == "UNKNOWN_SKU"


AVAILABILITY = """query($v: ID!, $near: NearInput) { availability(variantId: $v, near: $near) {
  canShip stores { location { code } distanceKm inStock pickup { possible } } } }"""


async def test_storefront_availability_shows_shipping_and_nearby_pickup_without_figures(
    runtime: Runtime, gql: GQL, variants, make_location
):
    v, w = await variants("HP-100", "HP-200")
    wh, s1, s2, far = await _stores(make_location)
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=wh, quantity=1, actor="t")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=s2, quantity=1, actor="t")
    data = await gql(
        AVAILABILITY, {"v": gid("Variant", v), "near": {"latitude": 55.7615, "longitude": 37.6085}}
    )
    assert data["availability"] == {
        "canShip": True,
        "stores": [
            {
                "location": {"code": "S01"},
                "distanceKm": 0.0,
                "inStock": False,
                "pickup": {"possible": False},
            },
            {
                "location": {"code": "S02"},
                "distanceKm": 1.613,
                "inStock": True,
                "pickup": {"possible": True},
            },
            {
                "location": {"code": "S09"},
                "distanceKm": 18.962,
                "inStock": False,
                "pickup": {"possible": False},
            },
        ],
    }
    none = await gql(AVAILABILITY, {"v": gid("Variant", w)})
    assert none["availability"]["canShip"] is False
    assert {s["inStock"] for s in none["availability"]["stores"]} == {False}


async def test_levels_ledger_and_discrepancies_for_staff(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    (v,) = await variants("HP-100")
    s1, s2 = await make_location("S01"), await make_location("S02")
    await inv.receive_stock(
        runtime.uow(),
        variant_id=v,
        location_id=s1,
        quantity=4,
        actor="staff:9",
        document_ref="PO-1",
    )
    await inv.receive_stock(
        runtime.uow(), variant_id=v, location_id=s2, quantity=4, actor="staff:9"
    )
    _, manager = await staff_token(Role.STORE_MANAGER, [s1])
    g = gql.as_(authorization=manager)
    levels = await g(
        "query($l: ID!) { stockLevels(locationId: $l) { nodes { sku figures { onHand available } } } }",
        {"l": gid("Location", s1)},
    )
    assert levels["stockLevels"]["nodes"] == [
        {"sku": "HP-100", "figures": {"onHand": 4, "available": 4}}
    ]
    ledger = await g(
        "query($l: ID!) { stockMovements(locationId: $l) { nodes { kind reason actor documentRef sku change { onHand } } } }",
        {"l": gid("Location", s1)},
    )
    assert ledger["stockMovements"]["nodes"] == [
        {
            "kind": "RECEIVE",
            "reason": "SUPPLIER_DELIVERY",
            "actor": "staff:9",
            "documentRef": "PO-1",
            "sku": "HP-100",
            "change": {"onHand": 4},
        }
    ]
    other = (
        await g.raw(
            "query($l: ID!) { stockMovements(locationId: $l) { nodes { kind } } }",
            {"l": gid("Location", s2)},
        )
    ).json()
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    query = "{ inventoryDiscrepancies { location { code } sku level { onHand } ledger { onHand } differences } }"
    assert (await g(query))["inventoryDiscrepancies"] == []
    async with runtime.engine.begin() as conn:
        await conn.execute(text("UPDATE stock_levels SET on_hand = on_hand + 3"))
    assert (await g(query))["inventoryDiscrepancies"] == [
        {
            "location": {"code": "S01"},
            "sku": "HP-100",
            "level": {"onHand": 7},
            "ledger": {"onHand": 4},
            "differences": {"on_hand": 3},
        }
    ]
    _, admin = await staff_token(Role.ADMIN)
    assert len((await gql.as_(authorization=admin)(query))["inventoryDiscrepancies"]) == 2


SUBSCRIBE = """subscription($l: ID!, $v: [ID!]) { inventoryChanged(locationId: $l, variantIds: $v) {
  locationId variantId sku kind figures { onHand reserved available } needsRecount } }"""


async def test_a_committed_stock_change_reaches_the_store_screen(
    runtime: Runtime, variants, make_location, staff_token
):
    v, w = await variants("HP-100", "HP-200")
    s1, s2 = await make_location("S01"), await make_location("S02")
    _, manager = await staff_token(Role.STORE_MANAGER, [s1])
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app=app), base_url="http://test"
    ) as client:
        async with aconnect_ws(
            "http://test/graphql", client, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": manager}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": SUBSCRIBE,
                        "variables": {"l": gid("Location", s1), "v": [gid("Variant", v)]},
                    },
                }
            )
            await asyncio.sleep(0.3)  # the resolver starts its stream after the message
            await inv.receive_stock(
                runtime.uow(), variant_id=v, location_id=s2, quantity=5, actor="t"
            )  # other store
            await inv.receive_stock(
                runtime.uow(), variant_id=w, location_id=s1, quantity=5, actor="t"
            )  # other item
            await inv.receive_stock(
                runtime.uow(), variant_id=v, location_id=s1, quantity=3, actor="t"
            )
            message = await asyncio.wait_for(ws.receive_json(), 10)
            await ws.send_json(
                {
                    "id": "2",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"l": gid("Location", s2)}},
                }
            )
            refused = await asyncio.wait_for(ws.receive_json(), 10)
    assert message == {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {
                "inventoryChanged": {
                    "locationId": gid("Location", s1),
                    "variantId": gid("Variant", v),
                    "sku": "HP-100",
                    "kind": "RECEIVE",
                    "figures": {"onHand": 3, "reserved": 0, "available": 3},
                    "needsRecount": False,
                }
            }
        },
    }
    assert refused["id"] == "2" and refused["type"] in ("error", "next")
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_variant_availability_field_on_the_catalog_type(
    runtime: Runtime, gql: GQL, variants, make_location
):
    (v,) = await variants("HP-100")
    wh, s1, s2, far = await _stores(make_location)
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=s1, quantity=1, actor="t")
    doc = """query($id: ID!, $near: NearInput) { node(id: $id) { ... on Variant { sku
      availability(near: $near, radiusKm: 5) { canShip stores { location { code } inStock } } } } }"""
    data = await gql(doc, {"id": gid("Variant", v), "near": {"locationId": gid("Location", s1)}})
    assert data["node"] == {
        "sku": "HP-100",
        "availability": {
            "canShip": False,
            "stores": [
                {"location": {"code": "S01"}, "inStock": True},
                {"location": {"code": "S02"}, "inStock": False},
            ],
        },
    }


ADMIN_CHECK = """query($sku: String, $r: Float) {
  stockCheck(sku: $sku, radiusKm: $r) { sku locations {
    location { code } isOwn distanceKm onHand available reserved } } }"""


async def test_stock_check_without_a_centre_lists_every_holding_location_most_available_first(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    from domain.access import services as access
    from domain.access.model import Channel

    v, other = await variants("HP-100", "HP-200")
    wh, s1, s2, far = await _stores(make_location)
    nowhere = await make_location("S05", offers_pickup=True)  # no coordinates
    empty = await make_location("S07", latitude=55.75, longitude=37.6)  # holds nothing
    for loc, qty in ((wh, 10), (s1, 2), (s2, 1), (far, 4), (nowhere, 4)):
        await inv.receive_stock(
            runtime.uow(), variant_id=v, location_id=loc, quantity=qty, actor="t"
        )
    await inv.receive_stock(
        runtime.uow(), variant_id=other, location_id=empty, quantity=5, actor="t"
    )
    await inv.reserve(
        runtime.uow(), variant_id=v, location_id=s2, quantity=1, owner_ref="cart:1", expires_at=None
    )
    everywhere = [
        {"location": {"code": code}, "isOwn": False, "distanceKm": None, "onHand": on_hand,
         "available": available, "reserved": reserved}
        for code, on_hand, available, reserved in (
            ("WH01", 10, 10, 0),
            ("S09", 4, 4, 0),  # ties on available: by location id (S09 was made before S05)
            ("S05", 4, 4, 0),
            ("S01", 2, 2, 0),
            ("S02", 1, 0, 1),
        )
    ]  # fmt: skip
    _, admin = await staff_token(Role.ADMIN)
    _, merchandiser = await staff_token(Role.MERCHANDISER)
    await access.create_api_key(
        runtime.uow(),
        actor="test",
        name="back office",
        channel=Channel.BACK_OFFICE,
        location_id=None,
        fixed=("tbackoffice", "back-office-secret"),
    )
    back_office = gql.as_(
        x_api_key=f"{access.KEY_PREFIX}tbackoffice.back-office-secret", authorization=merchandiser
    )
    for caller in (gql.as_(authorization=admin), back_office):
        for radius in (10.0, None):
            data = await caller(ADMIN_CHECK, {"sku": "HP-100", "r": radius})
            assert data["stockCheck"] == {"sku": "HP-100", "locations": everywhere}

    # A cashier whose store has no coordinates: the same rule, their store first.
    _, cashier = await staff_token(Role.CASHIER, [nowhere])
    data = await gql.as_(authorization=cashier)(ADMIN_CHECK, {"sku": "HP-100", "r": 5.0})
    rows = data["stockCheck"]["locations"]
    assert [(r["location"]["code"], r["isOwn"]) for r in rows] == [
        ("S05", True),
        ("WH01", False),
        ("S09", False),
        ("S01", False),
        ("S02", False),
    ]


async def test_storefront_availability_without_a_centre_lists_pickup_stores_in_stock_first(
    runtime: Runtime, gql: GQL, variants, make_location
):
    (v,) = await variants("HP-100")
    _wh, _s1, s2, far = await _stores(make_location)
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=far, quantity=3, actor="t")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=s2, quantity=1, actor="t")
    doc = """query($v: ID!) { availability(variantId: $v, radiusKm: 5) {
      canShip stores { location { code } distanceKm inStock } } }"""
    data = await gql(doc, {"v": gid("Variant", v)})
    assert data["availability"] == {
        "canShip": False,
        "stores": [
            {"location": {"code": "S09"}, "distanceKm": None, "inStock": True},
            {"location": {"code": "S02"}, "distanceKm": None, "inStock": True},
            {"location": {"code": "S01"}, "distanceKm": None, "inStock": False},
        ],
    }
