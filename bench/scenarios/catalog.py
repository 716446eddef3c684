# ruff: noqa: E501  (generator tables read best one record per line)
"""Storefront catalog reads on a generated catalog (default 50,000 products, 2 variants each):
a page of 20 products with variants and attributes, a search, a faceted filter with facet
counts, and the relative filter, beside the raw Starlette endpoint returning the page's JSON.

``BENCH_CATALOG_PRODUCTS=1000 python -m bench catalog`` for the small catalog. The structure
(attributes, product types, categories) goes through the services; products and variants are
written with COPY in one transaction (seconds for 50,000, not the minutes of 50,000 mutations).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import orjson
from sqlalchemy import text

from bench import Data, HttpCase, Request, Scenario, graphql, runtime
from domain.access import services as access
from domain.access.model import Channel
from domain.catalog import demo_data, model, structure
from domain.catalog.queries import all_attributes, categories_by_slugs, product_types_by_codes

PRODUCTS = int(os.environ.get("BENCH_CATALOG_PRODUCTS", "50000"))
VARIANTS_PER_PRODUCT = 2

FIELDS = """
  edges { cursor node {
    id slug title brand { name } category { name } productType { code }
    card: attributes(shownOnCard: true) { code display }
    variants { id sku barcode options { name value } attributes { code display } }
  } }
  pageInfo { hasNextPage endCursor }
