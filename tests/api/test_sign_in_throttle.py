"""Guessing passwords is throttled and does not block the server: per-account progressive
delay then lockout, per-address throttle across accounts, the same answers for accounts that
exist and accounts that do not, one throttle shared by two server processes through Redis,
and argon2 off the event loop."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import httpx
import pytest

from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Role
from domain.access.throttle import Policy, RedisStore, SignInThrottle
from loyalty import services as loyalty
from tests.conftest import GQL, REDIS_URL, TEST_SECRET
from tests.support.processes import api_servers

STAFF_SIGN_IN = """mutation($e: String!, $p: String!) {
  staffSignIn(input: {email: $e, password: $p}) { userErrors { code field message } token } }"""
CUSTOMER_SIGN_IN = """mutation($i: String!, $p: String!) {
  customerSignIn(input: {identifier: $i, password: $p}) {
  userErrors { code field message } token customer { id } } }"""
PASSWORD = "correct-horse-battery"


class Clock:
    """The throttle's clock, moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def throttle(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Installs a throttle with its own Redis keys and a test clock; returns a factory."""
    made: list[SignInThrottle] = []

    def make(account: Policy, address: Policy) -> Clock:
        clock = Clock()
        t = SignInThrottle(
            RedisStore(REDIS_URL, prefix=f"thr-{secrets.token_hex(4)}"),
            account=account,
            address=address,
            clock=clock,
        )
        made.append(t)
        monkeypatch.setattr(runtime, "sign_in_throttle", t)
        return clock

    yield make
    for t in made:
        await t.close()


def policy(free: int, lockout: int, *, lockout_seconds: int = 900, max_delay: int = 60) -> Policy:
    return Policy(
        free_attempts=free,
        lockout_attempts=lockout,
        lockout_seconds=lockout_seconds,
        max_delay_seconds=max_delay,
    )


async def _staff(runtime: Runtime, make_location: Any, email: str) -> None:
    store = await make_location(f"S{secrets.token_hex(2)}")
    await access.create_staff_user(
        runtime.uow(),
        actor=None,
        email=email,
        name="Кассир",
        password=PASSWORD,
        role=Role.CASHIER,
        location_ids=[store],
    )


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def test_one_account_gets_progressive_delays_then_a_lockout_and_success_resets(
    runtime: Runtime, gql: GQL, make_location, throttle
):
    clock = throttle(policy(3, 6, lockout_seconds=900), policy(1000, 0))
    await _staff(runtime, make_location, "kassa@omni.test")

    async def sign_in(password: str) -> dict[str, Any]:
        return (await gql(STAFF_SIGN_IN, {"e": "Kassa@Omni.test ", "p": password}))["staffSignIn"]

    for _ in range(4):  # three free failures, the fourth starts a 1 s wait
        assert codes(await sign_in("wrong-password")) == ["INVALID_CREDENTIALS"]
    refused = await sign_in(PASSWORD)  # even the right password waits
    assert refused == {
        "userErrors": [
            {
                "code": "TOO_MANY_ATTEMPTS",
                "field": "password",
                "message": "Too many failed sign-ins for this account. Try again in 1 seconds "
                "and check the e-mail or phone and the password first.",
            }
        ],
        "token": None,
    }
    clock.now += 1
    assert codes(await sign_in("wrong-password")) == ["INVALID_CREDENTIALS"]  # 5th: wait 2 s
    assert "Try again in 2 seconds" in (await sign_in(PASSWORD))["userErrors"][0]["message"]
    clock.now += 1.5  # not yet
    assert "Try again in 1 seconds" in (await sign_in(PASSWORD))["userErrors"][0]["message"]
    clock.now += 0.5
    assert codes(await sign_in("wrong-password")) == ["INVALID_CREDENTIALS"]  # 6th: locked
    locked = await sign_in(PASSWORD)
    assert locked["token"] is None
    assert locked["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert locked["userErrors"][0]["message"] == (
        "Too many failed sign-ins for this account: sign-in is locked for about 15 minute(s). "
        "Try again in 900 seconds; if you forgot the password, ask for help instead of guessing."
    )
    clock.now += 899
    assert codes(await sign_in(PASSWORD)) == ["TOO_MANY_ATTEMPTS"]
    clock.now += 1
    assert (await sign_in(PASSWORD))["token"]
    # success cleared the account's count: three free failures again
    for _ in range(4):
        assert codes(await sign_in("wrong-password")) == ["INVALID_CREDENTIALS"]
    assert codes(await sign_in("wrong-password")) == ["TOO_MANY_ATTEMPTS"]


async def test_one_address_is_throttled_across_accounts_and_only_a_trusted_proxy_forwards(
    runtime: Runtime, gql: GQL, make_location, throttle, monkeypatch: pytest.MonkeyPatch
):
    clock = throttle(policy(1000, 0), policy(2, 4, lockout_seconds=600))
    for n in range(5):
        await _staff(runtime, make_location, f"staff{n}@omni.test")

    async def sign_in(n: int, password: str, caller: GQL = gql) -> dict[str, Any]:
        return (await caller(STAFF_SIGN_IN, {"e": f"staff{n}@omni.test", "p": password}))[
            "staffSignIn"
        ]

    # one wrong password for each of three accounts: the third starts the address's wait
    for n in range(3):
        assert codes(await sign_in(n, "wrong-password")) == ["INVALID_CREDENTIALS"]
    refused = await sign_in(3, PASSWORD)  # a fourth account, right password: still waits
    assert refused["token"] is None
    assert refused["userErrors"][0]["message"] == (
        "Too many failed sign-ins from your network address. Try again in 1 seconds and check "
        "the e-mail or phone and the password first."
    )
    # a forged X-Forwarded-For does not escape it: no proxy is trusted by default
    forged = gql.as_(x_forwarded_for="198.51.100.7")
    assert codes(await sign_in(3, PASSWORD, forged)) == ["TOO_MANY_ATTEMPTS"]
    clock.now += 1
    assert codes(await sign_in(3, "wrong-password")) == ["INVALID_CREDENTIALS"]  # 4th: locked
    assert (
        "locked for about 10 minute(s)" in (await sign_in(4, PASSWORD))["userErrors"][0]["message"]
    )
    # behind a trusted proxy the forwarded address is the client: another client goes on
    monkeypatch.setattr(
        runtime, "settings", runtime.settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    )
    other = gql.as_(x_forwarded_for="198.51.100.7, 127.0.0.1")
    assert (await sign_in(4, PASSWORD, other))["token"]
    assert codes(await sign_in(4, PASSWORD)) == ["TOO_MANY_ATTEMPTS"]  # the proxy itself: no


