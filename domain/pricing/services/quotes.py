"""Pricing reads through the engine: a cart quote, and shelf prices for catalog pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Channel
from domain.catalog import queries as catalog
from domain.pricing import model, queries
from domain.pricing.errors import UnknownSku
from domain.pricing.services.common import customer_profile
from domain.shared.clock import utcnow
from domain.shared.errors import DomainError, MultipleErrors, NotFound, ValidationFailed


@dataclass(frozen=True)
class LineRequest:
    quantity: int
    variant_id: int | None = None
    sku: str | None = None


async def _cart_items(session: AsyncSession, lines: Sequence[LineRequest]) -> list[model.Item]:
    by_id = await queries.items_by_variant_ids(
        session, [r.variant_id for r in lines if r.variant_id is not None]
    )
    by_sku = await queries.items_by_skus(session, [r.sku for r in lines if r.sku is not None])
    errors: list[DomainError] = []
    items: list[model.Item] = []
    for i, r in enumerate(lines):
        if (r.variant_id is None) == (r.sku is None):
            errors.append(
                ValidationFailed(f"Line {i + 1}: give a variantId or a sku.", field=f"lines[{i}]")
            )
            continue
        item = by_id.get(r.variant_id) if r.variant_id is not None else by_sku.get(r.sku or "")
        if item is None:
            errors.append(
                UnknownSku(f"There is no SKU {r.sku}; check the label.", field=f"lines[{i}].sku")
                if r.sku is not None
                else NotFound(f"Line {i + 1}: no such variant.", field=f"lines[{i}].variantId")
            )
            continue
        items.append(item)
    if not lines:
        errors.append(ValidationFailed("Add at least one line to price.", field="lines"))
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return items


async def price_quote(
    session: AsyncSession,
    *,
    channel: Channel,
    lines: Sequence[LineRequest],
    location_id: int | None = None,
    customer_id: int | None = None,
    voucher_codes: Sequence[str] = (),
    currency: str = "RUB",
    country: str = "RU",
    region: str | None = None,
    shipping: int = 0,
    at: datetime | None = None,
) -> model.Quote:
    """Load what the engine needs and run it. Read-only: vouchers are not consumed here (the
    order calls ``consume_vouchers`` in its own transaction)."""
    at = at or utcnow()
    items = await _cart_items(session, lines)
    prices = await queries.price_entries(session, [i.variant_id for i in items], currency=currency)
    promotions = await queries.promotions_in_force(session, at=at)
    vouchers = await queries.vouchers_for_quote(session, voucher_codes, customer_id=customer_id)
    promotions += await queries.voucher_promotions(
        session, vouchers.values(), known=[p.id for p in promotions]
    )
    context = model.QuoteContext(
        channel=channel,
        at=at,
        currency=currency,
        location_id=location_id,
        customer=await customer_profile(session, customer_id, at=at),
        country=country,
        region=region,
        tax_rates=await queries.tax_rates(session),
        voucher_codes=tuple(voucher_codes),
        vouchers=vouchers,
    )
    cart = model.Cart(
        tuple(model.CartLine(item, r.quantity) for item, r in zip(items, lines, strict=True)),
        shipping=shipping,
    )
    return model.quote(cart, prices, promotions, context)


@dataclass(frozen=True)
class ShelfPrice:
    variant_id: int
    currency: str
    amount: int  # what the label says: list price less catalogue promotions
    list_amount: int
    compare_at: int | None
    tax_rate_bp: int
    tax: int
    promotion_ids: tuple[int, ...]


async def shelf_prices(
    session: AsyncSession,
    variant_ids: Sequence[int],
    *,
    channel: Channel,
    location_id: int | None = None,
    currency: str = "RUB",
    at: datetime | None = None,
    promotions: Sequence[model.Promotion] | None = None,
) -> dict[int, ShelfPrice]:
    """Per variant, the one-unit price a product page or shelf label shows (no personal offers,
    no vouchers). Variants without a price in force are absent."""
    at = at or utcnow()
    items = await queries.items_by_variant_ids(session, variant_ids)
    prices = await queries.price_entries(session, list(items), currency=currency)
    if promotions is None:
        promotions = await queries.promotions_in_force(session, at=at)
    context = model.QuoteContext(
        channel=channel,
        at=at,
        currency=currency,
        location_id=location_id,
        tax_rates=await queries.tax_rates(session),
    )
    lines = model.shelf_prices(list(items.values()), prices, promotions, context)
    out: dict[int, ShelfPrice] = {}
    for vid, line in lines.items():
        out[vid] = ShelfPrice(
            variant_id=vid,
            currency=currency,
            amount=line.shelf_unit_price,
            list_amount=line.unit_price,
            compare_at=line.compare_at,
            tax_rate_bp=line.tax_rate_bp,
            tax=line.tax,
            promotion_ids=tuple(d.promotion_id for d in line.discounts),
        )
    return out


@dataclass(frozen=True)
class PriceRange:
    product_id: int
    currency: str
    min_amount: int
    max_amount: int
    min_compare_at: int | None  # the "was" price of the cheapest variant, if any


async def product_price_ranges(
    session: AsyncSession,
    product_ids: Sequence[int],
    *,
    channel: Channel,
    location_id: int | None = None,
    currency: str = "RUB",
    at: datetime | None = None,
) -> dict[int, PriceRange]:
    """Lowest and highest shelf price over each product's live variants."""
    variants = await catalog.live_variants_by_product_ids(session, product_ids)
    ids = [v.id for vs in variants.values() for v in vs]
    shelf = await shelf_prices(
        session, ids, channel=channel, location_id=location_id, currency=currency, at=at
    )
    out: dict[int, PriceRange] = {}
    for pid, vs in variants.items():
        found = [shelf[v.id] for v in vs if v.id in shelf]
        if not found:
            continue
        cheapest = min(found, key=lambda s: (s.amount, s.variant_id))
        out[pid] = PriceRange(
            pid,
            currency,
            cheapest.amount,
            max(s.amount for s in found),
            cheapest.compare_at,
        )
    return out
