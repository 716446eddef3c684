"""Issue 14 point 5: every row of the speed table in one run, each beside its raw baselines.

One uvicorn worker (the issue's method); every HTTP case prints the server's CPU ms per request
from /proc beside req/s and p50/p99. Cases, in order:

1. On a 1,000-product catalog (the catalog scenario's generator): the storefront page, the
   search and the faceted page at 1 client.
2. ``grow-to-50k``: the same generator's next 49,000 products by COPY (the load time is printed).
3. The same three at 50,000 products (``vs`` lines: cost 50k / 1k), then at 50,000 products:
   the storefront page and the product page, 1 client (latency) and 8 clients (throughput), each
   beside ``*-sql`` (bench/storefront_sql.py: Starlette + asyncpg + hand-written SQL answering
   the JSON the API answers, checked equal before anything is measured) and ``*-mem`` (the same
   bytes from memory); ``customerLookup`` beside its SQL twin and bytes too; ``stockCheck`` over
   200 locations beside its in-memory bytes (no SQL twin: see docs/performance.md).
4. Hot-SKU reservations, 64 clients: service vs the raw asyncpg conditional UPDATE (oversold).
5. Checkouts (cartCreate; cartLinesAdd + cartSetShipping; checkoutComplete), 16 clients: the
   API server's CPU per checkout.

``BENCH_STOREFRONT_CUSTOMERS`` (default 1,000,000, the issue's figure: about 15 s to load by
generate_series here) sizes the customer table; e.g. 100000 for a quicker run.
There is no response cache in the app yet, so every read here is uncached.
"""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import text

from bench import CaseContext, CaseResult, CustomCase, Data, HttpCase, Request, Scenario, graphql
from bench import runtime as bench_runtime
from bench.scenarios import catalog, inventory, loyalty, orders

SMALL = 1_000
LARGE = catalog.PRODUCTS if os.environ.get("BENCH_CATALOG_PRODUCTS") else 50_000
CUSTOMERS = int(os.environ.get("BENCH_STOREFRONT_CUSTOMERS", "1000000"))
STOCKED_STORES = 12  # of the 195 pickup stores, per priced variant

# The storefront's listing page: a card per product with its variants' shelf price and whether
# each can ship and at which stores it can be collected (anonymous: no centre, so every pickup
# store, most available first, at most 20).
PAGE = """query { products(first: 20, sort: NEWEST) { edges { node {
  id slug title brand { name }
  variants { sku price { price { amount currency } compareAt { amount } }
    availability { canShip stores { inStock } } } } } } }"""
DETAIL = """query($slug: String!) { product(slug: $slug) {
  id slug title description brand { name } category { name }
  variants { sku barcode options { name value }
    price { price { amount currency } compareAt { amount } }
    availability { canShip stores { location { code } inStock } } } } }"""


async def _load_products(rt: Any, rows: tuple[list[Any], list[Any]], *, upto: int) -> float:
    products, variants = rows
    started = time.perf_counter()
    async with rt.engine.connect() as conn:
        pg = (await conn.get_raw_connection()).driver_connection
        async with pg.transaction():
            done = await pg.fetchval("SELECT count(*) FROM products WHERE id <= $1", upto)
            await pg.copy_records_to_table(
                "products",
                records=[p for p in products if done < p[0] <= upto],
                columns=catalog.PRODUCT_COLUMNS,
            )
            await pg.copy_records_to_table(
                "variants",
                records=[v for v in variants if done < v[0] <= upto],
                columns=catalog.VARIANT_COLUMNS,
            )
        await pg.execute("VACUUM ANALYZE products, variants")
    return time.perf_counter() - started


async def _price_and_stock(rt: Any, *, first: int, last: int, locations: int) -> None:
    """Shelf prices for the variants of products first..last (the pages shown) and stock at
    the first warehouse and a dozen stores each, through the services."""
    from domain.pricing.services.prices import PriceInput, set_prices
    from inventory.importer import import_stock

    async with rt.session_factory() as session:
        skus = list(
            (
                await session.execute(
                    text("SELECT sku FROM variants WHERE product_id BETWEEN :a AND :b ORDER BY id"),
                    {"a": first, "b": last},
                )
            ).scalars()
        )
    await set_prices(
        rt.uow(),
        actor="bench",
        prices=[
            PriceInput(sku=s, amount=1_990_00 + 1000 * n, compare_at=2_490_00 if n % 3 else None)
            for n, s in enumerate(skus)
        ],
    )
    lines = []
    for n, sku in enumerate(skus):
        if n % 7 != 6:  # some only in stores
            lines.append(f"{sku},L000,{5 + n % 9}")
        for k in range(STOCKED_STORES):
            lines.append(f"{sku},L{5 + (n * 13 + k * 17) % (locations - 5):03d},{(n + k) % 4}")
    await import_stock(rt.uow, "sku,location,on_hand\n" + "\n".join(lines) + "\n", actor="bench")


