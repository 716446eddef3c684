"""Read-side SQL: lookups by ids and keys for loaders, other contexts and the services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog.model import AttributeDef, AttributeKind, Choice
from domain.catalog.tables import (
    AttributeDefinitionRow,
    BrandRow,
    CategoryRow,
    ProductRow,
    ProductTypeAttributeRow,
    ProductTypeRow,
    VariantRow,
)


async def products_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ProductRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(ProductRow).where(ProductRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def products_by_slugs(session: AsyncSession, slugs: Sequence[str]) -> dict[str, ProductRow]:
    if not slugs:
        return {}
    rows = await session.scalars(select(ProductRow).where(ProductRow.slug.in_(set(slugs))))
    return {r.slug: r for r in rows}


async def variants_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, VariantRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(VariantRow).where(VariantRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def variants_by_skus(session: AsyncSession, skus: Sequence[str]) -> dict[str, VariantRow]:
    if not skus:
        return {}
    rows = await session.scalars(select(VariantRow).where(VariantRow.sku.in_(set(skus))))
    return {r.sku: r for r in rows}


async def variants_by_barcodes(
    session: AsyncSession, barcodes: Sequence[str]
) -> dict[str, VariantRow]:
    if not barcodes:
        return {}
    rows = await session.scalars(select(VariantRow).where(VariantRow.barcode.in_(set(barcodes))))
    return {r.barcode: r for r in rows if r.barcode is not None}


async def live_variants_by_product_ids(
    session: AsyncSession, product_ids: Sequence[int]
) -> dict[int, list[VariantRow]]:
    """Variants not archived, in display order, grouped by product."""
    if not product_ids:
        return {}
    rows = await session.scalars(
        select(VariantRow)
        .where(VariantRow.product_id.in_(set(product_ids)), VariantRow.archived_at.is_(None))
        .order_by(VariantRow.product_id, VariantRow.position, VariantRow.id)
    )
    out: dict[int, list[VariantRow]] = {}
    for row in rows:
        out.setdefault(row.product_id, []).append(row)
    return out


async def brands_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, BrandRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(BrandRow).where(BrandRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def brands_by_names(session: AsyncSession, names: Iterable[str]) -> dict[str, BrandRow]:
    names = set(names)
    if not names:
        return {}
    rows = await session.scalars(select(BrandRow).where(BrandRow.name.in_(names)))
    return {r.name: r for r in rows}


async def categories_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, CategoryRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(CategoryRow).where(CategoryRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def categories_by_slugs(
    session: AsyncSession, slugs: Iterable[str]
) -> dict[str, CategoryRow]:
    slugs = set(slugs)
    if not slugs:
        return {}
    rows = await session.scalars(select(CategoryRow).where(CategoryRow.slug.in_(slugs)))
    return {r.slug: r for r in rows}


async def child_categories(
    session: AsyncSession, parent_ids: Sequence[int | None]
) -> dict[int | None, list[CategoryRow]]:
    """Live subcategories per parent id (``None`` = the roots), ordered by position and name."""
    wanted = set(parent_ids)
    stmt = select(CategoryRow).where(CategoryRow.archived_at.is_(None))
    ids = [p for p in wanted if p is not None]
    if None in wanted:
        stmt = stmt.where(CategoryRow.parent_id.is_(None) | CategoryRow.parent_id.in_(ids))
    else:
        stmt = stmt.where(CategoryRow.parent_id.in_(ids))
    rows = await session.scalars(stmt.order_by(CategoryRow.position, CategoryRow.name))
    out: dict[int | None, list[CategoryRow]] = {}
    for row in rows:
        out.setdefault(row.parent_id, []).append(row)
    return out


async def category_parents(session: AsyncSession) -> dict[int, int | None]:
    """The whole tree as child -> parent (categories number in the hundreds)."""
    rows = await session.execute(select(CategoryRow.id, CategoryRow.parent_id))
    return {cid: parent for cid, parent in rows}


async def product_types_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, ProductTypeRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(ProductTypeRow).where(ProductTypeRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def product_types_by_codes(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, ProductTypeRow]:
    codes = set(codes)
    if not codes:
        return {}
    rows = await session.scalars(select(ProductTypeRow).where(ProductTypeRow.code.in_(codes)))
    return {r.code: r for r in rows}


async def attributes_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, AttributeDefinitionRow]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(AttributeDefinitionRow).where(AttributeDefinitionRow.id.in_(set(ids)))
    )
    return {r.id: r for r in rows}


async def attributes_by_codes(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, AttributeDefinitionRow]:
    codes = set(codes)
    if not codes:
        return {}
    rows = await session.scalars(
        select(AttributeDefinitionRow).where(AttributeDefinitionRow.code.in_(codes))
    )
    return {r.code: r for r in rows}


async def all_attributes(session: AsyncSession) -> dict[str, AttributeDefinitionRow]:
    rows = await session.scalars(
        select(AttributeDefinitionRow).order_by(
            AttributeDefinitionRow.position, AttributeDefinitionRow.code
        )
    )
    return {r.code: r for r in rows}


async def attributes_by_type_ids(
    session: AsyncSession, type_ids: Sequence[int]
) -> dict[int, list[AttributeDefinitionRow]]:
    """Each product type's attributes in their position order."""
    if not type_ids:
        return {}
    rows = await session.execute(
        select(ProductTypeAttributeRow.product_type_id, AttributeDefinitionRow)
        .join(
            AttributeDefinitionRow,
            AttributeDefinitionRow.id == ProductTypeAttributeRow.attribute_id,
        )
        .where(ProductTypeAttributeRow.product_type_id.in_(set(type_ids)))
        .order_by(ProductTypeAttributeRow.position, AttributeDefinitionRow.code)
    )
    out: dict[int, list[AttributeDefinitionRow]] = {}
    for type_id, attribute in rows:
        out.setdefault(type_id, []).append(attribute)
    return out


def to_def(row: AttributeDefinitionRow) -> AttributeDef:
    return AttributeDef(
        code=row.code,
        name=row.name,
        kind=AttributeKind(row.kind),
        unit=row.unit,
        choices=tuple(Choice(value=c["value"], label=c["label"]) for c in row.choices),
        min_value=row.min_value,
        max_value=row.max_value,
        filterable=row.filterable and row.archived_at is None,
        comparable=row.comparable and row.archived_at is None,
    )
