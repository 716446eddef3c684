"""Bad input is a userError (or BAD_USER_INPUT), never INTERNAL; refused requests change nothing.

One guard at the edge (api/input_guard.py) checks every argument before execution: NUL and
lone surrogates in any string, length caps, number bounds, finite decimals. Cursors are checked
per element type where they are decoded (api/relay.py).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import structlog
from sqlalchemy import text

from api import errors
from api.relay import encode_id
from api.runtime import Runtime
from domain.access.model import Role
from tests.conftest import GQL
from tests.support.orders import enrol_customer, make_world

NUL = "ab\x00cd"
SURROGATE = "ab\ud800cd"
HOSTILE = [pytest.param(NUL, id="nul"), pytest.param(SURROGATE, id="lone-surrogate")]

CART_CREATE = """mutation { cartCreate(input: {}) { userErrors { code } cart { id token } } }"""


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


BODY_REFUSED = "The request body is not valid JSON (no low surrogate in string"


async def body_or_refused(
    gql: GQL, query: str, variables: dict[str, Any], bad: str
) -> dict[str, Any] | None:
    """The JSON answer; None when ``bad`` is the lone surrogate, which the request's JSON
    parser refuses first (HTTP 400 with a message), before any GraphQL work."""
    if bad != SURROGATE:
        return await body(gql, query, variables)
    response = await gql.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={**gql.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.text.startswith(BODY_REFUSED), response.text
    return None


async def body(gql: GQL, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Posts as a browser would: JSON with \\u escapes, so a lone surrogate arrives intact."""
    response = await gql.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={**gql.headers, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors", [])]


async def count(runtime: Runtime, sql: str) -> Any:
    async with runtime.engine.connect() as conn:
        return (await conn.execute(text(sql))).scalar_one()


@pytest.fixture
async def admin(gql: GQL, staff_token: Any) -> GQL:
    _, bearer = await staff_token(Role.ADMIN)
    return gql.as_(authorization=bearer)


# --- queries: a top-level BAD_USER_INPUT naming the argument, and no SQL at all -----------

QUERY_CASES = [
    ("query($v: String!) { cart(token: $v) { id } }", "cart", "token"),
    ("query($v: String!) { order(number: $v) { id } }", "order", "number"),
    ("query($v: String!) { product(slug: $v) { id } }", "product", "slug"),
    ("query($v: String!) { variant(sku: $v) { id } }", "variant", "sku"),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(("query", "root", "arg"), QUERY_CASES, ids=[c[1] for c in QUERY_CASES])
async def test_hostile_strings_in_query_arguments_are_bad_user_input_and_run_no_sql(
    gql: GQL, count_queries: Any, query: str, root: str, arg: str, bad: str
) -> None:
    since = len(count_queries.tagged)
    result = await body_or_refused(gql, query, {"v": bad}, bad)
    if result is not None:
        assert result["data"] == {root: None}
        assert codes(result) == ["BAD_USER_INPUT"]
        assert result["errors"][0]["extensions"]["fields"] == [arg]
        assert result["errors"][0]["path"] == [root]
        assert result["errors"][0]["message"].startswith(f"`{arg}` contains ")
    assert count_queries.in_requests(since) == []


# --- sign-in: userErrors on the field, nothing looked up ----------------------------------

SIGN_IN_CASES = [
    (
        """mutation($v: String!) { customerSignIn(input: {identifier: $v, password: "secret-pw"})
        { userErrors { code field message } token } }""",
        "customerSignIn",
        "identifier",
    ),
    (
        """mutation($v: String!) { staffSignIn(input: {email: $v, password: "secret-pw"})
        { userErrors { code field message } token } }""",
        "staffSignIn",
        "email",
    ),
    (
        """mutation($v: String!) { customerSignIn(input: {identifier: "a@b.ru",
        password: "secret-pw", cartToken: $v}) { userErrors { code field message } token } }""",
        "customerSignIn",
        "cartToken",
    ),
]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(
    ("query", "root", "field"), SIGN_IN_CASES, ids=["customer-email", "staff-email", "cart-token"]
)
async def test_hostile_strings_in_sign_in_are_user_errors_and_run_no_sql(
    gql: GQL, count_queries: Any, query: str, root: str, field: str, bad: str
) -> None:
    since = len(count_queries.tagged)
    result = await body_or_refused(gql, query, {"v": bad}, bad)
    if result is not None:
        assert "errors" not in result, result
        payload = result["data"][root]
        assert payload["token"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)]
        assert payload["userErrors"][0]["message"].startswith(f"`{field}` contains ")
    assert count_queries.in_requests(since) == []


# --- mutations on real data: userErrors, nothing changed ----------------------------------


@pytest.mark.parametrize("bad", HOSTILE)
async def test_hostile_cart_token_sku_and_voucher_code_change_no_cart(
    runtime: Runtime, gql: GQL, bad: str
) -> None:
    await make_world(runtime, stock={("HP-100", "WH"): 5})
    cart = (await gql(CART_CREATE))["cartCreate"]["cart"]
    lines_add = """mutation($input: CartLinesAddInput!) { cartLinesAdd(input: $input) {
      userErrors { code field message } cart { id } shortfalls { requested } } }"""
    voucher = """mutation($input: CartVoucherInput!) { cartApplyVoucher(input: $input) {
      userErrors { code field message } cart { id } } }"""
    cases = [
        (lines_add, {"token": bad, "lines": [{"sku": "HP-100", "quantity": 1}]}, "token"),
        (
            lines_add,
            {"token": cart["token"], "lines": [{"sku": bad, "quantity": 1}]},
            "lines[0].sku",
        ),
        (voucher, {"token": cart["token"], "code": bad}, "code"),
    ]
    for query, input_, field in cases:
        result = await body_or_refused(gql, query, {"input": input_}, bad)
        if result is not None:
            assert "errors" not in result, result
            payload = next(iter(result["data"].values()))
            assert payload["cart"] is None
            assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)]
            assert payload.get("shortfalls", []) == []
    assert await count(runtime, "SELECT count(*) FROM cart_lines") == 0
    assert await count(runtime, "SELECT count(*) FROM stock_holds") == 0
    assert await count(runtime, "SELECT voucher_codes::text FROM carts") == "[]"


