"""Test harness: a fresh database per run built by ``alembic upgrade``, real Redis.

DATABASE_URL (a server to create the run's database on) is used when set, else an embedded
PostgreSQL in a temporary directory. REDIS_URL defaults to redis://127.0.0.1:6379; every run
uses its own key/channel prefix. Under CI=true nothing is skipped: a missing service fails.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
import structlog
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import PrincipalKind, Role
from domain.access.tokens import issue_token
from domain.shared import migrate
from domain.shared.db import async_url
from domain.shared.embedded import EmbeddedPostgres
from domain.shared.settings import Settings
from inventory import services as inventory
from inventory.model import LocationKind

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
# The one knob for how many PostgreSQL connections the suite holds: the in-process app's pool,
# and (halved) the pool of every server process a test starts. Races still use real concurrent
# connections; callers past the pool queue for one, as they would in production.
TEST_DB_CONNECTIONS = max(4, int(os.environ.get("OMNI_TEST_DB_CONNECTIONS", "8")))
os.environ["DB_POOL_SIZE"] = str(max(2, TEST_DB_CONNECTIONS // 2))
os.environ["DB_MAX_OVERFLOW"] = "0"
TEST_SECRET = "test-secret-key-not-for-production-use-0123456789"


def _raw(url: str) -> str:
    """SQLAlchemy URL -> asyncpg DSN."""
    return (
        make_url(async_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield async_url(os.environ["DATABASE_URL"])
        return
    with tempfile.TemporaryDirectory(prefix="omni-test-pg-") as tmp:
        os.chmod(tmp, 0o755)
        embedded = EmbeddedPostgres(Path(tmp), database="postgres")
        yield embedded.start()
        embedded.stop()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    name = f"omni_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin_dsn = _raw(server_url)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_prefix() -> str:
    return f"omnitest{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
async def redis_available() -> bool:
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; CI needs it.")
        return False
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def settings(database_url: str, redis_prefix: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=REDIS_URL,
        redis_prefix=redis_prefix,
        dev_mode=True,
        secret_key=TEST_SECRET,
        outbox_poll_seconds=0.05,
        api_key_cache_seconds=0,
        db_pool_size=TEST_DB_CONNECTIONS,
        db_max_overflow=0,
        db_pool_timeout=60,
        # every in-process request comes from one address: the address throttle is tested
        # with its own counters (tests/api/test_sign_in_throttle.py), not the whole suite's
        sign_in_address_free_attempts=10_000,
        sign_in_address_lockout_attempts=0,
    )


@pytest.fixture(scope="session")
async def runtime(settings: Settings, redis_available: bool) -> AsyncIterator[Runtime]:
    if not redis_available:
        pytest.skip("Redis is not reachable; start it (see README) to run these tests")
    rt = await Runtime.start(settings)
    yield rt
    await rt.stop()


@pytest.fixture(autouse=True)
async def _clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables (committed rows, so races are real).

    A test that left a transaction open (a task still running, a lock held) must not wedge the
    next one: the TRUNCATE waits a bounded time for its locks, and on a timeout the run's other
    sessions are ended (the pool reconnects) and it tries again.
    """
    yield
    if "runtime" not in request.fixturenames:
        return
    await empty_tables(request.getfixturevalue("runtime"))


async def empty_tables(rt: Runtime, *, lock_timeout: str = "10s") -> None:
    """TRUNCATE every table; past ``lock_timeout`` end the run's other sessions and retry."""
    for attempt in range(3):
        try:
            await _truncate_all(rt, lock_timeout)
            return
        except DBAPIError:
            if attempt == 2:
                raise
            async with rt.engine.connect() as conn:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                await conn.commit()
            await rt.engine.dispose()


async def _truncate_all(rt: Runtime, lock_timeout: str) -> None:
    async with rt.engine.begin() as conn:
        await conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": lock_timeout})
        tables = (
            (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            )
            .scalars()
            .all()
        )
        if tables:
            await conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


class GQL:
    """Posts GraphQL documents; ``as_`` picks the caller's headers."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def as_(self, **headers: str) -> GQL:
        return GQL(
            self.client, {**self.headers, **{k.replace("_", "-"): v for k, v in headers.items()}}
        )

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        return await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=self.headers,
            **kw,
        )

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.raw(query, variables)
        body = response.json()
        assert "errors" not in body, body["errors"]
        assert response.status_code == 200, body
        return body["data"]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GQL:
    return GQL(client)


@pytest.fixture
async def prod(runtime: Runtime) -> AsyncIterator[GQL]:
    """The same runtime served in production mode (the default for `serve`)."""
    settings = runtime.settings.model_copy(update={"dev_mode": False})
    app = create_app(settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield GQL(c)


@pytest.fixture
def make_location(runtime: Runtime) -> Any:
    async def make(code: str = "S01", kind: LocationKind = LocationKind.STORE, **kw: Any) -> int:
        return await inventory.create_location(
            runtime.uow(), code=code, name=kw.pop("name", code), kind=kind, **kw
        )

    return make


@pytest.fixture
def staff_token(runtime: Runtime) -> Any:
    """Create a staff user with ``role`` at ``location_ids``; returns (staff id, bearer header)."""
    counter = iter(range(1, 10_000))

    async def make(role: Role, location_ids: list[int] | None = None) -> tuple[int, str]:
        n = next(counter)
        staff_id = await access.create_staff_user(
            runtime.uow(),
            actor=None,
            email=f"{role.value.lower()}{n}@test.omni",
            name=f"{role.value} {n}",
            password="correct-horse-battery",
            role=role,
            location_ids=location_ids or [],
        )
        token, _ = issue_token(
            secret=runtime.secret,
            kind=PrincipalKind.STAFF,
            subject_id=staff_id,
            role=role,
            ttl_seconds=600,
        )
        return staff_id, f"Bearer {token}"

    return make


@pytest.fixture
def customer_token(runtime: Runtime) -> Any:
    def make(customer_id: int) -> str:
        token, _ = issue_token(
            secret=runtime.secret,
            kind=PrincipalKind.CUSTOMER,
            subject_id=customer_id,
            role=Role.CUSTOMER,
            ttl_seconds=600,
        )
        return f"Bearer {token}"

    return make


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        # (request id or None, statement): background work (the relay's poll, housekeeping)
        # runs outside any request and has no request id.
        self.tagged: list[tuple[str | None, str]] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def in_requests(self, since: int = 0) -> list[str]:
        """Statements sent while serving a request, from position ``since`` on."""
        return [q for rid, q in self.tagged[since:] if rid is not None]


@pytest.fixture
def count_queries(runtime: Runtime) -> Iterator[QueryCounter]:
    """Counts SQL statements the app sends while the test runs (pins N+1 freedom)."""
    counter = QueryCounter()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counter.statements.append(statement)
        counter.tagged.append(
            (structlog.contextvars.get_contextvars().get("request_id"), statement)
        )

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", before)
    yield counter
    event.remove(runtime.engine.sync_engine, "before_cursor_execute", before)
