"""Pricing pieces of catalog fields: a variant's shelf price, a product's price range, and the
price filter / sort of ``products`` (all from the one engine via ``domain.pricing.services``)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from api.access.types import Channel
from api.pricing import loaders
from api.pricing.types import PriceRangeType, ShelfPriceType
from domain.catalog import browse
from domain.catalog.model import BrowseSpec
from domain.pricing import services
from domain.shared.errors import ValidationFailed

#: Price filter/sort evaluates the engine on the matching products; beyond this many, narrow
#: the search first (a denormalised price index is the next step, see docs/pricing.md).
MAX_PRICED_PRODUCTS = 2000


@strawberry.input(description="Shelf price bounds in minor units (kopecks), inclusive.")
class PriceFilterInput:
    gte: int | None = None
    lte: int | None = None


@strawberry.enum(description="Order by the product's lowest shelf price.")
class PriceSort(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


async def variant_price(
    info: Info, variant_id: int, channel: Channel | None
) -> ShelfPriceType | None:
    ch, location = loaders.channel_and_store(info, channel)
    found = await loaders.shelf_price(info).load((variant_id, ch, location))
    return ShelfPriceType.build(found) if found is not None else None


async def product_price_range(
    info: Info, product_id: int, channel: Channel | None
) -> PriceRangeType | None:
    """From the variants' shelf prices: shares the page's one shelf-price batch with
    ``Variant.price`` instead of pricing the variants twice."""
    from api.catalog.loaders import variants_of_product

    ch, location = loaders.channel_and_store(info, channel)
    variants = await variants_of_product(info).load(product_id)
    found = [
        s
        for s in await loaders.shelf_price(info).load_many([(v.id, ch, location) for v in variants])
        if s is not None
    ]
    if not found:
        return None
    cheapest = min(found, key=lambda s: (s.amount, s.variant_id))
    return PriceRangeType.build(
        services.PriceRange(
            product_id,
            cheapest.currency,
            cheapest.amount,
            max(s.amount for s in found),
            cheapest.compare_at,
        )
    )


async def priced_page(
    info: Info,
    session: AsyncSession,
    spec: BrowseSpec,
    *,
    channel: Channel | None,
    price: PriceFilterInput | None,
    sort: PriceSort | None,
    limit: int,
    after: list[Any] | None,
) -> list[browse.PageRow]:
    """Up to ``limit`` rows after ``after``; with ``sort`` the cursor is [price, product id],
    otherwise the catalog's own cursor and order are kept."""
    if price is not None and price.gte is not None and price.lte is not None:
        if price.gte > price.lte:
            raise ValidationFailed("The lowest price is above the highest.", field="filter.price")
    rows = await browse.page(session, spec, limit=MAX_PRICED_PRODUCTS + 1, after=None)
    if len(rows) > MAX_PRICED_PRODUCTS:
        raise ValidationFailed(
            f"Filtering or sorting by price covers at most {MAX_PRICED_PRODUCTS} products; "
            "narrow the search with a category, brand or text first.",
            field="filter.price",
        )
    ch, location = loaders.channel_and_store(info, channel)
    ranges = await services.product_price_ranges(
        session, [r.product.id for r in rows], channel=ch, location_id=location
    )
    kept = [
        r
        for r in rows
        if r.product.id in ranges and _within(ranges[r.product.id].min_amount, price)
    ]
    if sort is None:
        return _after(kept, after, key=lambda r: r.cursor)[:limit]
    descending = sort is PriceSort.DESC
    priced = [
        browse.PageRow(product=r.product, cursor=[ranges[r.product.id].min_amount, r.product.id])
        for r in kept
    ]
    priced.sort(key=lambda r: (r.cursor[0], r.cursor[1]), reverse=descending)
    if after is not None:
        marker = (int(after[0]), int(after[1]))
        priced = [
            r
            for r in priced
            if (
                (r.cursor[0], r.cursor[1]) < marker
                if descending
                else (r.cursor[0], r.cursor[1]) > marker
            )
        ]
    return priced[:limit]


def _beyond(key: tuple[int, int], marker: tuple[int, int], descending: bool) -> bool:
    return key < marker if descending else key > marker


def _within(amount: int, price: PriceFilterInput | None) -> bool:
    if price is None:
        return True
    return (price.gte is None or amount >= price.gte) and (price.lte is None or amount <= price.lte)


def _after(rows: Sequence[browse.PageRow], after: list[Any] | None, *, key: Any) -> list[Any]:
    if after is None:
        return list(rows)
    for i, r in enumerate(rows):
        if key(r) == after:
            return list(rows[i + 1 :])
    return []
