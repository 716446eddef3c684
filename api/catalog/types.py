"""Catalog GraphQL types: Product, Variant, Brand, Category, ProductType, AttributeDefinition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.access.types import Channel
from api.catalog import loaders
from api.inventory.queries import NearInput, PickupRadius, variant_availability
from api.inventory.types import VariantAvailability
from api.pricing.catalog import product_price_range, variant_price
from api.pricing.types import PriceRangeType, ShelfPriceType
from domain.catalog import model
from domain.catalog.model import AttributeKind as _AttributeKind
from domain.catalog.model import Direction as _Direction
from domain.catalog.model import ProductSort as _ProductSort
from domain.catalog.model import ProductStatus as _ProductStatus
from domain.catalog.queries import to_def
from domain.catalog.tables import (
    AttributeDefinitionRow,
    BrandRow,
    CategoryRow,
    ProductRow,
    ProductTypeRow,
    VariantRow,
)

AttributeKind = strawberry.enum(_AttributeKind, name="AttributeKind")
ProductStatus = strawberry.enum(_ProductStatus, name="ProductStatus")
ProductSort = strawberry.enum(
    _ProductSort,
    name="ProductSort",
    description="RELEVANCE needs a search (without one: NEWEST). Price sorts come with pricing.",
)
ComparisonDirection = strawberry.enum(
    _Direction,
    name="ComparisonDirection",
    description="LESS/GREATER: strictly below/above the reference value; EQUAL: the same.",
)


async def _ids_to_nodes(info: Info, loader: Any, node_ids: Iterable[str], build: Any) -> list[Any]:
    rows = await loader.load_many([int(i) for i in node_ids])
    return [build(r) if r is not None else None for r in rows]


@strawberry.type(name="Brand")
class BrandType(relay.Node):
    brand_id: relay.NodeID[int]
    name: str
    slug: str
    archived: bool

    @classmethod
    def from_row(cls, row: BrandRow) -> BrandType:
        return cls(
            brand_id=row.id, name=row.name, slug=row.slug, archived=row.archived_at is not None
        )

    @classmethod
    def can_see(cls, info: Info, node: Any) -> bool:
        return True  # the catalog's structure is public

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await _ids_to_nodes(info, loaders.brand(info), node_ids, cls.from_row)


@strawberry.type(name="Category", description="A node of the category tree.")
class CategoryType(relay.Node):
    category_id: relay.NodeID[int]
    name: str
    name_en: str | None
    slug: str
    position: int
    archived: bool
    parent_db_id: strawberry.Private[int | None]

    @strawberry.field
    async def parent(self, info: Info) -> CategoryType | None:
        if self.parent_db_id is None:
            return None
        row = await loaders.category(info).load(self.parent_db_id)
        return CategoryType.from_row(row) if row else None

    @strawberry.field(description="Live subcategories, in position order.")
    async def children(self, info: Info) -> list[CategoryType]:
        rows = await loaders.category_children(info).load(self.category_id)
        return [CategoryType.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: CategoryRow) -> CategoryType:
        return cls(
            category_id=row.id,
            name=row.name,
            name_en=row.name_en,
            slug=row.slug,
            position=row.position,
            archived=row.archived_at is not None,
            parent_db_id=row.parent_id,
        )

    @classmethod
    def can_see(cls, info: Info, node: Any) -> bool:
        return True  # the catalog's structure is public

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await _ids_to_nodes(info, loaders.category(info), node_ids, cls.from_row)


@strawberry.type
class AttributeChoice:
    value: str
    label: str


@strawberry.type(name="AttributeDefinition", description="A typed attribute of product types.")
class AttributeDefinitionType(relay.Node):
    attribute_id: relay.NodeID[int]
    code: str
    name: str
    name_en: str | None
    kind: AttributeKind
    unit: str | None
    choices: list[AttributeChoice]
    min_value: float | None
    max_value: float | None
    filterable: bool = strawberry.field(description="Offered as a facet filter.")
    comparable: bool = strawberry.field(description="Usable in the relative filter.")
    shown_on_card: bool = strawberry.field(description="Shown on the product card.")
    position: int
    archived: bool

    @classmethod
    def from_row(cls, row: AttributeDefinitionRow) -> AttributeDefinitionType:
        return cls(
            attribute_id=row.id,
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            kind=row.kind,
            unit=row.unit,
            choices=[AttributeChoice(value=c["value"], label=c["label"]) for c in row.choices],
            min_value=row.min_value,
            max_value=row.max_value,
            filterable=row.filterable,
            comparable=row.comparable,
            shown_on_card=row.shown_on_card,
            position=row.position,
            archived=row.archived_at is not None,
        )

    @classmethod
    def can_see(cls, info: Info, node: Any) -> bool:
        return True  # the catalog's structure is public

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await _ids_to_nodes(info, loaders.attribute(info), node_ids, cls.from_row)


@strawberry.type(name="ProductType")
class ProductTypeType(relay.Node):
    product_type_id: relay.NodeID[int]
    code: str
    name: str
    archived: bool

    @strawberry.field(description="The attributes products of this type carry, in order.")
    async def attributes(self, info: Info) -> list[AttributeDefinitionType]:
        rows = await loaders.attributes_of_type(info).load(self.product_type_id)
        return [AttributeDefinitionType.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: ProductTypeRow) -> ProductTypeType:
        return cls(
            product_type_id=row.id,
            code=row.code,
            name=row.name,
            archived=row.archived_at is not None,
        )

    @classmethod
    def can_see(cls, info: Info, node: Any) -> bool:
        return True  # the catalog's structure is public

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await _ids_to_nodes(info, loaders.product_type(info), node_ids, cls.from_row)


@strawberry.type(description="One attribute value; exactly one of text, number, boolean is set.")
class AttributeValue:
    code: str
    text: str | None
    number: float | None
    boolean: bool | None
    display: str = strawberry.field(description='Ready to show: "250 g", "Полноразмерные", "да".')
    row: strawberry.Private[AttributeDefinitionRow | None]

    @strawberry.field
    def attribute(self) -> AttributeDefinitionType | None:
        return AttributeDefinitionType.from_row(self.row) if self.row else None

    @strawberry.field
    def name(self) -> str:
        return self.row.name if self.row else self.code


async def attribute_values(
    info: Info, values: Mapping[str, Any], *, shown_on_card: bool = False
) -> list[AttributeValue]:
    """Values in the attributes' display order (definitions come through one batched loader)."""
    rows = await loaders.attribute_by_code(info).load_many(list(values))
    pairs = [(code, row) for code, row in zip(values, rows, strict=True)]
    if shown_on_card:
        pairs = [(c, r) for c, r in pairs if r is not None and r.shown_on_card]
    pairs.sort(key=lambda cr: (cr[1].position if cr[1] else 1 << 30, cr[0]))
    out = []
    for code, row in pairs:
        value = values[code]
        out.append(
            AttributeValue(
                code=code,
                text=value if isinstance(value, str) else None,
                number=value
                if isinstance(value, int | float) and not isinstance(value, bool)
                else None,
                boolean=value if isinstance(value, bool) else None,
                display=model.format_value(to_def(row) if row else None, value),
                row=row,
            )
        )
    return out


