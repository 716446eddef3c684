"""A small catalog inserted directly (independent of catalog service changes) plus prices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from api.runtime import Runtime


@dataclass
class Catalog:
    brand: dict[str, int]
    category: dict[str, int]
    product: dict[str, int]
    variant: dict[str, int]  # by SKU


async def insert_catalog(runtime: Runtime) -> Catalog:
    async with runtime.engine.begin() as conn:

        async def one(sql: str, **params: Any) -> int:
            return (await conn.execute(text(sql + " RETURNING id"), params)).scalar_one()

        brands = {
            name: await one(
                "INSERT INTO brands (name, slug) VALUES (:n, :s)", n=name, s=name.lower()
            )
            for name in ("Sony", "Apple")
        }
        electronics = await one(
            "INSERT INTO categories (name, slug, position) VALUES ('Электроника', 'electronics', 0)"
        )
        categories = {"electronics": electronics}
        for slug, name in (("headphones", "Наушники"), ("phones", "Смартфоны")):
            categories[slug] = await one(
                "INSERT INTO categories (parent_id, name, slug, position) VALUES (:p, :n, :s, 0)",
                p=electronics,
                n=name,
                s=slug,
            )
        ptype = await one("INSERT INTO product_types (code, name) VALUES ('generic', 'Generic')")
        products: dict[str, int] = {}
        variants: dict[str, int] = {}
        for slug, brand, cat, skus in (
            ("wh-1000xm5", "Sony", "headphones", ["HP-100", "HP-101"]),
            ("wf-1000xm4", "Sony", "headphones", ["EB-200"]),
            ("iphone-15", "Apple", "phones", ["PH-300"]),
        ):
            products[slug] = await one(
                "INSERT INTO products (slug, title, description, brand_id, category_id, "
                "product_type_id, attributes, media, status, published_online, "
                "published_in_store, keywords) VALUES (:slug, :slug, '', :b, :c, :t, '{}', '[]', "
                "'ACTIVE', true, true, '')",
                slug=slug,
                b=brands[brand],
                c=categories[cat],
                t=ptype,
            )
            for pos, sku in enumerate(skus):
                variants[sku] = await one(
                    "INSERT INTO variants (product_id, sku, title, options, attributes, "
                    "effective_attributes, position) "
                    "VALUES (:p, :sku, :sku, '{}', '{}', '{}', :pos)",
                    p=products[slug],
                    sku=sku,
                    pos=pos,
                )
    return Catalog(brands, categories, products, variants)


@pytest.fixture
async def shop(runtime: Runtime) -> Catalog:
    return await insert_catalog(runtime)
