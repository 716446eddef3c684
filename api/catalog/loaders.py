"""Per-request catalog DataLoaders (each batch in its own short session)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from domain.catalog import queries


async def _children(session: AsyncSession, keys: Sequence[int]) -> dict[int, Any]:
    found = await queries.child_categories(session, list(keys))
    return {k: found.get(k, []) for k in keys}


def product(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("catalog.product", queries.products_by_ids)


def product_by_slug(info: Info) -> DataLoader[str, Any]:
    return info.context.loaders.by_key("catalog.product_by_slug", queries.products_by_slugs)


def variant(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("catalog.variant", queries.variants_by_ids)


def variant_by_sku(info: Info) -> DataLoader[str, Any]:
    return info.context.loaders.by_key("catalog.variant_by_sku", queries.variants_by_skus)


def variant_by_barcode(info: Info) -> DataLoader[str, Any]:
    return info.context.loaders.by_key("catalog.variant_by_barcode", queries.variants_by_barcodes)


def variants_of_product(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key(
        "catalog.variants_of_product", queries.live_variants_by_product_ids, default=[]
    )


def brand(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("catalog.brand", queries.brands_by_ids)


def category(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("catalog.category", queries.categories_by_ids)


def category_children(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("catalog.category_children", _children, default=[])


def product_type(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("catalog.product_type", queries.product_types_by_ids)


def attribute(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key("catalog.attribute", queries.attributes_by_ids)


def attribute_by_code(info: Info) -> DataLoader[str, Any]:
    return info.context.loaders.by_key("catalog.attribute_by_code", queries.attributes_by_codes)


def attributes_of_type(info: Info) -> DataLoader[int, Any]:
    return info.context.loaders.by_key(
        "catalog.attributes_of_type", queries.attributes_by_type_ids, default=[]
    )


async def fresh(loader: DataLoader[Any, Any], key: Any) -> Any:
    """Load after a write in this request: drop what an earlier field may have cached."""
    with contextlib.suppress(KeyError):  # strawberry's clear() raises for an uncached key
        loader.clear(key)
    return await loader.load(key)
