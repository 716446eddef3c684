"""Read-side SQL: price entries, promotions, vouchers, tax data and what the engine needs to know
about variants. Rows become ``model`` objects here so services and loaders stay SQL-free."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Channel
from domain.catalog import queries as catalog
from domain.catalog.tables import ProductRow, VariantRow
from domain.pricing import model
from domain.pricing.tables import (
    CustomerSegmentRow,
    PriceRow,
    ProductTaxClassRow,
    PromotionRow,
    TaxRateRow,
    VoucherCustomerUsageRow,
    VoucherRow,
)


def to_entry(row: PriceRow) -> model.PriceEntry:
    return model.PriceEntry(
        id=row.id,
        variant_id=row.variant_id,
        currency=row.currency,
        amount=row.amount,
        compare_at=row.compare_at,
        channels=frozenset(Channel(c) for c in row.channels),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


def to_target(data: dict[str, list[int]]) -> model.Target:
    return model.Target(
        variant_ids=frozenset(data.get("variant_ids", ())),
        product_ids=frozenset(data.get("product_ids", ())),
        category_ids=frozenset(data.get("category_ids", ())),
        brand_ids=frozenset(data.get("brand_ids", ())),
    )


def target_json(target: model.Target) -> dict[str, list[int]]:
    return {
        "variant_ids": sorted(target.variant_ids),
        "product_ids": sorted(target.product_ids),
        "category_ids": sorted(target.category_ids),
        "brand_ids": sorted(target.brand_ids),
    }


def to_promotion(row: PromotionRow) -> model.Promotion:
    return model.Promotion(
        id=row.id,
        name=row.name,
        kind=model.PromotionKind(row.kind),
        currency=row.currency,
        percent_bp=row.percent_bp,
        amount=row.amount,
        threshold=row.threshold,
        buy_quantity=row.buy_quantity,
        get_quantity=row.get_quantity,
        target=to_target(row.target),
        channels=frozenset(Channel(c) for c in row.channels),
        location_ids=frozenset(row.location_ids),
        customer_ids=frozenset(row.customer_ids),
        tiers=frozenset(row.tiers),
        segments=frozenset(row.segments),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        priority=row.priority,
        exclusive=row.exclusive,
        voucher_only=row.voucher_only,
        status=model.PromotionStatus(row.status),
    )


async def price_entries(
    session: AsyncSession, variant_ids: Iterable[int], *, currency: str | None = None
) -> dict[int, list[model.PriceEntry]]:
    ids = set(variant_ids)
    if not ids:
        return {}
    stmt = select(PriceRow).where(PriceRow.variant_id.in_(ids))
    if currency is not None:
        stmt = stmt.where(PriceRow.currency == currency)
    out: dict[int, list[model.PriceEntry]] = {}
    for row in await session.scalars(stmt.order_by(PriceRow.id)):
        out.setdefault(row.variant_id, []).append(to_entry(row))
    return out


async def price_history(session: AsyncSession, variant_id: int) -> list[PriceRow]:
    rows = await session.scalars(
        select(PriceRow).where(PriceRow.variant_id == variant_id).order_by(PriceRow.id.desc())
    )
    return list(rows)


async def promotions_in_force(session: AsyncSession, *, at: datetime) -> list[model.Promotion]:
    """ACTIVE promotions whose window contains ``at`` (those the engine may consider)."""
    rows = await session.scalars(
        select(PromotionRow)
        .where(
            PromotionRow.status == model.PromotionStatus.ACTIVE.value,
            or_(PromotionRow.starts_at.is_(None), PromotionRow.starts_at <= at),
            or_(PromotionRow.ends_at.is_(None), PromotionRow.ends_at > at),
        )
        .order_by(PromotionRow.id)
    )
    return [to_promotion(r) for r in rows]


async def promotions_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, PromotionRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(PromotionRow).where(PromotionRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def vouchers_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, VoucherRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(VoucherRow).where(VoucherRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def vouchers_for_quote(
    session: AsyncSession, codes: Iterable[str], *, customer_id: int | None
) -> dict[str, model.Voucher]:
    wanted = {model.normalise_code(c) for c in codes}
    if not wanted:
        return {}
    rows = list(await session.scalars(select(VoucherRow).where(VoucherRow.code.in_(wanted))))
    usage: dict[int, int] = {}
    if customer_id is not None and rows:
        found = await session.execute(
            select(VoucherCustomerUsageRow.voucher_id, VoucherCustomerUsageRow.used).where(
                VoucherCustomerUsageRow.customer_id == customer_id,
                VoucherCustomerUsageRow.voucher_id.in_([r.id for r in rows]),
            )
        )
        usage = {vid: used for vid, used in found}
    return {
        r.code: model.Voucher(
            code=r.code,
            promotion_id=r.promotion_id,
            usage_limit=r.usage_limit,
            used=r.used,
            per_customer_limit=r.per_customer_limit,
            used_by_customer=usage.get(r.id, 0),
            min_spend=r.min_spend,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            active=r.active,
        )
        for r in rows
    }


async def voucher_promotions(
    session: AsyncSession, vouchers: Iterable[model.Voucher], *, known: Iterable[int]
) -> list[model.Promotion]:
    """Promotions behind the given vouchers that the in-force list lacks (so the engine can
    say why, e.g. the promotion ended)."""
    missing = {v.promotion_id for v in vouchers} - set(known)
    return [to_promotion(r) for r in (await promotions_by_ids(session, list(missing))).values()]


async def tax_rates(session: AsyncSession) -> tuple[model.TaxRate, ...]:
    rows = await session.scalars(select(TaxRateRow).order_by(TaxRateRow.id))
    return model.with_defaults(
        model.TaxRate(r.tax_class, r.country, r.rate_bp, region=r.region, name=r.name) for r in rows
    )


async def segments_of(session: AsyncSession, customer_id: int) -> frozenset[str]:
    rows = await session.scalars(
        select(CustomerSegmentRow.segment).where(CustomerSegmentRow.customer_id == customer_id)
    )
    return frozenset(rows)


async def items_by_variant_ids(
    session: AsyncSession, variant_ids: Sequence[int]
) -> dict[int, model.Item]:
    """What the engine knows about each variant: product, brand, category path, tax class."""
    if not variant_ids:
        return {}
    return {i.variant_id: i for i in await _items(session, VariantRow.id.in_(set(variant_ids)))}


async def items_by_skus(session: AsyncSession, skus: Sequence[str]) -> dict[str, model.Item]:
    if not skus:
        return {}
    return {i.sku: i for i in await _items(session, VariantRow.sku.in_(set(skus)))}


async def _items(session: AsyncSession, where: Any) -> list[model.Item]:
    """One read joining the catalog's variant and product rows (read-only, by id) with the
    product's tax class; the category tree only when a product has a category."""
    rows = (
        await session.execute(
            select(
                VariantRow.id,
                VariantRow.sku,
                VariantRow.product_id,
                ProductRow.brand_id,
                ProductRow.category_id,
                ProductTaxClassRow.tax_class,
            )
            .join(ProductRow, ProductRow.id == VariantRow.product_id)
            .outerjoin(ProductTaxClassRow, ProductTaxClassRow.product_id == VariantRow.product_id)
            .where(where)
        )
    ).all()
    paths: dict[int, tuple[int, ...]] = {}
    if any(r.category_id is not None for r in rows):
        parents = await catalog.category_parents(session)
        paths = model.category_paths(parents, [r.category_id for r in rows])
    return [
        model.Item(
            variant_id=r.id,
            sku=r.sku,
            product_id=r.product_id,
            brand_id=r.brand_id,
            category_path=paths.get(r.category_id, ()) if r.category_id is not None else (),
            tax_class=r.tax_class or model.STANDARD,
        )
        for r in rows
    ]


async def variant_ids_for_target(session: AsyncSession, target: model.Target) -> list[int]:
    """Variants a catalogue promotion touches (shelf labels to refresh)."""
    if target.is_empty:
        return []
    conditions = []
    if target.variant_ids:
        conditions.append(VariantRow.id.in_(target.variant_ids))
    if target.product_ids:
        conditions.append(VariantRow.product_id.in_(target.product_ids))
    if target.brand_ids:
        conditions.append(ProductRow.brand_id.in_(target.brand_ids))
    if target.category_ids:
        parents = await catalog.category_parents(session)
        paths = model.category_paths(parents, list(parents))
        categories = [c for c, path in paths.items() if not target.category_ids.isdisjoint(path)]
        conditions.append(ProductRow.category_id.in_(categories))
    rows = await session.scalars(
        select(VariantRow.id)
        .join(ProductRow, ProductRow.id == VariantRow.product_id)
        .where(and_(VariantRow.archived_at.is_(None), or_(*conditions)))
        .order_by(VariantRow.id)
    )
    return list(rows)


async def prices_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, PriceRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(PriceRow).where(PriceRow.id.in_(set(ids))))
    return {r.id: r for r in rows}
