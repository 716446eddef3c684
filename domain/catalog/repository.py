"""Write-side SQL the catalog services need."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog.errors import DuplicateBarcode, DuplicateSku, DuplicateSlug
from domain.catalog.tables import (
    AttributeDefinitionRow,
    BrandRow,
    CategoryRow,
    ProductRow,
    ProductTypeAttributeRow,
    ProductTypeRow,
    VariantRow,
)
from domain.shared.errors import Conflict

# Unique constraints a concurrent writer can still hit after our own pre-checks.
_CONSTRAINTS = {
    "uq_variants_sku": (DuplicateSku, "sku", "That SKU was just taken by another change."),
    "uq_variants_barcode": (
        DuplicateBarcode,
        "barcode",
        "That barcode was just taken by another change.",
    ),
    "uq_products_slug": (DuplicateSlug, "slug", "That slug was just taken by another change."),
}


class CatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def flush(self) -> None:
        """Flush, turning a lost race on a unique key into the same userError as a pre-check."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            text = str(exc.orig)
            for name, (cls, field, message) in _CONSTRAINTS.items():
                if name in text:
                    raise cls(f"{message} Use another value.", field=field) from exc
            raise Conflict(
                f"The change conflicts with existing data ({text.splitlines()[0]}); reload and "
                "retry."
            ) from exc

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.flush()
        return row

    async def lock_product(self, product_id: int) -> ProductRow | None:
        return await self.session.scalar(
            select(ProductRow).where(ProductRow.id == product_id).with_for_update()
        )

    async def lock_variant(self, variant_id: int) -> VariantRow | None:
        return await self.session.scalar(
            select(VariantRow).where(VariantRow.id == variant_id).with_for_update()
        )

    async def get(self, cls: type[Any], row_id: int) -> Any:
        return await self.session.get(cls, row_id)

    async def slug_taken(self, cls: type[Any], slug: str, *, except_id: int | None = None) -> bool:
        stmt = select(exists().where(cls.slug == slug, cls.id != (except_id or 0)))
        return bool(await self.session.scalar(stmt))

    async def owners_of_skus(self, skus: Sequence[str]) -> dict[str, tuple[int, str, str]]:
        """SKU -> (variant id, product slug, product title) for SKUs already in use."""
        if not skus:
            return {}
        rows = await self.session.execute(
            select(VariantRow.sku, VariantRow.id, ProductRow.slug, ProductRow.title)
            .join(ProductRow, ProductRow.id == VariantRow.product_id)
            .where(VariantRow.sku.in_(set(skus)))
        )
        return {sku: (vid, slug, title) for sku, vid, slug, title in rows}

    async def owners_of_barcodes(self, barcodes: Sequence[str]) -> dict[str, tuple[int, str, str]]:
        """Barcode -> (variant id, SKU, product title) for barcodes already in use."""
        if not barcodes:
            return {}
        rows = await self.session.execute(
            select(VariantRow.barcode, VariantRow.id, VariantRow.sku, ProductRow.title)
            .join(ProductRow, ProductRow.id == VariantRow.product_id)
            .where(VariantRow.barcode.in_(set(barcodes)))
        )
        return {code: (vid, sku, title) for code, vid, sku, title in rows}

    async def refresh_effective_attributes(self, product_id: int, values: dict[str, Any]) -> None:
        """Every variant's effective values = the product's values, then its overrides."""
        await self.session.execute(
            update(VariantRow)
            .where(VariantRow.product_id == product_id)
            .values(
                effective_attributes=literal(values, JSONB).op("||")(VariantRow.attributes),
                updated_at=func.now(),
            )
        )

    async def refresh_keywords(
        self,
        *,
        brand_id: int | None = None,
        category_id: int | None = None,
        product_type_id: int | None = None,
        product_id: int | None = None,
    ) -> None:
        """Recompute search keywords (brand, category, type names) after a rename or move."""
        stmt = update(ProductRow).values(keywords=keywords_sql())
        if product_id is not None:
            stmt = stmt.where(ProductRow.id == product_id)
        if brand_id is not None:
            stmt = stmt.where(ProductRow.brand_id == brand_id)
        if category_id is not None:
            stmt = stmt.where(ProductRow.category_id == category_id)
        if product_type_id is not None:
            stmt = stmt.where(ProductRow.product_type_id == product_type_id)
        await self.session.execute(stmt)

    async def set_type_attributes(self, product_type_id: int, attribute_ids: Sequence[int]) -> None:
        existing = list(
            await self.session.scalars(
                select(ProductTypeAttributeRow).where(
                    ProductTypeAttributeRow.product_type_id == product_type_id
                )
            )
        )
        for row in existing:
            await self.session.delete(row)
        await self.session.flush()
        self.session.add_all(
            ProductTypeAttributeRow(product_type_id=product_type_id, attribute_id=a, position=i)
            for i, a in enumerate(attribute_ids)
        )
        await self.flush()

    async def count_products_using(
        self, *, code: str, product_type_id: int | None = None, value: str | None = None
    ) -> int:
        """Products (of a type) whose own or variant values use attribute ``code`` (= value)."""
        cond = (
            VariantRow.effective_attributes.has_key(code)
            if value is None
            else VariantRow.effective_attributes.contains({code: value})
        )
        stmt = (
            select(func.count(func.distinct(VariantRow.product_id)))
            .join(ProductRow, ProductRow.id == VariantRow.product_id)
            .where(cond)
        )
        own = ProductRow.attributes.has_key(code)
        if value is not None:
            own = ProductRow.attributes.contains({code: value})
        if product_type_id is not None:
            stmt = stmt.where(ProductRow.product_type_id == product_type_id)
        via_variants = int(await self.session.scalar(stmt) or 0)
        own_stmt = select(func.count()).select_from(ProductRow).where(own)
        if product_type_id is not None:
            own_stmt = own_stmt.where(ProductRow.product_type_id == product_type_id)
        return max(via_variants, int(await self.session.scalar(own_stmt) or 0))


def keywords_sql() -> Any:
    """SQL expression: brand, category (ru/en) and type names of the row being updated."""
    brand = select(BrandRow.name).where(BrandRow.id == ProductRow.brand_id).scalar_subquery()
    category = (
        select(CategoryRow.name + " " + func.coalesce(CategoryRow.name_en, ""))
        .where(CategoryRow.id == ProductRow.category_id)
        .scalar_subquery()
    )
    ptype = (
        select(ProductTypeRow.name)
        .where(ProductTypeRow.id == ProductRow.product_type_id)
        .scalar_subquery()
    )
    return func.concat_ws(" ", brand, category, ptype)


def keywords_text(*names: str | None) -> str:
    return " ".join(n for n in names if n)


__all__ = ["AttributeDefinitionRow", "CatalogRepository", "keywords_text"]