"""
PAGE = "query { products(first: 20, sort: NEWEST) {" + FIELDS + "} }"
SEARCH = "query($q: String!) { products(search: $q, first: 20) {" + FIELDS + "} }"
FACETED = (
    "query($f: ProductFilter!) { products(filter: $f, first: 20, sort: NAME) { totalCount "
    "facets { code range { min max } values { value label count } }" + FIELDS + "} }"
)
SEARCHES = ["наушники sony", "sennhiser", "samsung galaxy", "ноутбук lenovo", "телевизор oled",
            "беспроводные наушники jbl", "macbook air", "xiaomi redmi", "чехол iphone",
            "marshal major"]  # fmt: skip

# type code -> (share of the catalog, category slug, title word ru, en, brands)
TYPES = {
    "headphones": (0.3, "headphones", "Наушники", "headphones",
                   ["Sony", "Sennheiser", "Bose", "Marshall", "JBL", "Apple", "Beats", "Xiaomi"]),
    "smartphone": (0.25, "smartphones", "Смартфон", "smartphone",
                   ["Apple", "Samsung", "Xiaomi", "Google", "Honor", "realme", "OnePlus"]),
    "laptop": (0.15, "laptops", "Ноутбук", "laptop",
               ["Apple", "Lenovo", "ASUS", "HP", "Huawei", "Acer", "MSI"]),
    "tv": (0.15, "tv", "Телевизор", "TV", ["Samsung", "LG", "Sony", "Xiaomi", "TCL", "Hisense"]),
    "accessory": (0.15, "chargers", "Зарядное устройство", "charger",
                  ["Anker", "Ugreen", "Baseus", "Xiaomi", "Samsung", "Apple"]),
}  # fmt: skip
SERIES = ["Pro", "Max", "Lite", "Air", "Plus", "Ultra", "Neo", "Mini", "Edge", "Prime"]


def _attributes(kind: str, rng: random.Random) -> dict[str, Any]:
    if kind == "headphones":
        ff = rng.choice(["over-ear", "on-ear", "in-ear"])
        return {"form_factor": ff, "weight": rng.randint(4, 9) if ff == "in-ear" else
                rng.randint(140, 390), "bass_level": rng.randint(3, 10),
                "detail": rng.randint(3, 10), "impedance": rng.choice([16, 32, 38, 80, 250]),
                "wireless": rng.random() < 0.8, "noise_cancelling": rng.random() < 0.5}  # fmt: skip
    if kind == "smartphone":
        return {"screen_size": rng.choice([6.1, 6.4, 6.7, 6.8]), "storage_gb": 128,
                "ram_gb": rng.choice([4, 6, 8, 12]), "os": rng.choice(["android", "ios"]),
                "battery_mah": rng.randrange(3000, 6000, 100), "weight": rng.randint(160, 240),
                "nfc": rng.random() < 0.9}  # fmt: skip
    if kind == "laptop":
        return {"screen_size": rng.choice([13.6, 14.0, 15.6, 16.0]), "ram_gb": rng.choice([8, 16, 32]),
                "storage_gb": rng.choice([256, 512, 1024]), "os": rng.choice(["windows", "macos", "none"]),
                "weight": rng.randint(1000, 2800), "battery_hours": rng.randint(5, 22),
                "cpu": rng.choice(["Intel Core i5", "Intel Core i7", "AMD Ryzen 7", "Apple M3"])}  # fmt: skip
    if kind == "tv":
        size = rng.choice([32, 43, 50, 55, 65, 75])
        return {"screen_size": size, "resolution": rng.choice(["fhd", "4k", "4k", "8k"]),
                "panel": rng.choice(["led", "qled", "oled", "miniled"]),
                "refresh_rate": rng.choice([60, 120, 144]), "smart_tv": True, "weight": size * 280}  # fmt: skip
    return {"accessory_kind": "charger", "power_w": rng.choice([20, 25, 30, 45, 65, 100]),
            "compatible_with": "USB-C", "weight": rng.randint(40, 200), "wireless": False}  # fmt: skip


async def _structure(rt: Any) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    await demo_data.ensure_structure(rt.uow, actor="bench")
    brands = sorted({b for *_, names in TYPES.values() for b in names})
    for name in brands:
        await structure.create_brand(rt.uow(), actor="bench", name=name)
    async with rt.session_factory() as session:
        types = {c: r.id for c, r in (await product_types_by_codes(session, TYPES)).items()}
        slugs = [t[1] for t in TYPES.values()]
        categories = {s: r.id for s, r in (await categories_by_slugs(session, slugs)).items()}
        brand_ids = dict(
            (await session.execute(text("SELECT name, id FROM brands"))).tuples().all()
        )
        assert await all_attributes(session)
    return types, categories, brand_ids


def _rows(types: dict[str, int], categories: dict[str, int], brands: dict[str, int]) -> Any:
    rng = random.Random(50_000)
    kinds = [k for k, t in TYPES.items() for _ in range(int(t[0] * 100))]
    products, variants = [], []
    for i in range(1, PRODUCTS + 1):
        kind = kinds[i % len(kinds)]
        _share, category, word_ru, word_en, names = TYPES[kind]
        brand = names[i % len(names)]
        model_name = f"{rng.choice(SERIES)} {i}"
        attrs = _attributes(kind, rng)
        title = f"{word_ru} {brand} {model_name}"
        slug = model.slugify(f"{brand} {model_name} {word_en}")
        products.append((
            i, slug, title, f"{brand} {model_name} {word_en}", f"{title}: описание.",
            f"{brand} {model_name} {word_en}: description.", brands[brand], categories[category],
            types[kind], orjson.dumps(attrs).decode(), '["https://img.omni.example/p.jpg"]',
            "ACTIVE", True, True, f"{brand} {word_ru} {word_en}",
        ))  # fmt: skip
        for v in range(VARIANTS_PER_PRODUCT):
            serial = i * VARIANTS_PER_PRODUCT + v
            body = f"461{serial:09d}"
            override = {"storage_gb": 256} if kind == "smartphone" and v == 1 else {}
            variants.append((
                i, f"B-{i}-{v}", body + str(model.gtin_check_digit(body)), ["Чёрный", "Белый"][v],
                orjson.dumps({"Цвет": ["Чёрный", "Белый"][v]}).decode(), orjson.dumps(override).decode(),
                orjson.dumps({**attrs, **override}).decode(), attrs.get("weight"), v,
            ))  # fmt: skip
    return products, variants


PRODUCT_COLUMNS = ["id", "slug", "title", "title_en", "description", "description_en", "brand_id",
                   "category_id", "product_type_id", "attributes", "media", "status",
                   "published_online", "published_in_store", "keywords"]  # fmt: skip
VARIANT_COLUMNS = ["product_id", "sku", "barcode", "title", "options", "attributes",
                   "effective_attributes", "weight_grams", "position"]  # fmt: skip


async def setup(database_url: str) -> Data:
    async with runtime(database_url) as rt:
        types, categories, brands = await _structure(rt)
        key = await access.create_api_key(
            rt.uow(), actor="bench", name="bench web", channel=Channel.WEB, location_id=None
        )
        started = time.perf_counter()
        products, variants = _rows(types, categories, brands)
        async with rt.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            pg = raw.driver_connection
            async with pg.transaction():
                await pg.copy_records_to_table(
                    "products", records=products, columns=PRODUCT_COLUMNS
                )
                await pg.copy_records_to_table(
                    "variants", records=variants, columns=VARIANT_COLUMNS
                )
                await pg.execute(f"SELECT setval('products_id_seq', {PRODUCTS})")
            await pg.execute("VACUUM ANALYZE products, variants")
        print(f"catalog: {PRODUCTS:,} products, {len(variants):,} variants in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        async with rt.session_factory() as session:
            reference = await session.scalar(
                text("SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id "
                     "WHERE p.attributes->>'form_factor' = 'over-ear' ORDER BY v.id LIMIT 1")
            )  # fmt: skip
    from api.relay import encode_id

    return {
        "api_key": key.key,
        "headphones": str(encode_id("Category", categories["headphones"])),
        "reference": str(encode_id("Variant", int(reference))),
    }


def page(data: Data) -> Request:
    return graphql(PAGE, api_key=data["api_key"])


def search(data: Data) -> list[Request]:
    return [graphql(SEARCH, {"q": q}, api_key=data["api_key"]) for q in SEARCHES]


def faceted(data: Data) -> list[Request]:
    out = []
    for ff, top in [("over-ear", 300), ("in-ear", 8), ("on-ear", 250)]:
        f = {"categoryId": data["headphones"],
             "attributes": [{"code": "form_factor", "values": [ff]},
                            {"code": "weight", "range": {"lte": top}},
                            {"code": "wireless", "boolean": True}]}  # fmt: skip
        out.append(graphql(FACETED, {"f": f}, api_key=data["api_key"]))
    return out


def relative(data: Data) -> Request:
    f = {"comparedTo": {"variantId": data["reference"],
                        "attributes": [{"code": "weight", "direction": "LESS"},
                                       {"code": "bass_level", "direction": "GREATER"}]}}  # fmt: skip
    return graphql(SEARCH.replace("search: $q, ", "filter: $f, ").replace("$q: String!",
                   "$f: ProductFilter!"), {"f": f}, api_key=data["api_key"])  # fmt: skip


SCENARIO = Scenario(
    name="catalog",
    description=f"products on {PRODUCTS:,} products: page of 20 with variants and attributes, "
    "search, faceted filter with facet counts, relative filter; raw Starlette beside the page",
    setup=setup,
    cases=[
        HttpCase("raw", page, server="raw"),
        HttpCase("page", page),
        HttpCase("search", search),
        HttpCase("faceted", faceted),
        HttpCase("relative", relative),
    ],
    baseline="raw",
    raw_mirror="page",
)
