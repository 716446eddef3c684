"""Customers and loyalty through GraphQL: sign-up/in, till enrolment and lookup, privacy,
points, merge, erasure."""

from __future__ import annotations

import time
from typing import Any

import pytest

from api.relay import encode_id
from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel, Role
from loyalty import qr, services
from tests.conftest import GQL

CUSTOMER_FIELDS = """id firstName lastName status email phone cardNumber
  marketingConsents { channel granted }
  loyalty { pointsBalance tier { code discountPercent } nextTier { code } spendToNextTierMinor }"""
SIGN_UP = f"""mutation($input: CustomerSignUpInput!) {{ customerSignUp(input: $input) {{
  userErrors {{ code field message }} token customer {{ {CUSTOMER_FIELDS} }} }} }}"""
SIGN_IN = """mutation($input: CustomerSignInInput!) { customerSignIn(input: $input) {
  userErrors { code field message } token customer { id } } }"""
ENROL = """mutation($input: CustomerEnrolInput!) { customerEnrol(input: $input) {
  userErrors { code field message } customer { id phone cardNumber preferredStore { code } } } }"""
LOOKUP = """query($q: String!) { customerLookup(identifier: $q) {
  userErrors { code field message } matchedBy normalized customer { id phone } } }"""
ME = f"{{ me {{ {CUSTOMER_FIELDS} }} }}"
NODE = "query($id: ID!) { node(id: $id) { ... on Customer { id phone } } }"
ADJUST = """mutation($input: PointsAdjustInput!) { pointsAdjust(input: $input) {
  userErrors { code field message } entry { id kind points reason } customer {
  loyalty { pointsBalance } } } }"""
HISTORY = """query($after: String) { me { pointsHistory(first: 2, after: $after) {
  edges { node { kind points reason } } pageInfo { hasNextPage endCursor } } } }"""
MERGE = """mutation($input: CustomerMergeInput!) { customerMerge(input: $input) {
  userErrors { code field message }
  merge { actor moved { step count } survivor { id } duplicate { id status } }
  conflicts { kind blocking } survivor { phone email loyalty { pointsBalance } } } }"""
ERASE = """mutation($input: CustomerEraseInput!) { customerErase(input: $input) {
  userErrors { code field message } erasedCustomerId identifiersRemoved pointsForfeited } }"""
QR = "mutation { customerQrTokenIssue { userErrors { code } token expiresAt } }"


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


def db_id(global_id: str) -> int:
    from strawberry import relay

    return int(relay.GlobalID.from_id(global_id).node_id)


@pytest.fixture
async def till(runtime: Runtime, make_location, staff_token) -> dict[str, Any]:
    """A cashier at a POS till in store S01."""
    store = await make_location("S01", sells_in_store=True)
    issued = await access.create_api_key(
        runtime.uow(), actor="test", name="till", channel=Channel.POS, location_id=store
    )
    staff_id, bearer = await staff_token(Role.CASHIER, [store])
    return {"x_api_key": issued.key, "authorization": bearer, "store": store, "staff": staff_id}


async def enrol(gql: GQL, till: dict[str, Any], phone: str, **extra: Any) -> dict[str, Any]:
    data = await gql.as_(x_api_key=till["x_api_key"], authorization=till["authorization"])(
        ENROL, {"input": {"phone": phone, **extra}}
    )
    payload = data["customerEnrol"]
    assert payload["userErrors"] == []
    return payload["customer"]


def as_till(gql: GQL, till: dict[str, Any]) -> GQL:
    return gql.as_(x_api_key=till["x_api_key"], authorization=till["authorization"])


async def test_sign_up_signs_in_and_me_shows_the_profile(gql: GQL):
    data = await gql(
        SIGN_UP,
        {
            "input": {
                "email": "Anna.Petrova@Example.ru",
                "password": "correct-horse-battery",
                "firstName": "Анна",
                "lastName": "Петрова",
                "phone": "8 (916) 123-45-67",
                "marketingConsents": [{"channel": "EMAIL", "granted": True}],
            }
        },
    )
    payload = data["customerSignUp"]
    assert payload["userErrors"] == []
    me = (await gql.as_(authorization=f"Bearer {payload['token']}")(ME))["me"]
    assert me == payload["customer"]
    assert (me["email"], me["phone"], me["status"]) == (
        "anna.petrova@example.ru",
        "+79161234567",
        "ACTIVE",
    )
    assert len(me["cardNumber"]) == 13
    assert me["marketingConsents"] == [
        {"channel": "EMAIL", "granted": True},
        {"channel": "SMS", "granted": False},
        {"channel": "PUSH", "granted": False},
    ]
    assert me["loyalty"] == {
        "pointsBalance": 0,
        "tier": {"code": "BASIC", "discountPercent": 0},
        "nextTier": {"code": "SILVER"},
        "spendToNextTierMinor": 3_000_000,
    }
    signed = (
        await gql(
            SIGN_IN,
            {"input": {"identifier": "+7 916 1234567", "password": "correct-horse-battery"}},
        )
    )["customerSignIn"]
    assert signed["userErrors"] == [] and signed["customer"]["id"] == me["id"]
    wrong = (
        await gql(SIGN_IN, {"input": {"identifier": "+7 916 1234567", "password": "nope-nope"}})
    )["customerSignIn"]
    assert wrong["token"] is None
    assert [e["code"] for e in wrong["userErrors"]] == ["INVALID_CREDENTIALS"]


