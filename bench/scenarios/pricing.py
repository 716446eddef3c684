"""Pricing: ``priceQuote`` for a 30-line cart against 50 active promotions, and a catalog page of
20 products with and without prices (ratio = what pricing adds to a page).

``BENCH_PRICING_PRODUCTS`` (default 5,000 products, 2 variants each, all priced). The catalog
rows come from the catalog scenario's generator and are written with COPY, prices too; the 50
promotions (catalogue on categories/brands/products, order-level of every kind, store-scoped,
personalised and voucher-only) go through the pricing services.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime

from sqlalchemy import text

from bench import Data, HttpCase, Request, Scenario, graphql, runtime
from bench.scenarios import catalog as catalog_bench
from domain.access import services as access
from domain.access.model import Channel
from domain.pricing import model, services

PRODUCTS = int(os.environ.get("BENCH_PRICING_PRODUCTS", "5000"))
CART_LINES = 30
PROMOTIONS = 50

QUOTE = """query($input: PriceQuoteInput!) { priceQuote(input: $input) {
  userErrors { code message }
  quote { total { amount } vatTotal { amount } discountTotal { amount }
    lines { sku unitPrice { amount } total { amount } vat { amount }
      discounts { promotionName amount { amount } } }
    considered { promotionName applied reason } vouchers { code accepted } } } }"""
PAGE_FIELDS = """edges { node { id slug title brand { name }
  variants { id sku %s } %s } } pageInfo { hasNextPage endCursor }"""
PAGE = "query { products(first: 20, sort: NEWEST) { " + PAGE_FIELDS % ("", "") + " } }"
PRICED_PAGE = (
    "query { products(first: 20, sort: NEWEST) { "
    + PAGE_FIELDS
    % (
        "price { price { amount } compareAt { amount } vat { amount } }",
        "priceRange { min { amount } max { amount } }",
    )
    + " } }"
)


def _promotions(categories: dict[str, int], brands: dict[str, int], store: int) -> list:
    rng = random.Random(50)
    k = model.PromotionKind
    cats = list(categories.values())
    brand_ids = list(brands.values())
    out = []
    for i in range(PROMOTIONS):
        kind = [k.PERCENT_OFF_ITEMS, k.AMOUNT_OFF_ITEMS, k.ORDER_PERCENT, k.SPEND_GET_OFF,
                k.BUY_X_GET_Y, k.BUNDLE_PRICE, k.FREE_SHIPPING][i % 7]  # fmt: skip
        target = model.Target()
        if i % 3 == 0:
            target = model.Target(category_ids=frozenset({rng.choice(cats)}))
        elif i % 3 == 1:
            target = model.Target(brand_ids=frozenset({rng.choice(brand_ids)}))
        elif kind in (k.PERCENT_OFF_ITEMS, k.AMOUNT_OFF_ITEMS, k.BUY_X_GET_Y, k.BUNDLE_PRICE):
            target = model.Target(product_ids=frozenset(rng.sample(range(1, PRODUCTS + 1), 20)))
        out.append(model.Promotion(
            id=0, name=f"Bench {i}", kind=kind, percent_bp=rng.choice([500, 1000, 1500, 10_000]),
            amount=rng.choice([50_000, 100_000, 300_000]), threshold=rng.choice([100_000, 1_000_000]),
            buy_quantity=2, get_quantity=1, target=target, priority=rng.randint(0, 5),
            exclusive=i % 5 == 0, channels=frozenset({Channel.POS}) if i % 11 == 0 else frozenset(),
            location_ids=frozenset({store}) if i % 11 == 0 else frozenset(),
            tiers=frozenset({"GOLD"}) if i % 13 == 0 else frozenset(),
            voucher_only=i == PROMOTIONS - 1,
        ))  # fmt: skip
    return out


async def setup(database_url: str) -> Data:
    async with runtime(database_url) as rt:
        types, categories, brands = await catalog_bench._structure(rt)
        key = await access.create_api_key(
            rt.uow(), actor="bench", name="bench web", channel=Channel.WEB, location_id=None
        )
        started = time.perf_counter()
        catalog_bench.PRODUCTS = PRODUCTS  # the generator reads the module's count
        products, variants = catalog_bench._rows(types, categories, brands)
        rng = random.Random(7)
        now = datetime.now(UTC)
        async with rt.engine.connect() as conn:
            pg = (await conn.get_raw_connection()).driver_connection
            async with pg.transaction():
                await pg.copy_records_to_table(
                    "products", records=products, columns=catalog_bench.PRODUCT_COLUMNS
                )
                await pg.copy_records_to_table(
                    "variants", records=variants, columns=catalog_bench.VARIANT_COLUMNS
                )
                await pg.execute(f"SELECT setval('products_id_seq', {PRODUCTS})")
                ids = [r["id"] for r in await pg.fetch("SELECT id FROM variants ORDER BY id")]
                prices = []
                for vid in ids:
                    amount = rng.randrange(99_000, 19_999_000, 1000) + 99_000 % 1000
                    compare_at = amount * 6 // 5 if vid % 5 == 0 else None
                    prices.append((vid, "RUB", amount, compare_at, [], now, now, "bench"))
                await pg.copy_records_to_table(
                    "prices",
                    records=prices,
                    columns=["variant_id", "currency", "amount", "compare_at", "channels",
                             "starts_at", "start_announced_at", "created_by"],
                )  # fmt: skip
            await pg.execute("VACUUM ANALYZE products, variants, prices")
        store = await _store(rt)
        for p in _promotions(categories, brands, store):
            pid = await services.create_promotion(rt.uow(), actor="bench", promotion=p)
            if p.voucher_only:
                await services.create_voucher(
                    rt.uow(), actor="bench", voucher=model.Voucher("BENCH10", pid)
                )
        print(f"pricing: {PRODUCTS:,} products, {len(ids):,} prices, {PROMOTIONS} promotions in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        async with rt.session_factory() as session:
            skus = list(
                await session.scalars(
                    text("SELECT sku FROM variants ORDER BY id LIMIT :n"), {"n": CART_LINES * 20}
                )
            )
    carts = [random.Random(i).sample(skus, CART_LINES) for i in range(10)]
    return {"api_key": key.key, "carts": carts}


async def _store(rt) -> int:  # type: ignore[no-untyped-def]
    from inventory import services as inventory
    from inventory.model import LocationKind

    return await inventory.create_location(
        rt.uow(), code="B01", name="Bench store", kind=LocationKind.STORE
    )


def quote(data: Data) -> list[Request]:
    return [
        graphql(
            QUOTE,
            {
                "input": {
                    "lines": [{"sku": s, "quantity": 1 + i % 3} for i, s in enumerate(cart)],
                    "voucherCodes": ["BENCH10"],
                    "shipping": 39_900,
                }
            },
            api_key=data["api_key"],
        )
        for cart in data["carts"]
    ]


def page(data: Data) -> Request:
    return graphql(PAGE, api_key=data["api_key"])


def priced_page(data: Data) -> Request:
    return graphql(PRICED_PAGE, api_key=data["api_key"])


SCENARIO = Scenario(
    name="pricing",
    description=f"priceQuote, {CART_LINES}-line cart, {PROMOTIONS} active promotions; "
    f"a page of 20 products with vs without prices ({PRODUCTS:,} priced products)",
    setup=setup,
    cases=[
        HttpCase("page", page),
        HttpCase("page-with-prices", priced_page),
        HttpCase("quote-30-lines", quote),
    ],
    baseline="page",
)