async def setup(database_url: str) -> Data:
    from api.relay import encode_id

    print(f"storefront: generating {LARGE:,} catalog rows", flush=True)
    rows = catalog._rows(*await _structure(database_url))
    async with bench_runtime(database_url) as rt:
        seconds = await _load_products(rt, rows, upto=SMALL)
        async with rt.session_factory() as session:
            # ids above the generated catalog for everything else, so it can grow in the run
            await session.execute(text(f"SELECT setval('products_id_seq', {LARGE})"))
            await session.commit()
        print(f"storefront: {SMALL:,} products in {seconds:.1f} s", flush=True)
    data = await inventory.setup(database_url)  # 200 locations, CHECK-1, HOT-1, staff token
    data["orders"] = await orders.setup(database_url)
    data["loyalty"] = await _customers(database_url)
    async with bench_runtime(database_url) as rt:
        await _price_and_stock(rt, first=SMALL - 19, last=SMALL, locations=inventory.LOCATIONS)
        key = await _web_key(rt)
        async with rt.session_factory() as session:
            # the generated catalog is the newest, above the other scenarios' bench products
            await session.execute(
                text(f"UPDATE products SET created_at = now() WHERE id <= {SMALL}")
            )
            await session.commit()
    data.update(
        api_key=key,
        headphones=str(encode_id("Category", await _headphones(database_url))),
        rows=rows,
    )
    return data


async def _structure(database_url: str) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    async with bench_runtime(database_url) as rt:
        return await catalog._structure(rt)


async def _headphones(database_url: str) -> int:
    async with bench_runtime(database_url) as rt, rt.session_factory() as session:
        return int(await session.scalar(text("SELECT id FROM categories WHERE slug='headphones'")))


async def _web_key(rt: Any) -> str:
    from domain.access import services as access
    from domain.access.model import Channel

    key = await access.create_api_key(
        rt.uow(), actor="bench", name="bench storefront", channel=Channel.WEB, location_id=None
    )
    return str(key.key)


async def _customers(database_url: str) -> Data:
    """The loyalty scenario's till, cashier and generate_series customers, at CUSTOMERS."""
    saved = loyalty.CUSTOMERS
    loyalty.CUSTOMERS = CUSTOMERS
    try:
        return await loyalty.setup(database_url)
    finally:
        loyalty.CUSTOMERS = saved


async def grow(ctx: CaseContext) -> CaseResult:
    """Not a measurement: the catalog grows from 1,000 to 50,000 products (COPY), and the
    newest page gets prices and stock like the first one had."""
    async with bench_runtime(ctx.database_url) as rt:
        seconds = await _load_products(rt, ctx.data["rows"], upto=LARGE)
        await _price_and_stock(rt, first=LARGE - 19, last=LARGE, locations=inventory.LOCATIONS)
        async with rt.session_factory() as session:
            slug = await session.scalar(text(f"SELECT slug FROM products WHERE id = {LARGE}"))
    ctx.data["slug"] = slug
    result = CaseResult(name="grow-to-50k", requests=0, errors=0, seconds=0, p50_ms=0, p99_ms=0)
    result.extra.update(products=LARGE, load_s=round(seconds, 1))
    return result


def page(data: Data) -> Request:
    return graphql(PAGE, api_key=data["api_key"])


def detail(data: Data) -> Request:
    # the slug of the newest product once the catalog has grown (set up before: the 1k one)
    return graphql(DETAIL, {"slug": data.get("slug") or _slug(data)}, api_key=data["api_key"])


def _slug(data: Data) -> str:
    product = next(p for p in data["rows"][0] if p[0] == LARGE)
    return str(product[1])


def _raw(path: str, request: Request) -> Request:
    return Request(path, request.body, request.headers)


