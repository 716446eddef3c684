"""Inventory: a staff stock check of one SKU across 200 locations (GraphQL, p50/p99), and
reservation throughput on one hot SKU with 64 concurrent clients through the service
(conditional UPDATE + hold + ledger row + outbox event, one transaction each) beside a raw
asyncpg loop doing the same conditional UPDATE alone, with the ratio and the oversell count."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bench import (
    CaseContext,
    CaseResult,
    CustomCase,
    Data,
    HttpCase,
    Scenario,
    graphql,
    measure,
    runtime,
)
from domain.access import services as access
from domain.access.model import PrincipalKind, Role
from domain.access.tokens import issue_token

LOCATIONS = 200
CLIENTS = 64
HOT_STOCK = 1_000_000  # the most one receipt takes; plenty for a run (success path measured)
STOCK_CHECK = """query($sku: String!) { stockCheck(sku: $sku) { sku locations {
  location { code } distanceKm onHand available reserved committed incoming
  incomingExpectedAt pickup { possible readyAt } } } }"""
RESERVE_SQL = (
    "UPDATE stock_levels SET reserved = reserved + 1 WHERE variant_id = $1 AND location_id = $2 "
    "AND on_hand - committed - reserved - safety_stock >= 1 RETURNING reserved"
)


async def _variants(rt: Any, *skus: str) -> list[int]:
    from domain.catalog.model import ProductStatus
    from domain.catalog.tables import ProductRow, ProductTypeRow, VariantRow

    async with rt.session_factory() as session:
        ptype = ProductTypeRow(code="bench", name="Bench")
        session.add(ptype)
        await session.flush()
        product = ProductRow(
            slug="bench", title="Bench", product_type_id=ptype.id, status=ProductStatus.ACTIVE
        )
        session.add(product)
        await session.flush()
        rows = [VariantRow(product_id=product.id, sku=s, title=s) for s in skus]
        session.add_all(rows)
        await session.commit()
        return [r.id for r in rows]


async def setup(database_url: str) -> Data:
    from inventory import services as inv
    from inventory.importer import import_stock
    from inventory.model import LocationKind

    rng = random.Random(4)
    async with runtime(database_url) as rt:
        check_id, hot_id = await _variants(rt, "CHECK-1", "HOT-1")
        location_ids = []
        for n in range(LOCATIONS):
            location_ids.append(
                await inv.create_location(
                    rt.uow(),
                    code=f"L{n:03d}",
                    name=f"Location {n}",
                    kind=LocationKind.WAREHOUSE if n < 5 else LocationKind.STORE,
                    latitude=55.5 + rng.random() * 0.5,
                    longitude=37.3 + rng.random() * 0.6,
                    ships=n < 20,
                    offers_pickup=n >= 5,
                    opening_hours={"mon-sun": "10:00-22:00"},
                    pickup_lead_minutes=60,
                )
            )
        csv = "sku,location,on_hand\n" + "".join(
            f"CHECK-1,L{n:03d},{1 + rng.randrange(30)}\n" for n in range(LOCATIONS)
        )
        await import_stock(rt.uow, csv, actor="bench")
        await inv.receive_stock(
            rt.uow(),
            variant_id=hot_id,
            location_id=location_ids[0],
            quantity=HOT_STOCK,
            actor="bench",
        )
        staff_id = await access.create_staff_user(
            rt.uow(),
            actor=None,
            email="bench.manager@omni.test",
            name="Bench manager",
            password="bench-password-123",
            role=Role.STORE_MANAGER,
            location_ids=[location_ids[7]],
        )
        token, _ = issue_token(
            secret=rt.secret,
            kind=PrincipalKind.STAFF,
            subject_id=staff_id,
            role=Role.STORE_MANAGER,
            ttl_seconds=24 * 3600,
        )
    return {"token": token, "hot_id": hot_id, "hot_location": location_ids[0]}


def stock_check(data: Data) -> Any:
    return graphql(STOCK_CHECK, {"sku": "CHECK-1"}, token=data["token"])


@contextlib.asynccontextmanager
async def _service_runtime(database_url: str, connections: int) -> AsyncIterator[Any]:
    """The app's Runtime with a pool big enough for every client (the default is 30)."""
    from api.runtime import Runtime
    from bench.servers import SECRET_KEY
    from domain.shared.settings import Settings

    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "redis_url": None,
            "secret_key": SECRET_KEY,
            "dev_mode": False,
            "db_pool_size": connections,
            "db_max_overflow": 0,
        }
    )
    rt = await Runtime.start(settings, run_relay=False)
    try:
        yield rt
    finally:
        await rt.stop()


