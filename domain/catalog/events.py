"""Catalog events (topic ``catalog``): caches and, later, subscriptions react to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class ProductChanged(Event):
    topic: ClassVar[str] = "catalog"
    kind: str  # PRODUCT_CREATED | PRODUCT_UPDATED | PRODUCT_ARCHIVED
    product_id: int
    slug: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class VariantChanged(Event):
    topic: ClassVar[str] = "catalog"
    kind: str  # VARIANT_CREATED | VARIANT_UPDATED | VARIANT_ARCHIVED
    variant_id: int
    product_id: int
    sku: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class CatalogStructureChanged(Event):
    """Product types, attributes, categories and brands (e.g. a renamed brand)."""

    topic: ClassVar[str] = "catalog"
    kind: str  # e.g. CATEGORY_UPDATED
    subject: str  # e.g. "category:12"
    actor: str
