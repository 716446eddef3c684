"""Catalog queries (browse, search, scan) and PIM mutations (MERCHANDISER; ADMIN always)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from api.access.types import Channel
from api.auth import allow
from api.catalog import loaders
from api.catalog.browse import ProductConnection, ProductFilter, resolve_products
from api.catalog.inputs import (
    AttributeDefinitionArchiveInput,
    AttributeDefinitionArchivePayload,
    AttributeDefinitionCreateInput,
    AttributeDefinitionCreatePayload,
    AttributeDefinitionUpdateInput,
    AttributeDefinitionUpdatePayload,
    BrandArchiveInput,
    BrandArchivePayload,
    BrandCreateInput,
    BrandCreatePayload,
    BrandUpdateInput,
    BrandUpdatePayload,
    CategoryArchiveInput,
    CategoryArchivePayload,
    CategoryCreateInput,
    CategoryCreatePayload,
    CategoryUpdateInput,
    CategoryUpdatePayload,
    ProductArchiveInput,
    ProductArchivePayload,
    ProductCreateInput,
    ProductCreatePayload,
    ProductTypeArchiveInput,
    ProductTypeArchivePayload,
    ProductTypeCreateInput,
    ProductTypeCreatePayload,
    ProductTypeUpdateInput,
    ProductTypeUpdatePayload,
    ProductUpdateInput,
    ProductUpdatePayload,
    VariantArchiveInput,
    VariantArchivePayload,
    VariantCreateInput,
    VariantCreatePayload,
    VariantUpdateInput,
    VariantUpdatePayload,
    attribute_ids,
    given,
    opt_id,
)
from api.catalog.types import (
    AttributeDefinitionType,
    BrandType,
    CategoryType,
    ProductSort,
    ProductType,
    ProductTypeType,
    VariantType,
    visible_product,
    visible_variant,
)
from api.errors import payload_or_errors
from api.pricing.catalog import PriceSort
from api.relay import decode_id
from domain.access.model import Role
from domain.catalog import services, structure
from domain.catalog.queries import child_categories
from domain.catalog.tables import AttributeDefinitionRow, BrandRow, ProductTypeRow
from domain.shared.errors import ValidationFailed

MERCHANDISER = allow(Role.MERCHANDISER)


def _one_of(**given_args: Any) -> str:
    named = [name for name, value in given_args.items() if value is not None]
    if len(named) != 1:
        raise ValidationFailed(
            f"Give exactly one of {', '.join(given_args)}.", field=named[0] if named else None
        )
    return named[0]


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="A product by id or slug (drafts: staff only).")
    async def product(
        self, info: Info, id: relay.GlobalID | None = None, slug: str | None = None
    ) -> ProductType | None:
        if _one_of(id=id, slug=slug) == "id":
            row = await loaders.product(info).load(decode_id(id, "Product"))  # type: ignore[arg-type]
        else:
            row = await loaders.product_by_slug(info).load(slug)
        return ProductType.from_row(row) if visible_product(info, row) else None

    @strawberry.field(description="A variant by id, SKU or barcode (a POS or staff scan).")
    async def variant(
        self,
        info: Info,
        id: relay.GlobalID | None = None,
        sku: str | None = None,
        barcode: str | None = None,
    ) -> VariantType | None:
        which = _one_of(id=id, sku=sku, barcode=barcode)
        if which == "id":
            row = await loaders.variant(info).load(decode_id(id, "Variant"))  # type: ignore[arg-type]
        elif which == "sku":
            row = await loaders.variant_by_sku(info).load(sku.strip())  # type: ignore[union-attr]
        else:
            row = await loaders.variant_by_barcode(info).load(barcode.strip())  # type: ignore[union-attr]
        return VariantType.from_row(row) if await visible_variant(info, row) else None

    @strawberry.field(
        description="Products published to the channel (default: your API key's), with search, "
        "facet filters, the relative filter and facet counts."
    )
    async def products(
        self,
        info: Info,
        channel: Channel | None = None,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        filter: ProductFilter | None = None,
        sort: ProductSort | None = None,
        price_sort: PriceSort | None = None,
    ) -> ProductConnection:
        return await resolve_products(
            info,
            channel=channel,
            first=first,
            after=after,
            search=search,
            filter=filter,
            sort=sort,
            price_sort=price_sort,
        )

    @strawberry.field(description="Root categories, or the children of parentId.")
    async def categories(
        self, info: Info, parent_id: relay.GlobalID | None = None
    ) -> list[CategoryType]:
        parent = decode_id(parent_id, "Category", field="parentId") if parent_id else None
        async with info.context.read() as session:
            rows = (await child_categories(session, [parent])).get(parent, [])
        return [CategoryType.from_row(r) for r in rows]

    @strawberry.field(description="Live brands by name.")
    async def brands(self, info: Info) -> list[BrandType]:
        stmt = select(BrandRow).where(BrandRow.archived_at.is_(None)).order_by(BrandRow.name)
        async with info.context.read() as session:
            return [BrandType.from_row(r) for r in await session.scalars(stmt)]

    @strawberry.field(description="Live product types by name.")
    async def product_types(self, info: Info) -> list[ProductTypeType]:
        stmt = (
            select(ProductTypeRow)
            .where(ProductTypeRow.archived_at.is_(None))
            .order_by(ProductTypeRow.name)
        )
        async with info.context.read() as session:
            return [ProductTypeType.from_row(r) for r in await session.scalars(stmt)]

    @strawberry.field(description="Live attribute definitions in display order.")
    async def attribute_definitions(self, info: Info) -> list[AttributeDefinitionType]:
        stmt = (
            select(AttributeDefinitionRow)
            .where(AttributeDefinitionRow.archived_at.is_(None))
            .order_by(AttributeDefinitionRow.position, AttributeDefinitionRow.code)
        )
        async with info.context.read() as session:
            return [AttributeDefinitionType.from_row(r) for r in await session.scalars(stmt)]


async def _mutate(
    payload_cls: Any,
    field: str,
    action: Callable[[], Awaitable[int]],
    load: Callable[[int], Awaitable[Any]],
) -> Any:
    async def run() -> Any:
        object_id = await action()
        return payload_cls(user_errors=[], **{field: await load(object_id)})

    return await payload_or_errors(payload_cls, run)


def _loader_of(info: Info, loader: Any, build: Any) -> Callable[[int], Awaitable[Any]]:
    async def load(object_id: int) -> Any:
        return build(await loaders.fresh(loader(info), object_id))

    return load


def _ids(info: Info, gid: relay.GlobalID, type_name: str) -> int:
    return decode_id(gid, type_name)


@strawberry.type
class CatalogMutation:
    # --- brands ---
    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def brand_create(self, info: Info, input: BrandCreateInput) -> BrandCreatePayload:
        ctx = info.context
        return await _mutate(
            BrandCreatePayload,
            "brand",
            lambda: structure.create_brand(
                ctx.uow(), actor=ctx.principal.actor, name=input.name, slug=input.slug
            ),
            _loader_of(info, loaders.brand, BrandType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def brand_update(self, info: Info, input: BrandUpdateInput) -> BrandUpdatePayload:
        ctx = info.context

        async def action() -> int:
            brand_id = _ids(info, input.id, "Brand")
            await structure.update_brand(
                ctx.uow(),
                actor=ctx.principal.actor,
                brand_id=brand_id,
                name=input.name,
                slug=input.slug,
            )
            return brand_id

        return await _mutate(
            BrandUpdatePayload, "brand", action, _loader_of(info, loaders.brand, BrandType.from_row)
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def brand_archive(self, info: Info, input: BrandArchiveInput) -> BrandArchivePayload:
        ctx = info.context

        async def action() -> int:
            brand_id = _ids(info, input.id, "Brand")
            await structure.archive_brand(ctx.uow(), actor=ctx.principal.actor, brand_id=brand_id)
            return brand_id

        return await _mutate(
            BrandArchivePayload,
            "brand",
            action,
            _loader_of(info, loaders.brand, BrandType.from_row),
        )

    # --- categories ---
    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def category_create(
        self, info: Info, input: CategoryCreateInput
    ) -> CategoryCreatePayload:
        ctx = info.context

        async def action() -> int:
            return await structure.create_category(
                ctx.uow(),
                actor=ctx.principal.actor,
                name=input.name,
                name_en=input.name_en,
                slug=input.slug,
                parent_id=decode_id(input.parent_id, "Category", field="parentId")
                if input.parent_id
                else None,
                position=input.position,
            )

        return await _mutate(
            CategoryCreatePayload,
            "category",
            action,
            _loader_of(info, loaders.category, CategoryType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def category_update(
        self, info: Info, input: CategoryUpdateInput
    ) -> CategoryUpdatePayload:
        ctx = info.context

        async def action() -> int:
            category_id = _ids(info, input.id, "Category")
            await structure.update_category(
                ctx.uow(),
                actor=ctx.principal.actor,
                category_id=category_id,
                name=None if input.name is strawberry.UNSET else input.name,
                name_en=given(input.name_en),
                slug=None if input.slug is strawberry.UNSET else input.slug,
                parent_id=opt_id(input.parent_id, "Category", "parentId"),
                position=None if input.position is strawberry.UNSET else input.position,
            )
            return category_id

        return await _mutate(
            CategoryUpdatePayload,
            "category",
            action,
            _loader_of(info, loaders.category, CategoryType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def category_archive(
        self, info: Info, input: CategoryArchiveInput
    ) -> CategoryArchivePayload:
        ctx = info.context

        async def action() -> int:
            category_id = _ids(info, input.id, "Category")
            await structure.archive_category(
                ctx.uow(), actor=ctx.principal.actor, category_id=category_id
            )
            return category_id

        return await _mutate(
            CategoryArchivePayload,
            "category",
            action,
            _loader_of(info, loaders.category, CategoryType.from_row),
        )

    # --- attribute definitions ---
    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def attribute_definition_create(
        self, info: Info, input: AttributeDefinitionCreateInput
    ) -> AttributeDefinitionCreatePayload:
        ctx = info.context
        return await _mutate(
            AttributeDefinitionCreatePayload,
            "attribute_definition",
            lambda: structure.create_attribute(
                ctx.uow(), actor=ctx.principal.actor, spec=input.to_spec()
            ),
            _loader_of(info, loaders.attribute, AttributeDefinitionType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def attribute_definition_update(
        self, info: Info, input: AttributeDefinitionUpdateInput
    ) -> AttributeDefinitionUpdatePayload:
        ctx = info.context

        async def action() -> int:
            attribute_id = _ids(info, input.id, "AttributeDefinition")
            await structure.update_attribute(
                ctx.uow(),
                actor=ctx.principal.actor,
                attribute_id=attribute_id,
                changes=input.changes(),
            )
            return attribute_id

        return await _mutate(
            AttributeDefinitionUpdatePayload,
            "attribute_definition",
            action,
            _loader_of(info, loaders.attribute, AttributeDefinitionType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def attribute_definition_archive(
        self, info: Info, input: AttributeDefinitionArchiveInput
    ) -> AttributeDefinitionArchivePayload:
        ctx = info.context

        async def action() -> int:
            attribute_id = _ids(info, input.id, "AttributeDefinition")
            await structure.archive_attribute(
                ctx.uow(), actor=ctx.principal.actor, attribute_id=attribute_id
            )
            return attribute_id

        return await _mutate(
            AttributeDefinitionArchivePayload,
            "attribute_definition",
            action,
            _loader_of(info, loaders.attribute, AttributeDefinitionType.from_row),
        )

    # --- product types ---
    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def product_type_create(
        self, info: Info, input: ProductTypeCreateInput
    ) -> ProductTypeCreatePayload:
        ctx = info.context

        async def action() -> int:
            return await structure.create_product_type(
                ctx.uow(),
                actor=ctx.principal.actor,
                code=input.code,
                name=input.name,
                attribute_ids=attribute_ids(input.attribute_ids),
            )

        return await _mutate(
            ProductTypeCreatePayload,
            "product_type",
            action,
            _loader_of(info, loaders.product_type, ProductTypeType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def product_type_update(
        self, info: Info, input: ProductTypeUpdateInput
    ) -> ProductTypeUpdatePayload:
        ctx = info.context

        async def action() -> int:
            type_id = _ids(info, input.id, "ProductType")
            await structure.update_product_type(
                ctx.uow(),
                actor=ctx.principal.actor,
                product_type_id=type_id,
                name=input.name,
                attribute_ids=attribute_ids(input.attribute_ids)
                if input.attribute_ids is not None
                else None,
            )
            return type_id

        return await _mutate(
            ProductTypeUpdatePayload,
            "product_type",
            action,
            _loader_of(info, loaders.product_type, ProductTypeType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def product_type_archive(
        self, info: Info, input: ProductTypeArchiveInput
    ) -> ProductTypeArchivePayload:
        ctx = info.context

        async def action() -> int:
            type_id = _ids(info, input.id, "ProductType")
            await structure.archive_product_type(
                ctx.uow(), actor=ctx.principal.actor, product_type_id=type_id
            )
            return type_id

        return await _mutate(
            ProductTypeArchivePayload,
            "product_type",
            action,
            _loader_of(info, loaders.product_type, ProductTypeType.from_row),
        )

    # --- products ---
    @strawberry.mutation(
        permission_classes=[MERCHANDISER],
        description="Create a product with its variants in one step (all or nothing).",
    )
    async def product_create(self, info: Info, input: ProductCreateInput) -> ProductCreatePayload:
        ctx = info.context
        return await _mutate(
            ProductCreatePayload,
            "product",
            lambda: services.create_product(
                ctx.uow(), actor=ctx.principal.actor, draft=input.to_draft()
            ),
            _loader_of(info, loaders.product, ProductType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def product_update(self, info: Info, input: ProductUpdateInput) -> ProductUpdatePayload:
        ctx = info.context

        async def action() -> int:
            product_id = _ids(info, input.id, "Product")
            await services.update_product(
                ctx.uow(), actor=ctx.principal.actor, product_id=product_id, patch=input.to_patch()
            )
            return product_id

        return await _mutate(
            ProductUpdatePayload,
            "product",
            action,
            _loader_of(info, loaders.product, ProductType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def product_archive(
        self, info: Info, input: ProductArchiveInput
    ) -> ProductArchivePayload:
        ctx = info.context

        async def action() -> int:
            product_id = _ids(info, input.id, "Product")
            await services.archive_product(
                ctx.uow(), actor=ctx.principal.actor, product_id=product_id
            )
            return product_id

        return await _mutate(
            ProductArchivePayload,
            "product",
            action,
            _loader_of(info, loaders.product, ProductType.from_row),
        )

    # --- variants ---
    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def variant_create(self, info: Info, input: VariantCreateInput) -> VariantCreatePayload:
        ctx = info.context

        async def action() -> int:
            return await services.create_variant(
                ctx.uow(),
                actor=ctx.principal.actor,
                product_id=decode_id(input.product_id, "Product", field="productId"),
                draft=input.variant.to_draft(),
            )

        return await _mutate(
            VariantCreatePayload,
            "variant",
            action,
            _loader_of(info, loaders.variant, VariantType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def variant_update(self, info: Info, input: VariantUpdateInput) -> VariantUpdatePayload:
        ctx = info.context

        async def action() -> int:
            variant_id = _ids(info, input.id, "Variant")
            await services.update_variant(
                ctx.uow(), actor=ctx.principal.actor, variant_id=variant_id, patch=input.to_patch()
            )
            return variant_id

        return await _mutate(
            VariantUpdatePayload,
            "variant",
            action,
            _loader_of(info, loaders.variant, VariantType.from_row),
        )

    @strawberry.mutation(permission_classes=[MERCHANDISER])
    async def variant_archive(
        self, info: Info, input: VariantArchiveInput
    ) -> VariantArchivePayload:
        ctx = info.context

        async def action() -> int:
            variant_id = _ids(info, input.id, "Variant")
            await services.archive_variant(
                ctx.uow(), actor=ctx.principal.actor, variant_id=variant_id
            )
            return variant_id

        return await _mutate(
            VariantArchivePayload,
            "variant",
            action,
            _loader_of(info, loaders.variant, VariantType.from_row),
        )
