"""A database outage is an answer: UNAVAILABLE (HTTP 503 + Retry-After), never a masked INTERNAL,
and a mutation that committed answers its result even when the database goes away right after.

The restart tests run on a private embedded PostgreSQL that they stop and start; the machine's
shared server is never touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel, PrincipalKind, Role
from domain.access.tokens import issue_token
from domain.shared import migrate
from domain.shared.settings import Settings
from fulfillment.tables import OrderRow
from inventory.tables import StockMovementRow
from tests.api.orders import docs
from tests.conftest import REDIS_URL, TEST_SECRET
from tests.integration.inventory.support import make_variants
from tests.support.orders import ADDRESS, World, make_world
from tests.support.processes import PrivatePostgres

UNAVAILABLE_MESSAGE = (
    "The database is unavailable right now (restarting or failing over). Nothing was lost: "
    "retry in a few seconds with the same idempotency key."
)
LOCATIONS = "{ locations { edges { cursor } } }"
RECEIVE = """mutation($input: StockReceiveInput!) { stockReceive(input: $input) {
  userErrors { code field message } level { figures { onHand } } } }"""


def client_for(rt: Runtime) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime=rt)), base_url="http://test"
    )


def assert_unavailable(response: httpx.Response) -> None:
    body = response.json()
    assert response.status_code == 503, body
    assert response.headers["retry-after"] == "2"
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"], body
    assert body["errors"][0]["message"] == UNAVAILABLE_MESSAGE


# -- pool exhausted (the suite's own database) ------------------------------------------------


async def test_pool_exhausted_is_unavailable_503_with_retry_after_and_changes_nothing(
    runtime: Runtime, make_location
):
    wh = await make_location("WH")
    await make_variants(runtime, "HP-100")
    settings = runtime.settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 0.2}
    )
    small = await Runtime.start(settings, run_relay=False)
    key = await access.create_api_key(
        runtime.uow(), actor="test", name="web", channel=Channel.WEB, location_id=None
    )
    staff_id = await access.create_staff_user(
        runtime.uow(),
        actor=None,
        email="wh@test.omni",
        name="WH",
        password="correct-horse-battery",
        role=Role.ADMIN,
        location_ids=[],
    )
    token, _ = issue_token(
        secret=runtime.secret,
        kind=PrincipalKind.STAFF,
        subject_id=staff_id,
        role=Role.ADMIN,
        ttl_seconds=600,
    )
    receive = {
        "input": {
            "sku": "HP-100",
            "locationId": world_gid("Location", wh),
            "quantity": 1,
            "documentRef": "PO-1",
            "idempotencyKey": "k1",
        }
    }
    try:
        async with client_for(small) as c:
            # The only pooled connection is taken (a long report, a stuck transaction...).
            async with small.engine.connect() as held:
                await held.execute(text("SELECT 1"))
                query = await c.post("/graphql", json={"query": LOCATIONS})
                # An API key is looked up in the database before any GraphQL work.
                keyed = await c.post(
                    "/graphql",
                    json={"query": LOCATIONS},
                    headers={"x-api-key": key.key},
                )
                mutation = await c.post(
                    "/graphql",
                    json={"query": RECEIVE, "variables": receive},
                    headers={"authorization": f"Bearer {token}"},
                )
            for response in (query, mutation):
                assert_unavailable(response)
            assert keyed.status_code == 503
            assert keyed.headers["retry-after"] == "2"
            assert keyed.json() == {
                "errors": [{"message": UNAVAILABLE_MESSAGE, "extensions": {"code": "UNAVAILABLE"}}]
            }
            # Nothing was written, so the same key is free for the retry.
            async with runtime.session_factory() as s:
                assert await s.scalar(select(func.count()).select_from(StockMovementRow)) == 0
                assert await s.scalar(text("SELECT count(*) FROM idempotency_keys")) == 0
            # With the connection back, the very same requests are answered.
            again = await c.post("/graphql", json={"query": LOCATIONS})
            assert again.status_code == 200
            assert again.headers.get("retry-after") is None
            assert len(again.json()["data"]["locations"]["edges"]) == 1
    finally:
        await small.stop()


# -- a private PostgreSQL that restarts ---------------------------------------------------------


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    migrate.upgrade(pg.start())
    yield pg
    pg.close()


@pytest.fixture(scope="module")
async def pg_runtime(
    private_pg: PrivatePostgres, redis_prefix: str, redis_available: bool
) -> AsyncIterator[Runtime]:
    assert redis_available
    settings = Settings(
        database_url=private_pg.url,
        redis_url=REDIS_URL,
        redis_prefix=f"{redis_prefix}pg",
        dev_mode=True,
        secret_key=TEST_SECRET,
        api_key_cache_seconds=0,
        db_pool_size=4,
        db_max_overflow=0,
        db_pool_timeout=5,
    )
    rt = await Runtime.start(settings, run_relay=False)
    yield rt
    await rt.stop()


@pytest.fixture(scope="module")
async def world(pg_runtime: Runtime) -> World:
    return await make_world(pg_runtime, stock={("HP-100", "WH"): 1000})


async def _staff(rt: Runtime, world: World, email: str) -> str:
    staff_id = await access.create_staff_user(
        rt.uow(),
        actor=None,
        email=email,
        name=email,
        password="correct-horse-battery",
        role=Role.WAREHOUSE,
        location_ids=[world.locations["WH"]],
    )
    token, _ = issue_token(
        secret=rt.secret,
        kind=PrincipalKind.STAFF,
        subject_id=staff_id,
        role=Role.WAREHOUSE,
        ttl_seconds=600,
    )
    return f"Bearer {token}"


async def test_checkout_that_committed_answers_its_order_though_the_database_then_goes_away(
    private_pg: PrivatePostgres, pg_runtime: Runtime, world: World
):
    async with client_for(pg_runtime) as c:

        async def web(doc: str, variables: dict[str, Any]) -> dict[str, Any]:
            r = await c.post(
                "/graphql",
                json={"query": doc, "variables": variables},
                headers={"x-api-key": world.web_key},
            )
            assert r.status_code == 200 and "errors" not in r.json(), r.json()
            return dict(r.json()["data"])

        cart = (await web(docs.CART_CREATE, {"input": {}}))["cartCreate"]["cart"]
        await web(
            docs.LINES_ADD,
            {"input": {"token": cart["token"], "lines": [{"sku": "HP-100", "quantity": 2}]}},
        )
        await web(
            docs.SET_SHIPPING,
            {"input": {"token": cart["token"], "address": ADDRESS, "shippingMethod": "COURIER"}},
        )
        checkout = {
            "input": {
                "token": cart["token"],
                "idempotencyKey": "pay-1",
                "tenders": [{"kind": "CARD", "reference": "PSP-1"}],
            }
        }
        placed: list[bool] = []
        stopped: list[bool] = []

        def see_the_order_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO ORDERS "):
                placed.append(True)

        def stop_after_the_order_commits(session: Session) -> None:
            # The order is in PostgreSQL; now the server goes away before the answer is built.
            if placed and not stopped:
                stopped.append(True)
                private_pg.stop()

        engine = pg_runtime.engine.sync_engine
        event.listen(engine, "before_cursor_execute", see_the_order_insert)
        event.listen(Session, "after_commit", stop_after_the_order_commits)
        try:
            r = await c.post(
                "/graphql",
                json={"query": docs.CHECKOUT, "variables": checkout},
                headers={"x-api-key": world.web_key},
            )
        finally:
            event.remove(Session, "after_commit", stop_after_the_order_commits)
            event.remove(engine, "before_cursor_execute", see_the_order_insert)
            if stopped:
                private_pg.start()
        assert stopped == [True]
        body = r.json()
        assert r.status_code == 200, body
        assert "errors" not in body, body
        out = body["data"]["checkoutComplete"]
        assert out["userErrors"] == [] and out["shortfalls"] == []
        order = out["order"]
        async with pg_runtime.session_factory() as s:
            total = await s.scalar(select(OrderRow.total).where(OrderRow.number == order["number"]))
        assert total is not None and total >= 2 * 2_999_000
        assert (order["channel"], order["status"], order["total"]["amount"]) == (
            "WEB",
            "PLACED",
            total,
        )
        assert [(ln["sku"], ln["quantity"], ln["method"]) for ln in order["lines"]] == [
            ("HP-100", 2, "SHIP")
        ]
        assert [(t["kind"], t["amount"]["amount"], t["reference"]) for t in order["tenders"]] == [
            ("CARD", total, "PSP-1")
        ]
        assert order["refunds"] == [] and order["sellingLocation"] is None

        # Exactly that order is recorded, and a retry with the key gets it again.
        async with pg_runtime.session_factory() as s:
            numbers = (await s.scalars(select(OrderRow.number))).all()
        assert numbers == [order["number"]]
        replay = await web(docs.CHECKOUT, checkout)
        assert replay["checkoutComplete"]["order"]["number"] == order["number"]
        assert replay["checkoutComplete"]["order"]["id"] == order["id"]


async def test_a_restart_under_load_loses_no_acknowledged_write_and_fails_only_unavailable(
    private_pg: PrivatePostgres, pg_runtime: Runtime, world: World
):
    """Four tills keep receiving stock, each receipt with its own idempotency key, retried
    with the same key until acknowledged, while PostgreSQL stops and starts again."""
    token = await _staff(pg_runtime, world, "load@test.omni")
    wh = world.locations["WH"]
    async with pg_runtime.session_factory() as s:
        on_hand_before = await s.scalar(
            text("SELECT on_hand FROM stock_levels WHERE location_id = :l AND variant_id = :v"),
            {"l": wh, "v": world.variants["CB-400"]},
        )
    acknowledged: dict[str, int] = {}  # documentRef -> quantity
    failures: list[tuple[int, str | None, tuple[str, ...]]] = []
    before_stop, saw_failure, back, done = (asyncio.Event() for _ in range(4))
    after_restart: dict[int, int] = {}

    async def till(c: httpx.AsyncClient, n: int) -> None:
        for j in range(10_000):  # bounded; stops long before
            if done.is_set():
                return
            ref = f"LOAD-{n}-{j}"
            variables = {
                "input": {
                    "sku": "CB-400",
                    "locationId": world_gid("Location", wh),
                    "quantity": n + 1,
                    "documentRef": ref,
                    "idempotencyKey": ref,
                }
            }
            for _attempt in range(50):
                r = await c.post(
                    "/graphql",
                    json={"query": RECEIVE, "variables": variables},
                    headers={"authorization": token},
                )
                body = r.json()
                if r.status_code == 200 and "errors" not in body:
                    assert body["data"]["stockReceive"]["userErrors"] == []
                    acknowledged[ref] = n + 1
                    if back.is_set():
                        after_restart[n] = after_restart.get(n, 0) + 1
                    break
                failures.append(
                    (
                        r.status_code,
                        r.headers.get("retry-after"),
                        tuple(e["extensions"]["code"] for e in body["errors"]),
                    )
                )
                saw_failure.set()
                await back.wait()  # the till waits for the database, then retries the same key
            else:
                raise AssertionError(f"{ref} never acknowledged")
            if len(acknowledged) >= 8:
                before_stop.set()
            if back.is_set() and len(after_restart) == 4 and min(after_restart.values()) >= 3:
                done.set()

    async with client_for(pg_runtime) as c:
        tills = [asyncio.create_task(till(c, n)) for n in range(4)]
        await asyncio.wait_for(before_stop.wait(), 60)
        await asyncio.to_thread(private_pg.stop)
        await asyncio.wait_for(saw_failure.wait(), 60)
        await asyncio.to_thread(private_pg.start)
        back.set()
        await asyncio.wait_for(asyncio.gather(*tills), 120)

    assert failures, "the restart was not seen by any request"
    assert set(failures) == {(503, "2", ("UNAVAILABLE",))}
    async with pg_runtime.session_factory() as s:
        moved = dict(
            (
                await s.execute(
                    select(StockMovementRow.document_ref, func.count())
                    .where(StockMovementRow.document_ref.like("LOAD-%"))
                    .group_by(StockMovementRow.document_ref)
                )
            ).all()
        )
        on_hand = await s.scalar(
            text("SELECT on_hand FROM stock_levels WHERE location_id = :l AND variant_id = :v"),
            {"l": wh, "v": world.variants["CB-400"]},
        )
    # Every acknowledged receipt is there exactly once, and nothing else is.
    assert moved == {ref: 1 for ref in acknowledged}
    assert on_hand == (on_hand_before or 0) + sum(acknowledged.values())


def world_gid(type_name: str, db_id: int) -> str:
    from api.relay import encode_id

    return str(encode_id(type_name, db_id))