def stock_check(data: Data) -> Request:
    return inventory.stock_check(data)


def lookup(data: Data) -> list[Request]:
    return loyalty.by_phone(data["loyalty"])


def _via(prefix: str, name: str, build: Any) -> Any:
    """``build``'s requests, sent to POST /<prefix>/<name> of a baseline server."""

    def requests(data: Data) -> list[Request]:
        built = build(data)
        return [
            _raw(f"/{prefix}/{name}", r) for r in (built if isinstance(built, list) else [built])
        ]

    return requests


def _sql(name: str, build: Any) -> Any:
    return _via("sql", name, build)


def _catalog_case(size: str, kind: str) -> HttpCase:
    build = {"page": page, "search": catalog.search, "faceted": catalog.faceted}[kind]
    return HttpCase(f"{kind}-{size}", build, concurrency=1)


def _at(clients: int) -> list[HttpCase]:
    n, c = f"c{clients}", clients
    return [
        HttpCase(f"page-{n}", page, concurrency=c),
        HttpCase(f"page-sql-{n}", _sql("page", page), server="sql", concurrency=c,
                 same_as=f"page-{n}"),
        HttpCase(f"page-mem-{n}", _via("mem", "page", page), server="sql", concurrency=c,
                 same_as=f"page-{n}"),
        HttpCase(f"detail-{n}", detail, concurrency=c),
        HttpCase(f"detail-sql-{n}", _sql("detail", detail), server="sql", concurrency=c,
                 same_as=f"detail-{n}"),
        HttpCase(f"detail-mem-{n}", _via("mem", "detail", detail), server="sql", concurrency=c,
                 same_as=f"detail-{n}"),
        HttpCase(f"stockCheck-{n}", stock_check, concurrency=c),
        HttpCase(f"stockCheck-mem-{n}", _via("raw", "stockCheck-c1", stock_check),
                 server="raw", concurrency=c),
        HttpCase(f"lookup-{n}", lookup, concurrency=c, check=loyalty._found),
        HttpCase(f"lookup-sql-{n}", _sql("lookup", lookup), server="sql", concurrency=c,
                 same_as=f"lookup-{n}"),
        HttpCase(f"lookup-mem-{n}", _via("raw", "lookup-c1", lookup), server="raw",
                 concurrency=c),
    ]  # fmt: skip


CASES = [
    *(_catalog_case("1k", k) for k in ("page", "search", "faceted")),
    CustomCase("grow-to-50k", grow),
    *(_catalog_case("50k", k) for k in ("page", "search", "faceted")),
    *_at(1),
    *_at(8),
    CustomCase("reserve-raw-asyncpg", inventory.reserve_raw),
    CustomCase("reserve-service", inventory.reserve_service),
    CustomCase("checkout-3-lines", lambda ctx: orders.checkout_3_lines(_orders(ctx)), api_cpu=True),
]


def _orders(ctx: CaseContext) -> CaseContext:
    from dataclasses import replace

    return replace(ctx, data=ctx.data["orders"])


def _compare() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {f"{k}-50k": [f"{k}-1k"] for k in ("page", "search", "faceted")}
    for n in ("c1", "c8"):
        for kind in ("page", "detail"):
            out[f"{kind}-{n}"] = [f"{kind}-sql-{n}", f"{kind}-mem-{n}"]
            out[f"{kind}-sql-{n}"] = [f"{kind}-mem-{n}"]
        out[f"lookup-{n}"] = [f"lookup-sql-{n}", f"lookup-mem-{n}"]
        out[f"lookup-sql-{n}"] = [f"lookup-mem-{n}"]
        out[f"stockCheck-{n}"] = [f"stockCheck-mem-{n}"]
    return out


SCENARIO = Scenario(
    name="storefront",
    description="issue 14.5: storefront page, product page, stockCheck, customerLookup at 1 and "
    "8 clients beside raw SQL and in-memory twins; page/search/facets at 1k vs 50k products; "
    "hot-SKU reservations; checkout CPU (1 worker, CPU ms/request from /proc)",
    setup=setup,
    cases=CASES,
    raw_mirror=("stockCheck-c1", "lookup-c1"),
    sql_app="bench.storefront_sql:create_app",
    workers=1,
    duration=6.0,
    warmup=1.0,
    compare=_compare(),
)