async def test_a_taken_email_or_phone_gets_one_answer_that_does_not_say_which(
    gql: GQL, runtime: Runtime, till
):
    """Sign-up must not tell a stranger which e-mails or phones have accounts: a taken e-mail,
    a taken phone (enrolled at a till) and both get the same answer, naming no field."""
    await enrol(gql, till, "+7 916 555-44-33")
    variables = {
        "input": {"email": "x@example.ru", "password": "correct-horse-battery", "firstName": "X"}
    }
    await gql(SIGN_UP, variables)
    answers = [
        (await gql(SIGN_UP, {"input": {**variables["input"], **extra}}))["customerSignUp"]
        for extra in (
            {},  # the e-mail is taken
            {"email": "free@example.ru", "phone": "8 916 555 44 33"},  # the phone is taken
            {"phone": "+79165554433"},  # both are
        )
    ]
    expected = {
        "userErrors": [
            {
                "code": "IDENTIFIER_TAKEN",
                "field": None,
                "message": services.customers.SIGN_UP_TAKEN,
            }
        ],
        "token": None,
        "customer": None,
    }
    assert answers == [expected] * 3
    assert "sign in with your e-mail or phone" in services.customers.SIGN_UP_TAKEN
    async with runtime.engine.connect() as conn:
        from sqlalchemy import text

        assert await conn.scalar(text("SELECT count(*) FROM customers")) == 2
        assert (
            await conn.scalar(
                text("SELECT count(*) FROM customer_identifiers WHERE value = 'free@example.ru'")
            )
            == 0
        )


@pytest.mark.parametrize(
    "typed", ["8 (916) 123-45-67", "+7 916 1234567", "89161234567", "+7 (916) 123 45 67"]
)
async def test_the_till_enrols_by_phone_and_finds_it_typed_any_way(gql: GQL, till, typed):
    customer = await enrol(gql, till, "8 916 123 45 67")
    assert customer["phone"] == "+79161234567"
    assert customer["preferredStore"] == {"code": "S01"}
    found = (await as_till(gql, till)(LOOKUP, {"q": typed}))["customerLookup"]
    assert found == {
        "userErrors": [],
        "matchedBy": "PHONE",
        "normalized": "+79161234567",
        "customer": {"id": customer["id"], "phone": "+79161234567"},
    }
    by_card = (await as_till(gql, till)(LOOKUP, {"q": customer["cardNumber"]}))["customerLookup"]
    assert (by_card["matchedBy"], by_card["customer"]["id"]) == ("CARD", customer["id"])


async def test_the_till_scans_the_apps_qr_code_and_an_expired_one_is_a_clear_error(
    gql: GQL, till, customer_token, runtime: Runtime
):
    customer = await enrol(gql, till, "+7 916 555-00-01")
    me = gql.as_(authorization=customer_token(db_id(customer["id"])))
    issued = (await me(QR))["customerQrTokenIssue"]
    found = (await as_till(gql, till)(LOOKUP, {"q": issued["token"]}))["customerLookup"]
    assert (found["matchedBy"], found["customer"]["id"]) == ("QR_TOKEN", customer["id"])
    expired = qr.issue(
        secret=runtime.secret,
        customer_id=db_id(customer["id"]),
        generation=1,
        now=int(time.time()) - 600,
        ttl_seconds=300,
    )
    result = (await as_till(gql, till)(LOOKUP, {"q": expired}))["customerLookup"]
    assert result["customer"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("QR_TOKEN_EXPIRED", "identifier")
    ]
    assert "refresh the code in the app" in result["userErrors"][0]["message"]
    rotated = (await me(QR))["customerQrTokenIssue"]["token"]
    stale = (await as_till(gql, till)(LOOKUP, {"q": issued["token"]}))["customerLookup"]
    assert [e["code"] for e in stale["userErrors"]] == ["QR_TOKEN_REPLACED"]
    fresh = (await as_till(gql, till)(LOOKUP, {"q": rotated}))["customerLookup"]
    assert fresh["customer"]["id"] == customer["id"]


