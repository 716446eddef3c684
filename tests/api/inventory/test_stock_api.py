"""Inventory through GraphQL: every mutation, its failure paths (nothing changed), roles."""

from __future__ import annotations

from typing import Any

from strawberry import relay

from api.runtime import Runtime
from domain.access.model import Role
from inventory import services as inv
from inventory.model import LocationKind
from tests.conftest import GQL
from tests.integration.inventory.support import figures, level, scalar, snapshot


def gid(type_name: str, db_id: int) -> str:
    return str(relay.GlobalID(type_name, str(db_id)))


LEVEL = "level { figures { onHand committed reserved safetyStock damaged qualityControl incoming available } needsRecount sku } movement { kind reason actor documentRef change { onHand damaged qualityControl safetyStock } }"
ERRORS = "userErrors { code field message }"


async def call(
    gql: GQL, name: str, input_type: str, input: dict[str, Any], fields: str = LEVEL
) -> dict[str, Any]:
    doc = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {ERRORS} {fields} }} }}"
    return (await gql(doc, {"input": input}))[name]


async def test_receive_adjust_count_move_and_safety_stock(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    (v,) = await variants("HP-100")
    wh = await make_location("WH01", LocationKind.WAREHOUSE)
    staff_id, token = await staff_token(Role.WAREHOUSE, [wh])
    g = gql.as_(authorization=token)
    base = {"sku": "HP-100", "locationId": gid("Location", wh)}

    out = await call(
        g, "stockReceive", "StockReceiveInput", {**base, "quantity": 10, "documentRef": "PO-77"}
    )
    assert out["userErrors"] == []
    assert out["level"]["figures"] == {
        "onHand": 10,
        "committed": 0,
        "reserved": 0,
        "safetyStock": 0,
        "damaged": 0,
        "qualityControl": 0,
        "incoming": 0,
        "available": 10,
    }
    assert out["movement"] == {
        "kind": "RECEIVE",
        "reason": "SUPPLIER_DELIVERY",
        "actor": f"staff:{staff_id}",
        "documentRef": "PO-77",
        "change": {"onHand": 10, "damaged": 0, "qualityControl": 0, "safetyStock": 0},
    }

    out = await call(
        g, "stockAdjust", "StockAdjustInput", {**base, "quantity": 2, "reason": "SHRINKAGE"}
    )
    assert out["level"]["figures"]["onHand"] == 8
    out = await call(
        g,
        "stockStateMove",
        "StockStateMoveInput",
        {**base, "quantity": 3, "fromState": "SELLABLE", "toState": "QUALITY_CONTROL"},
    )
    assert out["movement"]["change"] == {
        "onHand": -3,
        "damaged": 0,
        "qualityControl": 3,
        "safetyStock": 0,
    }
    out = await call(g, "stockCount", "StockCountInput", {**base, "countedQuantity": 6})
    assert (out["movement"]["kind"], out["movement"]["change"]["onHand"]) == ("COUNT", 1)
    out = await call(
        g,
        "safetyStockSet",
        "SafetyStockSetInput",
        {"variantId": gid("Variant", v), "locationId": gid("Location", wh), "quantity": 2},
    )
    assert out["level"]["figures"]["available"] == 4
    assert await level(runtime, v, wh) == figures(on_hand=6, safety_stock=2, quality_control=3)


async def test_a_replayed_receipt_returns_the_first_response_and_moves_stock_once(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    (v,) = await variants("HP-100")
    wh = await make_location("WH01", LocationKind.WAREHOUSE)
    _, token = await staff_token(Role.WAREHOUSE, [wh])
    g = gql.as_(authorization=token)
    input = {
        "sku": "HP-100",
        "locationId": gid("Location", wh),
        "quantity": 5,
        "documentRef": "PO-1",
        "idempotencyKey": "k-1",
    }
    first = await call(g, "stockReceive", "StockReceiveInput", input, fields="movement { id }")
    again = await call(g, "stockReceive", "StockReceiveInput", input, fields="movement { id }")
    assert first == again
    assert await level(runtime, v, wh) == figures(on_hand=5)
    reused = await call(
        g, "stockReceive", "StockReceiveInput", {**input, "quantity": 6}, fields="movement { id }"
    )
    assert reused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_bad_input_is_a_user_error_and_changes_nothing(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    (v,) = await variants("HP-100")
    wh = await make_location("WH01", LocationKind.WAREHOUSE)
    _, admin = await staff_token(Role.ADMIN)
    g = gql.as_(authorization=admin)
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=wh, quantity=2, actor="t")
    before = await snapshot(runtime)
    loc = gid("Location", wh)
    cases = [
        (
            "stockReceive",
            "StockReceiveInput",
            {"sku": "HP-100", "locationId": loc, "quantity": 0, "documentRef": "x"},
            "INVALID_QUANTITY",
            "quantity",
        ),
        (
            "stockReceive",
            "StockReceiveInput",
            {"sku": "HP-100", "locationId": loc, "quantity": -3, "documentRef": "x"},
            "INVALID_QUANTITY",
            "quantity",
        ),
        (
            "stockReceive",
            "StockReceiveInput",
            {"sku": "NOPE", "locationId": loc, "quantity": 1, "documentRef": "x"},
            "UNKNOWN_SKU",
            "sku",
        ),
        (
            "stockReceive",
            "StockReceiveInput",
            {
                "sku": "HP-100",
                "locationId": gid("Location", 999),
                "quantity": 1,
                "documentRef": "x",
            },
            "UNKNOWN_LOCATION",
            "locationId",
        ),
        (
            "stockReceive",
            "StockReceiveInput",
            {"sku": "HP-100", "locationId": gid("Variant", 1), "quantity": 1, "documentRef": "x"},
            "INVALID",
            "locationId",
        ),
        (
            "stockAdjust",
            "StockAdjustInput",
            {"sku": "HP-100", "locationId": loc, "quantity": 3, "reason": "DAMAGE"},
            "INSUFFICIENT_STOCK",
            "quantity",
        ),
        (
            "stockStateMove",
            "StockStateMoveInput",
            {
                "sku": "HP-100",
                "locationId": loc,
                "quantity": 1,
                "fromState": "DAMAGED",
                "toState": "SELLABLE",
            },
            "INSUFFICIENT_STOCK",
            "quantity",
        ),
        (
            "stockCount",
            "StockCountInput",
            {"sku": "HP-100", "locationId": loc, "countedQuantity": -1},
            "INVALID_QUANTITY",
            "countedQuantity",
        ),
        (
            "safetyStockSet",
            "SafetyStockSetInput",
            {"sku": "HP-100", "locationId": loc, "quantity": -1},
            "INVALID_QUANTITY",
            "quantity",
        ),
    ]
    for name, input_type, input, code, field in cases:
        out = await call(g, name, input_type, input, fields="level { id }")
        assert [(e["code"], e["field"]) for e in out["userErrors"]] == [(code, field)], (
            name,
            input,
        )
        assert out["level"] is None
    assert await snapshot(runtime) == before


async def test_store_manager_acts_at_own_store_only_and_cashier_not_at_all(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    (v,) = await variants("HP-100")
    s1, s2 = await make_location("S01"), await make_location("S02")
    _, manager = await staff_token(Role.STORE_MANAGER, [s1])
    _, cashier = await staff_token(Role.CASHIER, [s1])
    before = await snapshot(runtime)
    out = await call(
        gql.as_(authorization=manager),
        "stockReceive",
        "StockReceiveInput",
        {"sku": "HP-100", "locationId": gid("Location", s2), "quantity": 1, "documentRef": "x"},
    )
    assert [(e["code"], e["field"]) for e in out["userErrors"]] == [("FORBIDDEN", "locationId")]
    body = (
        await gql.as_(authorization=cashier).raw(
            "mutation($i: StockReceiveInput!) { stockReceive(input: $i) { userErrors { code } } }",
            {
                "i": {
                    "sku": "HP-100",
                    "locationId": gid("Location", s1),
                    "quantity": 1,
                    "documentRef": "x",
                }
            },
        )
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await snapshot(runtime) == before
    ok = await call(
        gql.as_(authorization=manager),
        "stockReceive",
        "StockReceiveInput",
        {"sku": "HP-100", "locationId": gid("Location", s1), "quantity": 1, "documentRef": "x"},
    )
    assert ok["userErrors"] == [] and await level(runtime, v, s1) == figures(on_hand=1)


TRANSFER = "transfer { status documentRef fromLocation { code } toLocation { code } lines { sku quantity received discrepancy } }"


async def test_transfer_flow_through_graphql_with_roles_at_each_end(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    (v,) = await variants("HP-100")
    wh, s1 = await make_location("WH01", LocationKind.WAREHOUSE), await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=wh, quantity=5, actor="t")
    _, warehouse = await staff_token(Role.WAREHOUSE, [wh])
    _, manager = await staff_token(Role.STORE_MANAGER, [s1])
    w, m = gql.as_(authorization=warehouse), gql.as_(authorization=manager)

    same = await call(
        w,
        "transferCreate",
        "TransferCreateInput",
        {
            "fromLocationId": gid("Location", wh),
            "toLocationId": gid("Location", wh),
            "lines": [{"sku": "HP-100", "quantity": 1}],
        },
        fields="transfer { id }",
    )
    assert [e["code"] for e in same["userErrors"]] == ["SAME_LOCATION"]
    not_theirs = await call(
        m,
        "transferCreate",
        "TransferCreateInput",
        {
            "fromLocationId": gid("Location", wh),
            "toLocationId": gid("Location", s1),
            "lines": [{"sku": "HP-100", "quantity": 1}],
        },
        fields="transfer { id }",
    )
    assert [e["code"] for e in not_theirs["userErrors"]] == ["FORBIDDEN"]
    assert await scalar(runtime, "SELECT count(*) FROM stock_transfers") == 0

    created = await call(
        w,
        "transferCreate",
        "TransferCreateInput",
        {
            "fromLocationId": gid("Location", wh),
            "toLocationId": gid("Location", s1),
            "lines": [{"sku": "HP-100", "quantity": 3}],
            "documentRef": "TR-9",
            "expectedAt": "2030-01-02T09:00:00+00:00",
        },
        fields="transfer { id status }",
    )
    tid = created["transfer"]["id"]
    assert created["transfer"]["status"] == "CREATED"
    wrong_side = await call(
        m, "transferShip", "TransferShipInput", {"transferId": tid}, fields="transfer { id }"
    )
    assert [e["code"] for e in wrong_side["userErrors"]] == ["FORBIDDEN"]
    shipped = await call(
        w, "transferShip", "TransferShipInput", {"transferId": tid}, fields=TRANSFER
    )
    assert shipped["transfer"]["status"] == "SHIPPED"
    assert await level(runtime, v, s1) == figures(incoming=3)

    before = await snapshot(runtime)
    too_many = await call(
        m,
        "transferReceive",
        "TransferReceiveInput",
        {"transferId": tid, "lines": [{"sku": "HP-100", "quantity": 4}]},
        fields="transfer { id }",
    )
    assert [(e["code"], e["field"]) for e in too_many["userErrors"]] == [
        ("RECEIPT_EXCEEDS_SHIPMENT", "lines")
    ]
    assert await snapshot(runtime) == before

    part = await call(
        m,
        "transferReceive",
        "TransferReceiveInput",
        {"transferId": tid, "lines": [{"sku": "HP-100", "quantity": 2}]},
        fields=TRANSFER,
    )
    assert part["transfer"]["status"] == "PARTIALLY_RECEIVED"
    done = await call(
        m,
        "transferReceive",
        "TransferReceiveInput",
        {"transferId": tid, "complete": True},
        fields=TRANSFER,
    )
    assert done["transfer"] == {
        "status": "RECEIVED",
        "documentRef": "TR-9",
        "fromLocation": {"code": "WH01"},
        "toLocation": {"code": "S01"},
        "lines": [{"sku": "HP-100", "quantity": 3, "received": 2, "discrepancy": 1}],
    }
    assert await level(runtime, v, s1) == figures(on_hand=2)
    assert await level(runtime, v, wh) == figures(on_hand=2)


async def test_transfer_cancel_releases_the_source(
    runtime: Runtime, gql: GQL, variants, make_location, staff_token
):
    (v,) = await variants("HP-100")
    wh, s1 = await make_location("WH01", LocationKind.WAREHOUSE), await make_location("S01")
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=wh, quantity=5, actor="t")
    _, admin = await staff_token(Role.ADMIN)
    g = gql.as_(authorization=admin)
    created = await call(
        g,
        "transferCreate",
        "TransferCreateInput",
        {
            "fromLocationId": gid("Location", wh),
            "toLocationId": gid("Location", s1),
            "lines": [{"sku": "HP-100", "quantity": 6}],
        },
        fields="transfer { id }",
    )
    assert [e["code"] for e in created["userErrors"]] == ["INSUFFICIENT_STOCK"]
    created = await call(
        g,
        "transferCreate",
        "TransferCreateInput",
        {
            "fromLocationId": gid("Location", wh),
            "toLocationId": gid("Location", s1),
            "lines": [{"sku": "HP-100", "quantity": 5}],
        },
        fields="transfer { id }",
    )
    out = await call(
        g,
        "transferCancel",
        "TransferCancelInput",
        {"transferId": created["transfer"]["id"]},
        fields="transfer { status }",
    )
    assert out["transfer"] == {"status": "CANCELLED"}
    assert await level(runtime, v, wh) == figures(on_hand=5)
    again = await call(
        g,
        "transferCancel",
        "TransferCancelInput",
        {"transferId": created["transfer"]["id"]},
        fields="transfer { status }",
    )
    assert [e["code"] for e in again["userErrors"]] == ["TRANSFER_STATE"]


LOC_FIELDS = "location { code name kind latitude longitude ships offersPickup sellsInStore openingHours pickupLeadMinutes timezone active }"


async def test_location_mutations_are_admin_only_and_validate(
    runtime: Runtime, gql: GQL, staff_token, variants
):
    _, admin = await staff_token(Role.ADMIN)
    _, merch = await staff_token(Role.MERCHANDISER)
    g = gql.as_(authorization=admin)
    input = {
        "code": "s10",
        "name": "Store 10",
        "kind": "STORE",
        "latitude": 55.7,
        "longitude": 37.6,
        "offersPickup": True,
        "sellsInStore": True,
        "openingHours": {"mon-sun": "10:00-22:00"},
        "pickupLeadMinutes": 60,
        "timezone": "Europe/Moscow",
    }
    body = (
        await gql.as_(authorization=merch).raw(
            "mutation($i: LocationCreateInput!) { locationCreate(input: $i) { userErrors { code } } }",
            {"i": input},
        )
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = await call(
        g, "locationCreate", "LocationCreateInput", input, fields="location { id code }"
    )
    assert created["location"]["code"] == "S10"
    lid = created["location"]["id"]
    bad = await call(
        g,
        "locationCreate",
        "LocationCreateInput",
        {**input, "code": "S11", "openingHours": {"someday": "1-2"}},
        fields="location { id }",
    )
    assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [("INVALID", "openingHours")]
    dup = await call(g, "locationCreate", "LocationCreateInput", input, fields="location { id }")
    assert [e["code"] for e in dup["userErrors"]] == ["CONFLICT"]
    upd = await call(
        g,
        "locationUpdate",
        "LocationUpdateInput",
        {"id": lid, "name": "Store Ten", "ships": True, "pickupLeadMinutes": 30},
        fields=LOC_FIELDS,
    )
    assert upd["location"] == {
        "code": "S10",
        "name": "Store Ten",
        "kind": "STORE",
        "latitude": 55.7,
        "longitude": 37.6,
        "ships": True,
        "offersPickup": True,
        "sellsInStore": True,
        "openingHours": {"mon-sun": "10:00-22:00"},
        "pickupLeadMinutes": 30,
        "timezone": "Europe/Moscow",
        "active": True,
    }

    (v,) = await variants("HP-100")
    db_id = int(relay.GlobalID.from_id(lid).node_id)
    await inv.receive_stock(runtime.uow(), variant_id=v, location_id=db_id, quantity=1, actor="t")
    await inv.reserve(
        runtime.uow(),
        variant_id=v,
        location_id=db_id,
        quantity=1,
        owner_ref="cart:1",
        expires_at=None,
    )
    refused = await call(
        g,
        "locationDeactivate",
        "LocationDeactivateInput",
        {"id": lid},
        fields="location { active }",
    )
    assert [e["code"] for e in refused["userErrors"]] == ["CONFLICT"]
    await inv.release(runtime.uow(), owner_ref="cart:1")
    out = await call(
        g,
        "locationDeactivate",
        "LocationDeactivateInput",
        {"id": lid},
        fields="location { active }",
    )
    assert out["location"] == {"active": False}
    listed = await gql("{ locations { nodes { code } } }")
    assert listed["locations"]["nodes"] == []
