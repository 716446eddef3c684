"""The suite is a good citizen on a shared PostgreSQL: its pools come from one setting, and a
test that leaves a lock behind cannot wedge the teardown of the next."""

from __future__ import annotations

import os

import asyncpg
from sqlalchemy import text

from api.runtime import Runtime
from tests.conftest import TEST_DB_CONNECTIONS, _raw, empty_tables


def test_the_pools_are_sized_by_one_setting(runtime: Runtime) -> None:
    assert runtime.settings.db_pool_size == TEST_DB_CONNECTIONS
    assert runtime.settings.db_max_overflow == 0
    # server processes started by tests inherit half of it, and no overflow
    assert os.environ["DB_POOL_SIZE"] == str(max(2, TEST_DB_CONNECTIONS // 2))
    assert os.environ["DB_MAX_OVERFLOW"] == "0"


async def test_the_app_never_holds_more_connections_than_the_setting(runtime: Runtime) -> None:
    import asyncio

    pool = runtime.engine.pool
    most = 0

    async def hold() -> None:
        nonlocal most
        async with runtime.engine.connect() as conn:
            most = max(most, pool.checkedout())
            await conn.execute(text("SELECT pg_sleep(0.2)"))

    # three times more callers than connections: the rest queue, none gets an extra one
    await asyncio.gather(*(hold() for _ in range(3 * TEST_DB_CONNECTIONS)))
    assert 1 < most <= TEST_DB_CONNECTIONS
    assert pool.size() == TEST_DB_CONNECTIONS


async def test_teardown_ends_a_session_left_holding_a_lock_and_empties_the_tables(
    runtime: Runtime, database_url: str
) -> None:
    async with runtime.engine.begin() as conn:
        await conn.execute(text("INSERT INTO brands (name, slug) VALUES ('Sony', 'sony')"))
    stray = await asyncpg.connect(_raw(database_url))
    try:
        tx = stray.transaction()
        await tx.start()
        await stray.execute("LOCK TABLE brands IN ACCESS SHARE MODE")  # blocks TRUNCATE
        await empty_tables(runtime, lock_timeout="500ms")
        assert stray.is_closed() or not await _alive(stray)
    finally:
        if not stray.is_closed():
            stray.terminate()
    async with runtime.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM brands"))).scalar() == 0


async def _alive(conn: asyncpg.Connection) -> bool:
    try:
        await conn.fetchval("SELECT 1")
        return True
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError):
        return False