async def test_answers_are_the_same_for_customers_that_exist_and_that_do_not(
    runtime: Runtime, gql: GQL, throttle
):
    """Wrong password of a real account and any password of an unknown one: the same
    answers, the same throttling, step by step (e-mail and phone)."""
    throttle(policy(2, 4), policy(1000, 0))
    await loyalty.sign_up(
        runtime.uow(),
        email="real@example.ru",
        password=PASSWORD,
        first_name="Real",
        phone="+7 916 000-11-22",
        channel="WEB",
    )

    async def run(identifier: str) -> list[dict[str, Any]]:
        out = []
        for _ in range(5):
            data = await gql(CUSTOMER_SIGN_IN, {"i": identifier, "p": "wrong-password"})
            out.append(data["customerSignIn"])
        return out

    for real, unknown in (
        ("real@example.ru", "ghost@example.ru"),
        ("8 916 000 11 22", "8 916 000 11 23"),
    ):
        real_answers, unknown_answers = await run(real), await run(unknown)
        assert real_answers == unknown_answers
        assert [codes(a) for a in real_answers] == [
            ["INVALID_CREDENTIALS"],
            ["INVALID_CREDENTIALS"],
            ["INVALID_CREDENTIALS"],
            ["TOO_MANY_ATTEMPTS"],
            ["TOO_MANY_ATTEMPTS"],
        ]
        assert all(a["token"] is None and a["customer"] is None for a in real_answers)


async def test_forty_concurrent_wrong_sign_ins_do_not_stall_other_requests(
    runtime: Runtime, gql: GQL, make_location, throttle
):
    """argon2 runs in worker threads: while forty wrong sign-ins hash, a trivial query is
    answered about as fast as on an idle server (on the event loop, it waited for seconds)."""
    throttle(policy(1000, 0), policy(1000, 0))
    await _staff(runtime, make_location, "busy@omni.test")

    async def trivial() -> float:
        started = time.perf_counter()
        assert (await gql("{ __typename }"))["__typename"] == "Query"
        return time.perf_counter() - started

    idle = min([await trivial() for _ in range(5)])
    storm = [
        asyncio.create_task(gql(STAFF_SIGN_IN, {"e": "busy@omni.test", "p": f"wrong-{n}"}))
        for n in range(40)
    ]
    # A query arrives every 50 ms all through the storm (each wrong sign-in is a full argon2
    # verify); its delay counts from when it arrives, so time the loop spent blocked counts.
    during: list[float] = []
    start = time.perf_counter()
    while not all(t.done() for t in storm) and len(during) < 2000:
        arrives = start + 0.05 * (len(during) + 1)
        await asyncio.sleep(max(0.0, arrives - time.perf_counter()))
        await trivial()
        during.append(time.perf_counter() - arrives)
    answers = await asyncio.gather(*storm)
    assert len(during) >= 5, "the sign-ins finished before the query ran: no storm measured"
    ranked = sorted(during)
    # typically: a few ms idle, ~30 ms median on a loaded 2-core box; seconds on the loop
    assert ranked[len(ranked) // 2] - idle < 0.1, (idle, ranked)
    assert ranked[int(len(ranked) * 0.9)] - idle < 0.5, (idle, ranked)
    assert all(codes(a["staffSignIn"]) == ["INVALID_CREDENTIALS"] for a in answers)


@pytest.mark.slow
async def test_two_server_processes_share_the_lock_through_redis(
    runtime: Runtime, make_location, database_url: str
):
    await _staff(runtime, make_location, "shared@omni.test")
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": f"thr-{secrets.token_hex(4)}",
        "SECRET_KEY": TEST_SECRET,
        "OMNI_DEV": "1",
        "SIGN_IN_FREE_ATTEMPTS": "2",
        "SIGN_IN_LOCKOUT_ATTEMPTS": "3",
        "SIGN_IN_LOCKOUT_SECONDS": "600",
    }
    async with api_servers(env) as (a, b):
        async with (
            httpx.AsyncClient(base_url=a.url) as on_a,
            httpx.AsyncClient(base_url=b.url) as on_b,
        ):

            async def sign_in(http: httpx.AsyncClient, password: str) -> dict[str, Any]:
                r = await http.post(
                    "/graphql",
                    json={
                        "query": STAFF_SIGN_IN,
                        "variables": {"e": "shared@omni.test", "p": password},
                    },
                )
                return dict(r.json()["data"]["staffSignIn"])

            for http in (on_a, on_b, on_a):  # the third failure locks, wherever it lands
                assert codes(await sign_in(http, "wrong-password")) == ["INVALID_CREDENTIALS"]
            for http in (on_b, on_a):
                locked = await sign_in(http, PASSWORD)
                assert locked["token"] is None
                assert codes(locked) == ["TOO_MANY_ATTEMPTS"]
                assert "locked for about 10 minute(s)" in locked["userErrors"][0]["message"]