async def _reserved(database_url: str, variant_id: int, location_id: int) -> tuple[int, int]:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT on_hand, reserved FROM stock_levels WHERE variant_id = $1 AND location_id = $2",
            variant_id,
            location_id,
        )
    finally:
        await conn.close()
    return int(row["on_hand"]), int(row["reserved"])


async def _connection_budget(database_url: str) -> int:
    """Connections each contention case may open: CLIENTS, or fewer when the server's
    max_connections (shared with the API under test and anything else running) leaves less.
    The 64 clients then queue for a connection in the pool, the same way in both cases."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        limit = int(await conn.fetchval("SHOW max_connections"))
        used = int(await conn.fetchval("SELECT count(*) FROM pg_stat_activity"))
    finally:
        await conn.close()
    return max(8, min(CLIENTS, limit - used - 25))


async def reserve_raw(ctx: CaseContext) -> CaseResult:
    variant_id, location_id = ctx.data["hot_id"], ctx.data["hot_location"]
    dsn = (
        make_url(ctx.database_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    connections = ctx.data["connections"] = await _connection_budget(ctx.database_url)
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    _, before = await _reserved(ctx.database_url, variant_id, location_id)
    ok = 0

    async def one() -> None:
        nonlocal ok
        async with pool.acquire() as conn:
            if await conn.fetchval(RESERVE_SQL, variant_id, location_id) is None:
                raise RuntimeError("no stock")
        ok += 1

    try:
        result = await measure("reserve-raw-asyncpg", one, ctx, concurrency=CLIENTS)
    finally:
        await pool.close()
    on_hand, after = await _reserved(ctx.database_url, variant_id, location_id)
    result.extra["reservations/s"] = round(result.rps, 1)
    result.extra["oversold"] = max(0, after - on_hand) + abs((after - before) - ok)
    result.extra["connections"] = connections
    ctx.data["raw_rps"] = result.rps
    return result


async def reserve_service(ctx: CaseContext) -> CaseResult:
    from inventory import services as inv

    variant_id, location_id = ctx.data["hot_id"], ctx.data["hot_location"]
    _, before = await _reserved(ctx.database_url, variant_id, location_id)
    ok = 0
    connections = ctx.data.get("connections") or await _connection_budget(ctx.database_url)
    async with _service_runtime(ctx.database_url, connections) as rt:

        async def one() -> None:
            nonlocal ok
            await inv.retry_on_contention(
                lambda: inv.reserve(
                    rt.uow(),
                    variant_id=variant_id,
                    location_id=location_id,
                    quantity=1,
                    owner_ref="bench",
                    expires_at=None,
                )
            )
            ok += 1

        result = await measure("reserve-service", one, ctx, concurrency=CLIENTS)
    on_hand, after = await _reserved(ctx.database_url, variant_id, location_id)
    result.extra["reservations/s"] = round(result.rps, 1)
    result.extra["oversold"] = max(0, after - on_hand) + abs((after - before) - ok)
    result.extra["connections"] = connections
    if ctx.data.get("raw_rps"):
        result.extra["ratio_vs_raw"] = round(result.rps / ctx.data["raw_rps"], 3)
    return result


SCENARIO = Scenario(
    name="inventory",
    description="stockCheck of one SKU over 200 locations; 64 clients reserving one hot SKU "
    "through the service vs a raw asyncpg conditional UPDATE",
    setup=setup,
    cases=[
        HttpCase("stockCheck-200-locations", stock_check),
        CustomCase("reserve-raw-asyncpg", reserve_raw),
        CustomCase("reserve-service", reserve_service),
    ],
)