@pytest.mark.parametrize("bad", HOSTILE)
async def test_hostile_idempotency_key_receives_no_stock(
    runtime: Runtime, admin: GQL, bad: str
) -> None:
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    receive = """mutation($input: StockReceiveInput!) { stockReceive(input: $input) {
      userErrors { code field message } level { id } movement { id } } }"""
    movements = await count(runtime, "SELECT count(*) FROM stock_movements")
    result = await body_or_refused(
        admin,
        receive,
        {
            "input": {
                "sku": "HP-100",
                "locationId": gid("Location", world.locations["WH"]),
                "quantity": 3,
                "documentRef": "PO-7",
                "idempotencyKey": bad,
            }
        },
        bad,
    )
    if result is not None:
        assert "errors" not in result, result
        payload = result["data"]["stockReceive"]
        assert payload["level"] is None and payload["movement"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("INVALID", "idempotencyKey")
        ]
    assert await count(runtime, "SELECT count(*) FROM stock_movements") == movements
    assert await count(runtime, "SELECT sum(on_hand) FROM stock_levels") == 5
    assert await count(runtime, "SELECT count(*) FROM idempotency_keys") == 0


# --- numbers --------------------------------------------------------------------------------

PROMO = """mutation($input: PromotionCreateInput!) { promotionCreate(input: $input) {
  userErrors { code field message } promotion { id } } }"""
TAX = """mutation($input: TaxRateSetInput!) { taxRateSet(input: $input) {
  userErrors { code field message } ok } }"""