async def test_customers_see_only_themselves_and_anonymous_callers_nothing(
    gql: GQL, till, customer_token, staff_token
):
    a = await enrol(gql, till, "+7 916 555-00-02")
    b = await enrol(gql, till, "+7 916 555-00-03")
    as_a = gql.as_(authorization=customer_token(db_id(a["id"])))
    assert (await as_a(NODE, {"id": b["id"]}))["node"] is None
    assert (await as_a(NODE, {"id": a["id"]}))["node"] == {"id": a["id"], "phone": a["phone"]}
    assert (await as_a(ME))["me"]["id"] == a["id"]
    for caller in (as_a, gql):
        denied = (await caller.raw(LOOKUP, {"q": "+7 916 555-00-03"})).json()
        assert denied["data"] is None
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous_me = (await gql.raw(ME)).json()
    assert anonymous_me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql(NODE, {"id": a["id"]}))["node"] is None
    _, merch = await staff_token(Role.MERCHANDISER)
    assert (await gql.as_(authorization=merch)(NODE, {"id": a["id"]}))["node"] is None
    # the cashier may view the profile of the customer in front of them
    assert (await as_till(gql, till)(NODE, {"id": b["id"]}))["node"]["phone"] == b["phone"]


CUSTOMERS = """query($after: String) { customers(first: 2, after: $after) {
  edges { node { id phone loyalty { pointsBalance tier { code } } } }
  pageInfo { hasNextPage endCursor } } }"""


async def test_only_admins_list_customers_a_page_at_a_time(
    gql: GQL, till, staff_token, customer_token
):
    ids = [(await enrol(gql, till, f"+7 916 555-10-0{i}"))["id"] for i in range(3)]
    _, manager = await staff_token(Role.STORE_MANAGER, [till["store"]])
    for headers in (
        {"authorization": till["authorization"]},
        {"authorization": manager},
        {"authorization": customer_token(db_id(ids[0]))},
        {},
    ):
        denied = (await gql.as_(**headers).raw(CUSTOMERS)).json()
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, admin = await staff_token(Role.ADMIN)
    first = (await gql.as_(authorization=admin)(CUSTOMERS))["customers"]
    assert [e["node"]["id"] for e in first["edges"]] == ids[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql.as_(authorization=admin)(CUSTOMERS, {"after": first["pageInfo"]["endCursor"]})
    )["customers"]
    assert [e["node"]["id"] for e in rest["edges"]] == ids[2:]
    too_many = (
        await gql.as_(authorization=admin).raw("{ customers(first: 101) { edges { cursor } } }")
    ).json()
    assert too_many["errors"][0]["extensions"]["code"] == "PAGE_SIZE"


async def test_listing_customers_costs_the_same_queries_for_2_or_20(
    gql: GQL, till, staff_token, count_queries
):
    _, admin = await staff_token(Role.ADMIN)
    query = """{ customers(first: 50) { edges { node { id phone email cardNumber
      identifiers { kind } addresses { city } marketingConsents { granted }
      loyalty { pointsBalance tier { code } } preferredStore { code } } } } }"""
    counts = []
    for n in (2, 20):
        for i in range(len(counts) and 2, n):
            await enrol(gql, till, f"+7 916 556-00-{i:02d}")
        count_queries.statements.clear()
        data = await gql.as_(authorization=admin)(query)
        assert len(data["customers"]["edges"]) == n
        # the outbox relay may publish the enrolments' events meanwhile: not this request's
        counts.append(
            sum(
                1
                for s in count_queries.statements
                if "outbox_events" not in s and "advisory" not in s
            )
        )
    assert counts[0] == counts[1]


