"""Exactly once: replays return the first response; concurrent replays wait for it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from api.runtime import Runtime
from domain.access.model import Role
from domain.access.tables import StaffUserRow
from domain.shared.errors import IdempotencyKeyReused, ValidationFailed
from domain.shared.idempotency import IdempotencyKey, run_once
from tests.conftest import GQL

CREATE = """
mutation($input: StaffUserCreateInput!) {
  staffUserCreate(input: $input) {
    userErrors { code field message }
    staffUser { id email role locations { code } }
  }
}"""


async def staff_count(runtime: Runtime) -> int:
    async with runtime.session_factory() as s:
        return int(await s.scalar(select(func.count()).select_from(StaffUserRow)))


async def test_ten_concurrent_replays_execute_once_and_return_identical_responses(
    runtime: Runtime, gql: GQL, staff_token, make_location
):
    store = await make_location("S01")
    _, admin = await staff_token(Role.ADMIN)
    before = await staff_count(runtime)
    variables = {
        "input": {
            "email": "new.cashier@omni.test",
            "name": "Новый Кассир",
            "password": "long-enough-pass",
            "role": "CASHIER",
            "locationIds": [f"{_gid('Location', store)}"],
            "idempotencyKey": "till-7-attempt-1",
        }
    }
    responses = await asyncio.gather(
        *(gql.as_(authorization=admin).raw(CREATE, variables) for _ in range(10))
    )
    bodies = [r.json() for r in responses]
    assert all(r.status_code == 200 for r in responses)
    assert all(b == bodies[0] for b in bodies)
    payload = bodies[0]["data"]["staffUserCreate"]
    assert payload["userErrors"] == []
    assert payload["staffUser"]["email"] == "new.cashier@omni.test"
    assert payload["staffUser"]["locations"] == [{"code": "S01"}]
    assert await staff_count(runtime) == before + 1


async def test_the_same_key_with_a_different_request_is_a_user_error_and_changes_nothing(
    runtime: Runtime, gql: GQL, staff_token
):
    _, admin = await staff_token(Role.ADMIN)
    base = {
        "email": "a@omni.test",
        "name": "A",
        "password": "long-enough-pass",
        "role": "MERCHANDISER",
        "idempotencyKey": "k-1",
    }
    first = await gql.as_(authorization=admin)(CREATE, {"input": base})
    assert first["staffUserCreate"]["userErrors"] == []
    count = await staff_count(runtime)
    second = await gql.as_(authorization=admin)(CREATE, {"input": {**base, "email": "b@omni.test"}})
    assert second["staffUserCreate"] == {
        "userErrors": [
            {
                "code": "IDEMPOTENCY_KEY_REUSED",
                "field": "idempotencyKey",
                "message": "Idempotency key 'k-1' was already used for a different "
                "request; send a new key for a new request.",
            }
        ],
        "staffUser": None,
    }
    assert await staff_count(runtime) == count


async def test_keys_are_scoped_to_the_client(runtime: Runtime, gql: GQL, staff_token):
    _, admin_a = await staff_token(Role.ADMIN)
    _, admin_b = await staff_token(Role.ADMIN)
    for n, token in enumerate([admin_a, admin_b]):
        data = await gql.as_(authorization=token)(
            CREATE,
            {
                "input": {
                    "email": f"x{n}@omni.test",
                    "name": "X",
                    "password": "long-enough-pass",
                    "role": "MERCHANDISER",
                    "idempotencyKey": "same-key",
                }
            },
        )
        assert data["staffUserCreate"]["staffUser"]["email"] == f"x{n}@omni.test"


async def test_the_idempotency_key_header_is_used_when_the_input_has_none(
    runtime: Runtime, gql: GQL, staff_token
):
    _, admin = await staff_token(Role.ADMIN)
    variables = {
        "input": {
            "email": "h@omni.test",
            "name": "H",
            "password": "long-enough-pass",
            "role": "MERCHANDISER",
        }
    }
    caller = gql.as_(authorization=admin, idempotency_key="header-key-1")
    first = await caller(CREATE, variables)
    second = await caller(CREATE, variables)
    assert first == second
    assert await staff_count(runtime) == 2  # the admin and one new user


async def test_a_failed_attempt_commits_nothing_and_leaves_the_key_free(runtime: Runtime):
    calls = 0

    async def failing() -> dict:
        nonlocal calls
        calls += 1
        raise ValidationFailed("no", field="x")

    async def working() -> dict:
        nonlocal calls
        calls += 1
        return {"ok": calls}

    with pytest.raises(ValidationFailed):
        await run_once(runtime.uow(), scope="t", key="k", request={"a": 1}, execute=failing)
    async with runtime.session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert await run_once(runtime.uow(), scope="t", key="k", request={"a": 1}, execute=working) == {
        "ok": 2
    }
    assert await run_once(runtime.uow(), scope="t", key="k", request={"a": 1}, execute=working) == {
        "ok": 2
    }
    assert calls == 2
    with pytest.raises(IdempotencyKeyReused):
        await run_once(runtime.uow(), scope="t", key="k", request={"a": 2}, execute=working)


async def test_a_replay_the_check_refuses_returns_nothing_and_changes_nothing(runtime: Runtime):
    seen: list[dict] = []

    async def once() -> dict:
        return {"orderId": 1}

    async def refuse(response: dict) -> None:
        seen.append(response)
        raise IdempotencyKeyReused("not yours", field="idempotencyKey")

    first = await run_once(
        runtime.uow(), scope="s", key="k", request={}, execute=once, on_replay=refuse
    )
    assert (first, seen) == ({"orderId": 1}, [])  # the first run is not a replay
    with pytest.raises(IdempotencyKeyReused):
        await run_once(
            runtime.uow(), scope="s", key="k", request={}, execute=once, on_replay=refuse
        )
    assert seen == [{"orderId": 1}]
    async with runtime.session_factory() as s:
        stored = (await s.execute(select(IdempotencyKey.scope, IdempotencyKey.response))).all()
    assert [tuple(r) for r in stored] == [("s", {"orderId": 1})]


async def test_an_answer_stored_under_the_earlier_scope_still_replays_across_the_upgrade(
    runtime: Runtime,
):
    calls = 0

    async def body() -> dict:
        nonlocal calls
        calls += 1
        return {"n": calls}

    old = await run_once(runtime.uow(), scope="key:5:op", key="k", request={"a": 1}, execute=body)
    again = await run_once(
        runtime.uow(),
        scope="staff:2:op",
        key="k",
        request={"a": 1},
        execute=body,
        earlier_scopes=["key:5:op"],
    )
    assert (old, again, calls) == ({"n": 1}, {"n": 1}, 1)
    async with runtime.session_factory() as s:
        scopes = (await s.scalars(select(IdempotencyKey.scope))).all()
    assert scopes == ["key:5:op"]  # the replay claimed nothing new
    # A different request under the same key is not that answer: it runs as its own.
    other = await run_once(
        runtime.uow(),
        scope="staff:2:op",
        key="k",
        request={"a": 2},
        execute=body,
        earlier_scopes=["key:5:op"],
    )
    assert (other, calls) == ({"n": 2}, 2)


async def test_concurrent_service_replays_run_the_body_once(runtime: Runtime):
    calls = 0

    async def slow() -> dict:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)  # hold the transaction open while the replays arrive
        return {"n": calls}

    results = await asyncio.gather(
        *(
            run_once(runtime.uow(), scope="race", key="k", request={"q": 1}, execute=slow)
            for _ in range(10)
        )
    )
    assert calls == 1
    assert results == [{"n": 1}] * 10


def _gid(type_name: str, db_id: int) -> str:
    from api.relay import encode_id

    return str(encode_id(type_name, db_id))


async def test_expired_keys_are_purged_and_fresh_ones_kept(runtime: Runtime):
    from sqlalchemy import text

    from domain.shared.idempotency import purge_expired

    async def ok() -> dict:
        return {"ok": True}

    for key in ("old", "new"):
        await run_once(runtime.uow(), scope="p", key=key, request={}, execute=ok)
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE idempotency_keys SET created_at = now() - interval '8 days'"
                " WHERE key = 'old'"
            )
        )
    assert await purge_expired(runtime.uow(), older_than_hours=7 * 24) == 1
    async with runtime.session_factory() as s:
        assert list(await s.scalars(select(IdempotencyKey.key))) == ["new"]