@pytest.mark.parametrize("number", ["Infinity", "1e999", "NaN", "-Infinity"])
async def test_non_finite_percent_and_tax_rate_are_user_errors(
    runtime: Runtime, admin: GQL, number: str
) -> None:
    promo = await body(
        admin,
        PROMO,
        {"input": {"name": "Sale", "kind": "ORDER_PERCENT", "percent": number}},
    )
    assert "errors" not in promo, promo
    payload = promo["data"]["promotionCreate"]
    assert payload["promotion"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", "percent")]
    assert payload["userErrors"][0]["message"].startswith("`percent` must be a finite number")
    tax = await body(
        admin, TAX, {"input": {"taxClass": "standard", "country": "RU", "rate": number}}
    )
    assert "errors" not in tax, tax
    assert tax["data"]["taxRateSet"]["ok"] is False
    assert [(e["code"], e["field"]) for e in tax["data"]["taxRateSet"]["userErrors"]] == [
        ("INVALID", "rate")
    ]
    assert await count(runtime, "SELECT count(*) FROM promotions") == 0
    assert await count(runtime, "SELECT count(*) FROM tax_rates") == 0


async def test_points_adjust_of_int_max_is_refused_and_balance_unchanged(
    runtime: Runtime, admin: GQL
) -> None:
    cid = await enrol_customer(runtime)
    adjust = """mutation($input: PointsAdjustInput!) { pointsAdjust(input: $input) {
      userErrors { code field message } entry { id } customer { id } } }"""
    welcome = {"customerId": gid("Customer", cid), "points": 300, "reason": "welcome"}
    assert (await admin(adjust, {"input": welcome}))["pointsAdjust"]["userErrors"] == []
    result = await body(
        admin,
        adjust,
        {"input": {"customerId": gid("Customer", cid), "points": 2_147_483_647, "reason": "x"}},
    )
    assert "errors" not in result, result
    payload = result["data"]["pointsAdjust"]
    assert payload["entry"] is None and payload["customer"] is None
    assert payload["userErrors"] == [
        {
            "code": "INVALID",
            "field": "points",
            "message": "`points` must be between -1000000 and 1000000; got 2147483647.",
        }
    ]
    assert await count(runtime, "SELECT sum(points) FROM points_entries") == 300
    assert await count(runtime, "SELECT count(*) FROM points_entries") == 1


# --- length caps ----------------------------------------------------------------------------


async def test_a_250_kb_address_name_is_refused_and_nothing_stored(
    runtime: Runtime, gql: GQL
) -> None:
    await make_world(runtime, stock={("HP-100", "WH"): 5})
    cart = (await gql(CART_CREATE))["cartCreate"]["cart"]
    shipping = """mutation($input: CartSetShippingInput!) { cartSetShipping(input: $input) {
      userErrors { code field message } cart { id } shortfalls { requested } } }"""
    result = await body(
        gql,
        shipping,
        {
            "input": {
                "token": cart["token"],
                "shippingMethod": "COURIER",
                "address": {"name": "N" * 250_000, "line1": "Tverskaya 1", "city": "Moscow"},
            }
        },
    )
    assert "errors" not in result, result
    payload = result["data"]["cartSetShipping"]
    assert payload["cart"] is None
    assert payload["userErrors"] == [
        {
            "code": "INVALID",
            "field": "address.name",
            "message": "`address.name` is 250000 characters long; send at most 1000.",
        }
    ]
    assert await count(runtime, "SELECT count(*) FROM carts WHERE ship_address IS NOT NULL") == 0


# --- cursors --------------------------------------------------------------------------------


def forged(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "root", "key"),
    [
        ("query($a: String) { locations(after: $a) { nodes { code } } }", "locations", [7]),
        ("query($a: String) { apiKeys(after: $a) { nodes { name } } }", "apiKeys", ["x"]),
        ("query($a: String) { apiKeys(after: $a) { nodes { name } } }", "apiKeys", [2**70]),
        ("query($a: String) { promotions(after: $a) { nodes { id } } }", "promotions", [True]),
        ("query($a: String) { products(after: $a) { nodes { id } } }", "products", [1, "x"]),
        (
            "query($a: String) { products(after: $a, sort: NAME) { nodes { id } } }",
            "products",
            ["a\x00", 1],
        ),
        ("query($a: String) { orders(after: $a) { nodes { id } } }", "orders", ["nope", 1]),
        (
            "query($a: String) { orders(after: $a) { nodes { id } } }",
            "orders",
            ["2024-01-01T00:00:00", 1],
        ),
    ],
    ids=[
        "location-code-int",
        "id-str",
        "id-huge",
        "id-bool",
        "product-swapped",
        "product-nul",
        "order-not-a-time",
        "order-naive-time",
    ],
)
async def test_a_forged_cursor_of_the_right_arity_is_a_user_error(
    runtime: Runtime, admin: GQL, query: str, root: str, key: list[Any]
) -> None:
    await make_world(runtime)
    result = await body(admin, query, {"a": forged(key)})
    assert result["data"] is None
    assert codes(result) == ["INVALID"]
    assert result["errors"][0]["message"].startswith("The `after` cursor is not one this API")


