"""Roles: each allowed and denied; store scoping; API keys and tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel, PrincipalKind, Role
from domain.access.tables import ApiKeyRow, StaffUserRow
from domain.access.tokens import issue_token
from tests.conftest import GQL

API_KEYS = "{ apiKeys(first: 5) { edges { node { name channel } } } }"
STAFF = "{ staffUsers(first: 10) { edges { node { email } } } }"
CREATE_KEY = """mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) {
  userErrors { code field message } key apiKey { name channel location { code } } } }"""
CREATE_STAFF = """mutation($input: StaffUserCreateInput!) { staffUserCreate(input: $input) {
  userErrors { code field message } staffUser { email role } } }"""


def gid(type_name: str, db_id: int) -> str:
    from api.relay import encode_id

    return str(encode_id(type_name, db_id))


async def caller(role: Role, staff_token, customer_token, location_ids=None) -> dict[str, str]:
    if role is Role.ANONYMOUS:
        return {}
    if role is Role.CUSTOMER:
        return {"authorization": customer_token(42)}
    _, bearer = await staff_token(role, location_ids)
    return {"authorization": bearer}


async def count(runtime: Runtime, table) -> int:
    async with runtime.session_factory() as s:
        return int(await s.scalar(select(func.count()).select_from(table)))


@pytest.mark.parametrize(
    "role,allowed",
    [
        (Role.ADMIN, True),
        (Role.MERCHANDISER, False),
        (Role.STORE_MANAGER, False),
        (Role.CASHIER, False),
        (Role.WAREHOUSE, False),
        (Role.CUSTOMER, False),
        (Role.ANONYMOUS, False),
    ],
)
async def test_only_admins_list_and_issue_api_keys(
    role, allowed, runtime, gql: GQL, staff_token, customer_token, make_location
):
    store = await make_location("S01")
    headers = await caller(role, staff_token, customer_token, [store])
    listed = (await gql.as_(**headers).raw(API_KEYS)).json()
    created = (
        await gql.as_(**headers).raw(
            CREATE_KEY,
            {"input": {"name": "till 2", "channel": "POS", "locationId": gid("Location", store)}},
        )
    ).json()
    if allowed:
        assert listed == {"data": {"apiKeys": {"edges": []}}}
        payload = created["data"]["apiKeyCreate"]
        assert payload["userErrors"] == []
        assert payload["apiKey"] == {
            "name": "till 2",
            "channel": "POS",
            "location": {"code": "S01"},
        }
        assert payload["key"].startswith("ock_")
        assert await count(runtime, ApiKeyRow) == 1
    else:
        assert listed["data"] is None
        assert listed["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
        assert listed["errors"][0]["message"].startswith("Not allowed: this needs one of the roles")
        assert created["data"] is None
        assert created["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
        assert await count(runtime, ApiKeyRow) == 0


@pytest.mark.parametrize(
    "role,allowed",
    [
        (Role.ADMIN, True),
        (Role.STORE_MANAGER, True),
        (Role.MERCHANDISER, False),
        (Role.CASHIER, False),
        (Role.WAREHOUSE, False),
        (Role.CUSTOMER, False),
        (Role.ANONYMOUS, False),
    ],
)
async def test_staff_lists_are_for_admins_and_store_managers(
    role, allowed, gql: GQL, staff_token, customer_token, make_location
):
    store = await make_location("S01")
    headers = await caller(role, staff_token, customer_token, [store])
    body = (await gql.as_(**headers).raw(STAFF)).json()
    if allowed:
        emails = [e["node"]["email"] for e in body["data"]["staffUsers"]["edges"]]
        assert emails == [f"{role.value.lower()}1@test.omni"]
    else:
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_store_manager_sees_and_creates_staff_only_in_their_own_store(
    runtime, gql: GQL, staff_token, make_location
):
    s1, s2 = await make_location("S01"), await make_location("S02")
    _, manager = await staff_token(Role.STORE_MANAGER, [s1])
    await staff_token(Role.CASHIER, [s2])
    as_manager = gql.as_(authorization=manager)
    listed = await as_manager(STAFF)
    assert [e["node"]["email"] for e in listed["staffUsers"]["edges"]] == [
        "store_manager1@test.omni"
    ]
    other = (
        await as_manager.raw(
            "query($l: ID) { staffUsers(locationId: $l) { edges { node { email } } } }",
            {"l": gid("Location", s2)},
        )
    ).json()
    assert other["data"] is None
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    before = await count(runtime, StaffUserRow)
    base = {"email": "c@omni.test", "name": "C", "password": "long-enough-pass", "role": "CASHIER"}
    denied = await as_manager(
        CREATE_STAFF, {"input": {**base, "locationIds": [gid("Location", s2)]}}
    )
    assert denied["staffUserCreate"] == {
        "userErrors": [
            {
                "code": "FORBIDDEN",
                "field": "locationIds",
                "message": f"You do not manage location(s) [{s2}].",
            }
        ],
        "staffUser": None,
    }
    not_cashier = await as_manager(
        CREATE_STAFF,
        {"input": {**base, "role": "MERCHANDISER", "locationIds": [gid("Location", s1)]}},
    )
    assert not_cashier["staffUserCreate"]["userErrors"] == [
        {
            "code": "FORBIDDEN",
            "field": "role",
            "message": "A store manager can create cashiers only; ask an admin.",
        }
    ]
    assert await count(runtime, StaffUserRow) == before
    ok = await as_manager(CREATE_STAFF, {"input": {**base, "locationIds": [gid("Location", s1)]}})
    assert ok["staffUserCreate"] == {
        "userErrors": [],
        "staffUser": {"email": "c@omni.test", "role": "CASHIER"},
    }


async def test_bad_staff_input_lists_every_problem_and_writes_nothing(
    runtime, gql: GQL, staff_token
):
    _, admin = await staff_token(Role.ADMIN)
    before = await count(runtime, StaffUserRow)
    data = await gql.as_(authorization=admin)(
        CREATE_STAFF,
        {"input": {"email": "not-an-email", "name": " ", "password": "short", "role": "CASHIER"}},
    )
    assert data["staffUserCreate"]["userErrors"] == [
        {"code": "INVALID", "field": "email", "message": "'not-an-email' is not an email address."},
        {"code": "INVALID", "field": "name", "message": "Give the staff member's name."},
        {
            "code": "INVALID",
            "field": "password",
            "message": "The password needs at least 10 characters.",
        },
        {
            "code": "INVALID",
            "field": "locationIds",
            "message": "A CASHIER works at one or more stores; give locationIds.",
        },
    ]
    assert await count(runtime, StaffUserRow) == before


async def test_sign_in_returns_a_token_that_identifies_the_staff_member(
    runtime, gql: GQL, make_location
):
    store = await make_location("S01")
    await access.create_staff_user(
        runtime.uow(),
        actor=None,
        email="kassa@omni.test",
        name="Касса",
        password="correct-horse",
        role=Role.CASHIER,
        location_ids=[store],
    )
    doc = """mutation($e: String!, $p: String!) { staffSignIn(input: {email: $e, password: $p}) {
      userErrors { code field message } token staffUser { email } } }"""
    wrong = await gql(doc, {"e": "kassa@omni.test", "p": "wrong-password"})
    assert wrong["staffSignIn"] == {
        "userErrors": [
            {
                "code": "INVALID_CREDENTIALS",
                "field": "password",
                "message": "Email or password is wrong.",
            }
        ],
        "token": None,
        "staffUser": None,
    }
    unknown = await gql(doc, {"e": "nobody@omni.test", "p": "correct-horse"})
    assert unknown["staffSignIn"]["userErrors"] == wrong["staffSignIn"]["userErrors"]
    ok = await gql(doc, {"e": "KASSA@omni.test", "p": "correct-horse"})
    token = ok["staffSignIn"]["token"]
    viewer = await gql.as_(authorization=f"Bearer {token}")(
        "{ viewer { kind role locations { code } staffUser { email } } }"
    )
    assert viewer["viewer"] == {
        "kind": "STAFF",
        "role": "CASHIER",
        "locations": [{"code": "S01"}],
        "staffUser": {"email": "kassa@omni.test"},
    }


async def test_a_pos_key_names_its_channel_and_store(runtime, gql: GQL, make_location):
    store = await make_location("S07")
    issued = await access.create_api_key(
        runtime.uow(), actor="t", name="till", channel=Channel.POS, location_id=store
    )
    data = await gql.as_(x_api_key=issued.key)(
        "{ viewer { kind role channel clientLocation { code } } }"
    )
    assert data["viewer"] == {
        "kind": "ANONYMOUS",
        "role": "ANONYMOUS",
        "channel": "POS",
        "clientLocation": {"code": "S07"},
    }


async def test_a_customer_token_is_a_customer(gql: GQL, customer_token):
    data = await gql.as_(authorization=customer_token(5))("{ viewer { kind role channel } }")
    assert data["viewer"] == {"kind": "CUSTOMER", "role": "CUSTOMER", "channel": "WEB"}


async def test_bad_credentials_are_refused_with_401_and_a_clear_message(runtime, gql: GQL):
    issued = await access.create_api_key(
        runtime.uow(), actor="t", name="web", channel=Channel.WEB, location_id=None
    )
    cases = {
        "x-api-key": "ock_nope.nope",
        "authorization": "Bearer not-a-jwt",
    }
    for header, value in cases.items():
        r = await gql.as_(**{header.replace("-", "_"): value}).raw("{ viewer { role } }")
        assert r.status_code == 401
    expired, _ = issue_token(
        secret=runtime.secret,
        kind=PrincipalKind.STAFF,
        subject_id=1,
        role=Role.ADMIN,
        ttl_seconds=-10,
    )
    r = await gql.as_(authorization=f"Bearer {expired}").raw("{ viewer { role } }")
    assert r.status_code == 401
    assert r.json() == {
        "errors": [
            {
                "message": "Your sign-in has expired; sign in again.",
                "extensions": {"code": "INVALID_TOKEN"},
            }
        ]
    }
    forged, _ = issue_token(
        secret="another-secret-that-is-long-enough-for-hs256",
        kind=PrincipalKind.STAFF,
        subject_id=1,
        role=Role.ADMIN,
        ttl_seconds=60,
    )
    assert (
        await gql.as_(authorization=f"Bearer {forged}").raw("{ viewer { role } }")
    ).status_code == 401
    await access.revoke_api_key(runtime.uow(), actor="t", api_key_id=issued.id)
    r = await gql.as_(x_api_key=issued.key).raw("{ viewer { role } }")
    assert r.status_code == 401
    assert r.json()["errors"][0]["message"] == (
        "This API key was revoked; ask an administrator for a new one."
    )


async def test_pos_and_staff_keys_must_name_a_store(runtime, gql: GQL, staff_token):
    _, admin = await staff_token(Role.ADMIN)
    data = await gql.as_(authorization=admin)(
        CREATE_KEY, {"input": {"name": "till", "channel": "POS"}}
    )
    assert data["apiKeyCreate"] == {
        "userErrors": [
            {
                "code": "INVALID",
                "field": "locationId",
                "message": "A POS key belongs to one store; give its locationId.",
            }
        ],
        "key": None,
        "apiKey": None,
    }
    assert await count(runtime, ApiKeyRow) == 0
