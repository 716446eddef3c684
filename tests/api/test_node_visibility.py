"""Issue 13.2: every object is checked wherever it is reached.

One object of every Node type in the schema (the list is read from the schema, so a new type
without a rule fails here), owned by customer C1 and store S01, walked through ``nodes(ids:)``
by an anonymous shopper, another customer, a cashier of another store, and an admin (who sees
all but what is only ever reached through its owner).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from strawberry import relay
from strawberry.types import Info

from api.relay import encode_id
from api.runtime import Runtime
from api.schema import build_schema
from api.visibility import declares_policy, may_see
from domain.access.model import Role
from domain.catalog.model import AttributeKind
from domain.catalog.structure import AttributeSpec, create_attribute
from domain.shared.settings import Settings
from fulfillment.returns.model import ReturnReason
from fulfillment.returns.services.create import ReturnLineRequest, create_return
from inventory import services as inventory
from inventory.model import LocationKind
from inventory.services.transfers import create_transfer
from loyalty.clienteling.services.interactions import open_consultation
from loyalty.services.customers import Address, add_address
from tests.conftest import GQL
from tests.support.orders import (
    build_cart,
    enrol_customer,
    give_points,
    make_voucher,
    make_world,
    place_order,
    scalar,
)

NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"

PUBLIC = {
    "Brand",
    "Category",
    "AttributeDefinition",
    "ProductType",
    "Product",
    "Variant",
    "Location",
}
#: What a cashier of S02 sees of S01's and C1's objects: customers (a till looks them up),
#: orders and returns (any store takes back any order), stock figures (stock check).
CASHIER_ELSEWHERE = PUBLIC | {
    "Order",
    "Return",
    "Customer",
    "CustomerIdentifier",
    "PointsEntry",
    "StockLevel",
    "closed Location",
}
#: Never by id, only through its customer (who is checked).
OWNED_THROUGH_PARENT = {"CustomerAddress"}


def node_type_names() -> dict[str, type]:
    schema = build_schema(Settings(dev_mode=True))
    gql_schema = schema._schema
    implementations = gql_schema.get_implementations(gql_schema.get_type("Node"))  # type: ignore[arg-type]
    out = {}
    for t in implementations.objects:
        definition = schema.get_type_by_name(t.name)
        out[t.name] = definition.origin  # type: ignore[union-attr]
    return out


def test_every_node_type_declares_who_may_see_it():
    missing = sorted(name for name, cls in node_type_names().items() if not declares_policy(cls))
    assert missing == []


async def test_a_node_type_without_a_rule_is_never_shown():
    class Undeclared:  # stands for a Node type someone forgot to give a rule
        pass

    assert await may_see(Info.__new__(Info), Undeclared()) is False


async def _one_of_everything(runtime: Runtime, staff_token: Any) -> tuple[dict[str, str], Any]:
    world = await make_world(runtime, stock={("HP-100", "WH"): 10, ("HP-100", "S01"): 5})
    s01, wh = world.locations["S01"], world.locations["WH"]
    c1 = await enrol_customer(runtime, "+79161234567")
    placed = await place_order(runtime, world, lines=[("HP-100", 1, "SHIP")], customer_id=c1)
    _, cart = await build_cart(runtime, world, lines=[("HP-100", 1, "SHIP")], customer_id=c1)
    line = await scalar(
        runtime, "SELECT id FROM order_lines WHERE order_id = :o", o=placed.order_id
    )
    return_id = await create_return(
        runtime.uow(),
        world.principal("WEB", customer_id=c1),
        order_id=placed.order_id,
        lines=[ReturnLineRequest(line, 1, ReturnReason.CHANGED_MIND)],
    )
    async with runtime.session_factory() as session:
        consultation, _ = await open_consultation(
            session, customer_id=c1, location_id=s01, now=datetime.now(UTC), note=None
        )
        await session.commit()
    staff_id, _ = await staff_token(Role.CASHIER, [s01])
    address = await add_address(runtime.uow(), c1, Address(line1="ul. Tverskaya 1", city="Moscow"))
    await give_points(runtime, c1, 100)
    transfer = await create_transfer(
        runtime.uow(),
        from_location_id=s01,
        to_location_id=wh,
        lines=[(world.variants["HP-100"], 1)],
        actor="test",
    )
    closed = await inventory.create_location(
        runtime.uow(), code="OLD", name="Old store", kind=LocationKind.STORE
    )
    await inventory.deactivate_location(runtime.uow(), location_id=closed, actor="test")
    code = await make_voucher(runtime)
    async with runtime.engine.begin() as conn:  # a till sale short by 1 kopeck, for review
        await conn.execute(
            text(
                "INSERT INTO pos_sale_reviews (order_id, location_id, status, currency,"
                " expected_total, tendered_total, discrepancy, notes, offline, cashier)"
                " VALUES (:o, :l, 'OPEN', 'RUB', 100, 99, -1, '[]', false, 'cashier')"
            ),
            {"o": placed.order_id, "l": s01},
        )
    attribute = await create_attribute(
        runtime.uow(),
        actor="test",
        spec=AttributeSpec(code="colour", name="Colour", kind=AttributeKind.TEXT),
    )

    async def one(sql: str, **params: Any) -> int:
        return int(await scalar(runtime, sql + " ORDER BY id LIMIT 1", **params))

    ids = {
        "Brand": await one("SELECT id FROM brands"),
        "Category": await one("SELECT id FROM categories"),
        "AttributeDefinition": attribute,
        "ProductType": await one("SELECT id FROM product_types"),
        "Product": await one("SELECT id FROM products"),
        "Variant": world.variants["HP-100"],
        "Cart": await one("SELECT id FROM carts WHERE token = :t", t=cart.token),
        "Order": placed.order_id,
        "FulfillmentOrder": await one(
            "SELECT id FROM fulfillment_orders WHERE order_id = :o", o=placed.order_id
        ),
        "Return": return_id,
        "Consultation": consultation,
        "StaffUser": staff_id,
        "ApiKey": await one("SELECT id FROM api_keys WHERE location_id = :l", l=s01),
        "Customer": c1,
        "CustomerIdentifier": await one(
            "SELECT id FROM customer_identifiers WHERE customer_id = :c", c=c1
        ),
        "CustomerAddress": address,
        "PointsEntry": await one("SELECT id FROM points_entries WHERE customer_id = :c", c=c1),
        "Location": s01,
        "closed Location": closed,
        "StockLevel": await one("SELECT id FROM stock_levels WHERE location_id = :l", l=s01),
        "StockMovement": await one("SELECT id FROM stock_movements WHERE location_id = :l", l=s01),
        "Transfer": transfer,
        "Promotion": await one("SELECT promotion_id AS id FROM vouchers WHERE code = :c", c=code),
        "Voucher": await one("SELECT id FROM vouchers WHERE code = :c", c=code),
        "PosSaleReview": await one("SELECT id FROM pos_sale_reviews WHERE location_id = :l", l=s01),
    }
    gids = {label: str(encode_id(label.split()[-1], i)) for label, i in ids.items()}
    return gids, world


#: What C1 sees of their own: their cart, order and its fulfilment, return, profile and points.
OWNER = PUBLIC | {
    "Cart",
    "Order",
    "FulfillmentOrder",
    "Return",
    "Customer",
    "CustomerIdentifier",
    "PointsEntry",
}


@pytest.mark.parametrize(
    "caller", ["anonymous", "other customer", "cashier elsewhere", "admin", "the customer"]
)
async def test_nodes_walks_every_type_and_shows_only_what_the_caller_may_see(
    runtime: Runtime, gql: GQL, staff_token: Any, customer_token: Any, caller: str
):
    gids, world = await _one_of_everything(runtime, staff_token)
    assert {label.split()[-1] for label in gids} == set(node_type_names())
    if caller == "anonymous":
        as_caller, expected = gql.as_(x_api_key=world.web_key), PUBLIC
    elif caller == "other customer":
        c2 = await enrol_customer(runtime, "+79161234568")
        as_caller = gql.as_(x_api_key=world.web_key, authorization=customer_token(c2))
        expected = PUBLIC
    elif caller == "cashier elsewhere":
        _, bearer = await staff_token(Role.CASHIER, [world.locations["S02"]])
        as_caller = gql.as_(x_api_key=world.pos_keys["S02"], authorization=bearer)
        expected = CASHIER_ELSEWHERE
    elif caller == "the customer":
        c1 = int(relay.GlobalID.from_id(gids["Customer"]).node_id)
        as_caller = gql.as_(x_api_key=world.web_key, authorization=customer_token(c1))
        expected = OWNER
    else:
        _, bearer = await staff_token(Role.ADMIN)
        as_caller = gql.as_(authorization=bearer)
        expected = set(gids) - OWNED_THROUGH_PARENT
    labels = list(gids)
    found = (await as_caller(NODES, {"ids": [gids[label] for label in labels]}))["nodes"]
    shown = {label for label, node in zip(labels, found, strict=True) if node is not None}
    assert sorted(shown) == sorted(expected)
    for label, node in zip(labels, found, strict=True):
        if node is not None:
            assert node == {"__typename": label.split()[-1], "id": gids[label]}
    # node(id:) goes through the same rule
    single = [(await as_caller(NODE, {"id": gids[label]}))["node"] for label in labels]
    assert single == found


RECORD = """mutation($input: InteractionsRecordInput!) { interactionsRecord(input: $input) {
  userErrors { code message } consultations { id status consultant { name email role } } } }"""
ACCEPT = """mutation($input: ConsultationAcceptInput!) { consultationAccept(input: $input) {
  userErrors { code message } consultation { status consultant { name email } } } }"""


async def test_a_customer_reaching_their_consultation_does_not_see_the_consultants_account(
    runtime: Runtime, gql: GQL
):
    from tests.api.clienteling.support import ANNA, APP_KEY, demo_store

    demo = await demo_store(runtime, gql)
    s01 = demo.locations["S01"]
    app, _ = await demo.customer(ANNA, key=APP_KEY)
    call = {"type": "CONSULTANT_REQUESTED", "locationId": s01}
    events = [{"type": "STORE_CHECK_IN", "locationId": s01, "clientEventId": "a1"}]
    asked = await app(RECORD, {"input": {"events": [*events, {**call, "clientEventId": "a2"}]}})
    consultation = asked["interactionsRecord"]["consultations"][0]
    staff, _ = await demo.staff("cashier.s01@demo.omni")
    accepted = (await staff(ACCEPT, {"input": {"consultationId": consultation["id"]}}))[
        "consultationAccept"
    ]
    assert accepted["consultation"] == {
        "status": "ACCEPTED",
        "consultant": {"name": "Елена Смирнова", "email": "cashier.s01@demo.omni"},
    }  # the consultant sees themself

    again = await app(RECORD, {"input": {"events": [{**call, "clientEventId": "a3"}]}})
    assert again["interactionsRecord"]["consultations"] == [
        {"id": consultation["id"], "status": "ACCEPTED", "consultant": None}
    ]