@strawberry.type
class OptionValue:
    name: str
    value: str


@strawberry.type(name="Product")
class ProductType(relay.Node):
    product_id: relay.NodeID[int]
    slug: str
    title: str
    title_en: str | None
    description: str
    description_en: str | None
    media: list[str] = strawberry.field(description="Image and video URLs, first is the main one.")
    status: ProductStatus
    published_online: bool = strawberry.field(description="Sold on the web site and app.")
    published_in_store: bool = strawberry.field(description="Sold in stores (POS, staff devices).")
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[ProductRow]

    @strawberry.field
    async def brand(self, info: Info) -> BrandType | None:
        if self.row.brand_id is None:
            return None
        row = await loaders.brand(info).load(self.row.brand_id)
        return BrandType.from_row(row) if row else None

    @strawberry.field
    async def category(self, info: Info) -> CategoryType | None:
        if self.row.category_id is None:
            return None
        row = await loaders.category(info).load(self.row.category_id)
        return CategoryType.from_row(row) if row else None

    @strawberry.field
    async def product_type(self, info: Info) -> ProductTypeType:
        row = await loaders.product_type(info).load(self.row.product_type_id)
        return ProductTypeType.from_row(row)

    @strawberry.field(description="Product-level values; shownOnCard: only those for the card.")
    async def attributes(self, info: Info, shown_on_card: bool = False) -> list[AttributeValue]:
        return await attribute_values(info, self.row.attributes, shown_on_card=shown_on_card)

    @strawberry.field(description="Variants not archived, in display order.")
    async def variants(self, info: Info) -> list[VariantType]:
        rows = await loaders.variants_of_product(info).load(self.product_id)
        return [VariantType.from_row(r) for r in rows]

    @strawberry.field(
        description="Lowest and highest shelf price over the variants (pricing engine); "
        "channel defaults to your key's, a store device prices for its store."
    )
    async def price_range(
        self, info: Info, channel: Channel | None = None
    ) -> PriceRangeType | None:
        return await product_price_range(info, self.product_id, channel)

    @classmethod
    def from_row(cls, row: ProductRow) -> ProductType:
        return cls(
            product_id=row.id,
            slug=row.slug,
            title=row.title,
            title_en=row.title_en,
            description=row.description,
            description_en=row.description_en,
            media=list(row.media),
            status=row.status,
            published_online=row.published_online,
            published_in_store=row.published_in_store,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @classmethod
    def can_see(cls, info: Info, node: ProductType) -> bool:
        return visible_product(info, node.row)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await _ids_to_nodes(info, loaders.product(info), node_ids, cls.from_row)


def visible_product(info: Info, row: ProductRow | None) -> bool:
    return row is not None and model.can_see_product(
        info.context.principal,
        status=row.status,
        published_online=row.published_online,
        published_in_store=row.published_in_store,
    )


@strawberry.type(name="Variant", description="A sellable item: one SKU, at most one barcode.")
class VariantType(relay.Node):
    variant_id: relay.NodeID[int]
    sku: str
    barcode: str | None
    title: str
    weight_grams: int | None
    position: int
    archived: bool
    row: strawberry.Private[VariantRow]

    @strawberry.field(description="What the shopper picks between, e.g. colour: Чёрный.")
    def options(self) -> list[OptionValue]:
        return [OptionValue(name=k, value=v) for k, v in self.row.options.items()]

    @strawberry.field(description="The product's values with this variant's overrides applied.")
    async def attributes(self, info: Info, shown_on_card: bool = False) -> list[AttributeValue]:
        return await attribute_values(
            info, self.row.effective_attributes, shown_on_card=shown_on_card
        )

    @strawberry.field(description="Only the values this variant overrides.")
    async def overrides(self, info: Info) -> list[AttributeValue]:
        return await attribute_values(info, self.row.attributes)

    @strawberry.field
    async def product(self, info: Info) -> ProductType:
        row = await loaders.product(info).load(self.row.product_id)
        return ProductType.from_row(row)

    @strawberry.field(
        description="Can it ship, and per nearby store whether and when it can be collected "
        "(inventory; no internal stock figures)."
    )
    async def availability(
        self, info: Info, near: NearInput | None = None, radius_km: PickupRadius = None
    ) -> VariantAvailability:
        return await variant_availability(info, self.variant_id, near, radius_km)

    @strawberry.field(
        description="Shelf price with the compare-at (was) price, from the pricing engine; "
        "null when no price is in force for the channel."
    )
    async def price(self, info: Info, channel: Channel | None = None) -> ShelfPriceType | None:
        return await variant_price(info, self.variant_id, channel)

    @classmethod
    def from_row(cls, row: VariantRow) -> VariantType:
        return cls(
            variant_id=row.id,
            sku=row.sku,
            barcode=row.barcode,
            title=row.title,
            weight_grams=row.weight_grams,
            position=row.position,
            archived=row.archived_at is not None,
            row=row,
        )

    @classmethod
    async def can_see(cls, info: Info, node: VariantType) -> bool:
        return await visible_variant(info, node.row)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await _ids_to_nodes(info, loaders.variant(info), node_ids, cls.from_row)


async def visible_variant(info: Info, row: VariantRow | None) -> bool:
    if row is None:
        return False
    if info.context.principal.is_staff:
        return True
    if row.archived_at is not None:
        return False
    return visible_product(info, await loaders.product(info).load(row.product_id))