async def test_points_adjustment_is_idempotent_and_history_pages_newest_first(
    gql: GQL, till, staff_token, customer_token, runtime: Runtime
):
    customer = await enrol(gql, till, "+7 916 555-00-04")
    _, manager = await staff_token(Role.STORE_MANAGER, [till["store"]])
    as_manager = gql.as_(authorization=manager)
    variables = {
        "input": {
            "customerId": customer["id"],
            "points": 500,
            "reason": "goodwill: late delivery",
            "idempotencyKey": "adj-1",
        }
    }
    first = (await as_manager(ADJUST, variables))["pointsAdjust"]
    again = (await as_manager(ADJUST, variables))["pointsAdjust"]
    assert first == again
    assert first["entry"]["points"] == 500 and first["customer"]["loyalty"]["pointsBalance"] == 500
    refused = (await as_till(gql, till).raw(ADJUST, variables)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    overdraw = (
        await as_manager(
            ADJUST,
            {"input": {"customerId": customer["id"], "points": -501, "reason": "mistake"}},
        )
    )["pointsAdjust"]
    assert [(e["code"], e["field"]) for e in overdraw["userErrors"]] == [
        ("INSUFFICIENT_POINTS", "points")
    ]
    cid = db_id(customer["id"])
    await services.redeem_points(runtime.uow(), cid, points=120, reference="pos:1", actor="pos")
    await services.redeem_points(runtime.uow(), cid, points=80, reference="pos:2", actor="pos")
    me = gql.as_(authorization=customer_token(cid))
    page1 = (await me(HISTORY))["me"]["pointsHistory"]
    assert [(e["node"]["kind"], e["node"]["points"]) for e in page1["edges"]] == [
        ("REDEEM", -80),
        ("REDEEM", -120),
    ]
    page2 = (await me(HISTORY, {"after": page1["pageInfo"]["endCursor"]}))["me"]["pointsHistory"]
    assert [(e["node"]["kind"], e["node"]["points"]) for e in page2["edges"]] == [("ADJUST", 500)]
    assert page2["pageInfo"]["hasNextPage"] is False
    balance = (await me(ME))["me"]["loyalty"]["pointsBalance"]
    assert balance == 300


async def test_a_store_manager_merges_duplicates_once_and_old_tokens_follow(
    gql: GQL, till, staff_token, customer_token
):
    online = (
        await gql(
            SIGN_UP,
            {
                "input": {
                    "email": "olga@example.ru",
                    "password": "correct-horse-battery",
                    "firstName": "Ольга",
                }
            },
        )
    )["customerSignUp"]["customer"]
    at_till = await enrol(gql, till, "+7 916 555-00-05")
    _, manager = await staff_token(Role.STORE_MANAGER, [till["store"]])
    as_manager = gql.as_(authorization=manager)
    await as_manager(
        ADJUST, {"input": {"customerId": at_till["id"], "points": 70, "reason": "welcome"}}
    )
    variables = {
        "input": {
            "survivorId": online["id"],
            "duplicateId": at_till["id"],
            "idempotencyKey": "merge-1",
        }
    }
    merged = (await as_manager(MERGE, variables))["customerMerge"]
    assert merged["userErrors"] == []
    assert merged["survivor"] == {
        "phone": "+79165550005",
        "email": "olga@example.ru",
        "loyalty": {"pointsBalance": 70},
    }
    moved = {m["step"]: m["count"] for m in merged["merge"]["moved"]}
    assert (moved["identifiers"], moved["points"], moved["points_entries"]) == (2, 70, 1)
    assert merged["merge"]["duplicate"] == {"id": at_till["id"], "status": "MERGED"}
    replay = (await as_manager(MERGE, variables))["customerMerge"]
    assert replay == merged
    # the same merge without the key: reported as done, nothing moves twice
    repeat = (
        await as_manager(
            MERGE, {"input": {"survivorId": online["id"], "duplicateId": at_till["id"]}}
        )
    )["customerMerge"]
    assert repeat["survivor"]["loyalty"]["pointsBalance"] == 70
    # the duplicate's app session now acts for the survivor
    old_token = gql.as_(authorization=customer_token(db_id(at_till["id"])))
    assert (await old_token(ME))["me"]["id"] == online["id"]
    denied = (await as_till(gql, till).raw(MERGE, variables)).json()
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_customer_erases_themself_and_their_token_stops_working(
    gql: GQL, till, customer_token, staff_token, runtime: Runtime
):
    customer = await enrol(gql, till, "+7 916 555-00-06")
    other = await enrol(gql, till, "+7 916 555-00-07")
    cid = db_id(customer["id"])
    await services.adjust_points(runtime.uow(), cid, points=40, reason="gift", actor="staff:1")
    me = gql.as_(authorization=customer_token(cid))
    not_yours = (await me(ERASE, {"input": {"customerId": other["id"]}}))["customerErase"]
    assert [e["code"] for e in not_yours["userErrors"]] == ["FORBIDDEN"]
    erased = (await me(ERASE, {"input": {}}))["customerErase"]
    assert erased == {
        "userErrors": [],
        "erasedCustomerId": customer["id"],
        "identifiersRemoved": 2,
        "pointsForfeited": 40,
    }
    after = await me.raw(ME)
    assert after.status_code == 401 and after.json()["errors"][0]["extensions"]["code"] == (
        "INVALID_TOKEN"
    )
    lookup = (await as_till(gql, till)(LOOKUP, {"q": "+7 916 555-00-06"}))["customerLookup"]
    assert lookup["customer"] is None
    _, admin = await staff_token(Role.ADMIN)
    history = (
        await gql.as_(authorization=admin)(
            """query($id: ID!) { node(id: $id) { ... on Customer { status firstName phone
            pointsHistory { edges { node { kind points } } } } } }""",
            {"id": customer["id"]},
        )
    )["node"]
    assert history == {
        "status": "ERASED",
        "firstName": "",
        "phone": None,
        "pointsHistory": {
            "edges": [
                {"node": {"kind": "ADJUST", "points": -40}},
                {"node": {"kind": "ADJUST", "points": 40}},
            ]
        },
    }
