"""Catalog tables. Attribute values are JSONB: see docs/catalog.md ("Why JSONB")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from domain.catalog.model import AttributeKind, ProductStatus
from domain.shared.db import Base, created_at, pk

# Weighted, bilingual full-text document: names and brand/category keywords rank above
# descriptions. Explicit regconfigs keep the expressions immutable (required for GENERATED).
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('simple'::regconfig, keywords), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(title_en, '')), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, description), 'C') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description_en, '')), 'C')"
)
# What typo-tolerant (trigram) matching looks at: names and keywords, not descriptions.
SEARCH_DOC_SQL = "lower(title || ' ' || coalesce(title_en, '') || ' ' || keywords)"


def updated_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now(), onupdate=func.now(), nullable=False)


class BrandRow(Base):
    __tablename__ = "brands"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    slug: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    archived_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at()


class CategoryRow(Base):
    __tablename__ = "categories"

    id: Mapped[int] = pk()
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("categories.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at()


class ProductTypeRow(Base):
    __tablename__ = "product_types"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    archived_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at()


class AttributeDefinitionRow(Base):
    """Global definitions (``weight`` means the same for headphones and laptops), attached to
    product types through ``product_type_attributes``."""

    __tablename__ = "attribute_definitions"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    kind: Mapped[AttributeKind] = mapped_column(
        SAEnum(AttributeKind, name="attribute_kind"), nullable=False
    )
    unit: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # [{"value": "over-ear", "label": "Полноразмерные"}, ...] for ENUM attributes.
    choices: Mapped[list[dict[str, str]]] = mapped_column(JSONB, nullable=False, default=list)
    min_value: Mapped[float | None] = mapped_column(Double, nullable=True)
    max_value: Mapped[float | None] = mapped_column(Double, nullable=True)
    filterable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    comparable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    shown_on_card: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at()


class ProductTypeAttributeRow(Base):
    __tablename__ = "product_type_attributes"

    product_type_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("product_types.id", ondelete="CASCADE"), primary_key=True
    )
    attribute_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("attribute_definitions.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[int] = pk()
    slug: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    title_en: Mapped[str | None] = mapped_column(String(300), nullable=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    brand_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("brands.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    category_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("categories.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    product_type_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("product_types.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    media: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    status: Mapped[ProductStatus] = mapped_column(
        SAEnum(ProductStatus, name="product_status"), nullable=False
    )
    published_online: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    published_in_store: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Brand, category and type names, kept current by the services, so search finds them.
    keywords: Mapped[str] = mapped_column(Text, nullable=False, default="")
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), nullable=True
    )
    search_doc: Mapped[str] = mapped_column(
        Text, Computed(SEARCH_DOC_SQL, persisted=True), nullable=True
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    __table_args__ = (
        Index("ix_products_search_vector", "search_vector", postgresql_using="gin"),
        Index(
            "ix_products_search_doc_trgm",
            "search_doc",
            postgresql_using="gin",
            postgresql_ops={"search_doc": "gin_trgm_ops"},
        ),
        Index("ix_products_created_at_id", "created_at", "id"),
        Index("ix_products_title_id", "title", "id"),
        Index("ix_products_status", "status"),
    )


class VariantRow(Base):
    __tablename__ = "variants"

    id: Mapped[int] = pk()
    product_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("products.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    barcode: Mapped[str | None] = mapped_column(String(14), unique=True, nullable=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # {"colour": "Чёрный", "size": "M"}: what the shopper picks between.
    options: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False, default=dict)
    # Overrides of the product's attribute values for this variant only.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # product.attributes || attributes, kept by the services: what filters and facets read.
    effective_attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, default=dict
    )
    weight_grams: Mapped[int | None] = mapped_column(Integer, nullable=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    __table_args__ = (
        Index(
            "ix_variants_effective_attributes",
            "effective_attributes",
            postgresql_using="gin",
            postgresql_ops={"effective_attributes": "jsonb_path_ops"},
        ),
    )