# --- logging --------------------------------------------------------------------------------


async def test_an_expected_error_is_logged_as_one_line_without_a_traceback(
    gql: GQL, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with structlog.testing.capture_logs() as logs:
        # The app's logger is cached at first use; a fresh one goes through the capture.
        monkeypatch.setattr(errors, "log", structlog.get_logger("api.errors"))
        result = await body(gql, "query($v: String!) { cart(token: $v) { id } }", {"v": NUL})
    assert codes(result) == ["BAD_USER_INPUT"]
    assert logs == [
        {
            "event": "graphql.client_error",
            "log_level": "info",
            "code": "BAD_USER_INPUT",
            "message": result["errors"][0]["message"],
            "path": ["cart"],
        }
    ]
    # strawberry's own error log (with the traceback) stays silent for expected errors.
    assert [r for r in caplog.records if r.name.startswith("strawberry")] == []


# --- ids --------------------------------------------------------------------------------------


def raw_gid(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


@pytest.mark.parametrize("node_id", ["9" * 25, "-1", "0"])
async def test_an_id_beyond_the_database_range_is_not_found_or_a_user_error(
    runtime: Runtime, admin: GQL, node_id: str
) -> None:
    node = await body(
        admin, "query($id: ID!) { node(id: $id) { id } }", {"id": raw_gid("Customer", node_id)}
    )
    assert "INTERNAL" not in codes(node)
    assert node["data"] == {"node": None}
    adjust = """mutation($input: PointsAdjustInput!) { pointsAdjust(input: $input) {
      userErrors { code field message } entry { id } } }"""
    result = await body(
        admin,
        adjust,
        {"input": {"customerId": raw_gid("Customer", node_id), "points": 5, "reason": "x"}},
    )
    assert "errors" not in result, result
    assert [(e["code"], e["field"]) for e in result["data"]["pointsAdjust"]["userErrors"]] == [
        ("INVALID", "customerId")
    ]
    assert await count(runtime, "SELECT count(*) FROM points_entries") == 0


async def test_a_value_the_database_refuses_as_data_is_a_user_error_not_internal(
    runtime: Runtime, admin: GQL
) -> None:
    # Under the edge guard's 1,000-character cap but over the column's 100: PostgreSQL refuses
    # it (SQLSTATE 22001), and the request still gets a userError and changes nothing.
    create = """mutation($input: LocationCreateInput!) { locationCreate(input: $input) {
      userErrors { code field message } location { id } } }"""
    result = await body(
        admin,
        create,
        {"input": {"code": "S09", "name": "Store", "kind": "STORE", "city": "C" * 500}},
    )
    assert "errors" not in result, result
    payload = result["data"]["locationCreate"]
    assert payload["location"] is None
    assert payload["userErrors"] == [
        {
            "code": "INVALID",
            "field": None,
            "message": "A value in the request was refused (value too long for type character "
            "varying(100)); shorten or correct it and send again.",
        }
    ]
    assert await count(runtime, "SELECT count(*) FROM locations") == 0
