"""PIM use cases for products and variants.

Each public verb is one transaction. The ``_write_*`` functions do the work inside a caller's
transaction and return the events to record, so the bulk importer can run them under a
savepoint per row and record a row's events only when the row succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import model
from domain.catalog.errors import (
    CatalogObjectNotFound,
    DuplicateBarcode,
    DuplicateSku,
    DuplicateSlug,
)
from domain.catalog.events import ProductChanged, VariantChanged
from domain.catalog.model import AttributeDef, ProductStatus
from domain.catalog.queries import (
    attributes_by_type_ids,
    brands_by_ids,
    categories_by_ids,
    live_variants_by_product_ids,
    product_types_by_ids,
    to_def,
)
from domain.catalog.repository import CatalogRepository, keywords_text
from domain.catalog.structure import UNSET
from domain.catalog.tables import ProductRow, ProductTypeRow, VariantRow
from domain.shared.errors import DomainError, ValidationFailed
from domain.shared.events import Event
from domain.shared.uow import UnitOfWork

MAX_MEDIA = 30


@dataclass(frozen=True)
class VariantDraft:
    sku: str
    barcode: str | None = None
    title: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    attributes: Sequence[tuple[str, Any]] = ()
    weight_grams: int | None = None
    position: int | None = None


@dataclass(frozen=True)
class ProductDraft:
    title: str
    product_type_id: int
    slug: str | None = None
    title_en: str | None = None
    description: str = ""
    description_en: str | None = None
    brand_id: int | None = None
    category_id: int | None = None
    attributes: Sequence[tuple[str, Any]] = ()
    media: Sequence[str] = ()
    status: ProductStatus = ProductStatus.DRAFT
    published_online: bool = True
    published_in_store: bool = True
    variants: Sequence[VariantDraft] = ()


@dataclass(frozen=True)
class ProductPatch:
    """Fields left UNSET stay as they are. ``attributes`` merge: a None value clears one."""

    title: Any = UNSET
    slug: Any = UNSET
    title_en: Any = UNSET
    description: Any = UNSET
    description_en: Any = UNSET
    brand_id: Any = UNSET
    category_id: Any = UNSET
    product_type_id: Any = UNSET
    attributes: Any = UNSET
    media: Any = UNSET
    status: Any = UNSET
    published_online: Any = UNSET
    published_in_store: Any = UNSET


@dataclass(frozen=True)
class VariantPatch:
    sku: Any = UNSET
    barcode: Any = UNSET
    title: Any = UNSET
    options: Any = UNSET
    attributes: Any = UNSET
    weight_grams: Any = UNSET
    position: Any = UNSET


# --- public verbs -----------------------------------------------------------------------------


async def create_product(uow: UnitOfWork, *, actor: str, draft: ProductDraft) -> int:
    async with uow:
        product_id, events = await write_new_product(uow.session, actor=actor, draft=draft)
        uow.record(*events)
        await uow.commit()
    return product_id


async def update_product(
    uow: UnitOfWork, *, actor: str, product_id: int, patch: ProductPatch
) -> None:
    async with uow:
        uow.record(
            *await write_product_patch(uow.session, actor=actor, product_id=product_id, patch=patch)
        )
        await uow.commit()


async def archive_product(uow: UnitOfWork, *, actor: str, product_id: int) -> None:
    await update_product(
        uow, actor=actor, product_id=product_id, patch=ProductPatch(status=ProductStatus.ARCHIVED)
    )


async def create_variant(
    uow: UnitOfWork, *, actor: str, product_id: int, draft: VariantDraft
) -> int:
    async with uow:
        variant_id, events = await write_new_variant(
            uow.session, actor=actor, product_id=product_id, draft=draft
        )
        uow.record(*events)
        await uow.commit()
    return variant_id


async def update_variant(
    uow: UnitOfWork, *, actor: str, variant_id: int, patch: VariantPatch
) -> None:
    async with uow:
        uow.record(
            *await write_variant_patch(uow.session, actor=actor, variant_id=variant_id, patch=patch)
        )
        await uow.commit()


async def archive_variant(uow: UnitOfWork, *, actor: str, variant_id: int) -> None:
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await repo.lock_variant(variant_id)
        if row is None:
            raise CatalogObjectNotFound(f"Variant {variant_id} does not exist.", field="id")
        if row.archived_at is None:
            row.archived_at = datetime.now(UTC)
            await repo.flush()
            uow.record(_variant_event("VARIANT_ARCHIVED", row, actor))
        await uow.commit()


# --- work inside a transaction ----------------------------------------------------------------


async def write_new_product(
    session: AsyncSession, *, actor: str, draft: ProductDraft
) -> tuple[int, list[Event]]:
    repo = CatalogRepository(session)
    errors: list[DomainError] = []
    title = _collect(errors, lambda: _title(draft.title))
    slug = _collect(
        errors,
        lambda: (
            model.check_slug(draft.slug)
            if draft.slug
            else model.slugify(draft.title_en or draft.title)
        ),
    )
    media = _collect(errors, lambda: _media(draft.media))
    ptype = await _collect_async(errors, _live_type(session, draft.product_type_id))
    brand_name = await _collect_async(errors, _brand_name(session, draft.brand_id))
    category_name = await _collect_async(errors, _category_name(session, draft.category_id))
    values: dict[str, Any] = {}
    defs: dict[str, AttributeDef] = {}
    if ptype is not None:
        defs = await _type_defs(session, ptype.id)
        values = (
            _collect(
                errors,
                lambda: model.validate_attribute_values(
                    defs, draft.attributes, owner=f"product type {ptype.code}"
                ),
            )
            or {}
        )
    if slug and await repo.slug_taken(ProductRow, slug):
        errors.append(
            DuplicateSlug(
                f"Slug '{slug}' is used by another product; choose another.", field="slug"
            )
        )
    await _check_variant_drafts(repo, draft.variants, defs, errors, prefix="variants")
    model.raise_all(errors)
    assert ptype is not None and title is not None and slug is not None
    product = await repo.add(
        ProductRow(
            slug=slug,
            title=title,
            title_en=_opt(draft.title_en),
            description=draft.description.strip(),
            description_en=_opt(draft.description_en),
            brand_id=draft.brand_id,
            category_id=draft.category_id,
            product_type_id=ptype.id,
            attributes=values,
            media=media or [],
            status=draft.status,
            published_online=draft.published_online,
            published_in_store=draft.published_in_store,
            keywords=keywords_text(brand_name, category_name, ptype.name),
        )
    )
    events: list[Event] = [_product_event("PRODUCT_CREATED", product, actor)]
    _, variant_events = await _write_variants(
        repo,
        product=product,
        defs=defs,
        drafts=draft.variants,
        actor=actor,
        prefix="variants",
        checked=True,
    )
    return int(product.id), events + variant_events


async def write_new_variant(
    session: AsyncSession, *, actor: str, product_id: int, draft: VariantDraft
) -> tuple[int, list[Event]]:
    repo = CatalogRepository(session)
    product = await _product(repo, product_id)
    defs = await _type_defs(session, product.product_type_id)
    [variant_id], events = await _write_variants(
        repo, product=product, defs=defs, drafts=[draft], actor=actor, prefix=""
    )
    return variant_id, events


async def write_product_patch(
    session: AsyncSession, *, actor: str, product_id: int, patch: ProductPatch
) -> list[Event]:
    """Apply a patch; returns no events when nothing actually changed (re-runs are quiet)."""
    repo = CatalogRepository(session)
    row = await repo.lock_product(product_id)
    if row is None:
        raise CatalogObjectNotFound(f"Product {product_id} does not exist.", field="id")
    errors: list[DomainError] = []
    changes: dict[str, Any] = {}
    if patch.title is not UNSET:
        changes["title"] = _collect(errors, lambda: _title(patch.title))
    if patch.slug is not UNSET:
        slug = _collect(errors, lambda: model.check_slug(patch.slug))
        if slug and slug != row.slug and await repo.slug_taken(ProductRow, slug, except_id=row.id):
            errors.append(DuplicateSlug(f"Slug '{slug}' is used by another product.", field="slug"))
        changes["slug"] = slug
    for name in ("title_en", "description_en"):
        if getattr(patch, name) is not UNSET:
            changes[name] = _opt(getattr(patch, name))
    if patch.description is not UNSET:
        changes["description"] = (patch.description or "").strip()
    if patch.media is not UNSET:
        changes["media"] = _collect(errors, lambda: _media(patch.media))
    for name in ("status", "published_online", "published_in_store"):
        if getattr(patch, name) is not UNSET and getattr(patch, name) is not None:
            changes[name] = getattr(patch, name)
    if patch.brand_id is not UNSET:
        await _collect_async(errors, _brand_name(session, patch.brand_id))
        changes["brand_id"] = patch.brand_id
    if patch.category_id is not UNSET:
        await _collect_async(errors, _category_name(session, patch.category_id))
        changes["category_id"] = patch.category_id
    type_id = row.product_type_id
    if patch.product_type_id is not UNSET and patch.product_type_id != row.product_type_id:
        ptype = await _collect_async(errors, _live_type(session, patch.product_type_id))
        if ptype is not None:
            type_id = changes["product_type_id"] = ptype.id
    defs = await _type_defs(session, type_id)
    values = dict(row.attributes)
    if patch.attributes is not UNSET:
        given = _collect(errors, lambda: model.validate_attribute_values(defs, patch.attributes))
        for code, _raw in patch.attributes:
            values.pop(code, None)
        values.update(given or {})
    if type_id != row.product_type_id:
        await _check_values_fit_type(session, row.id, values, defs, errors)
    model.raise_all(errors)
    if values != row.attributes:
        changes["attributes"] = values
    changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
    if not changed:
        return []
    for key, value in changed.items():
        setattr(row, key, value)
    row.updated_at = datetime.now(UTC)
    await repo.flush()
    if "attributes" in changed:
        await repo.refresh_effective_attributes(row.id, values)
    if {"brand_id", "category_id", "product_type_id"} & changed.keys():
        await repo.refresh_keywords(product_id=row.id)
    kind = (
        "PRODUCT_ARCHIVED" if changed.get("status") is ProductStatus.ARCHIVED else "PRODUCT_UPDATED"
    )
    return [_product_event(kind, row, actor)]


async def write_variant_patch(
    session: AsyncSession, *, actor: str, variant_id: int, patch: VariantPatch
) -> list[Event]:
    repo = CatalogRepository(session)
    row = await repo.lock_variant(variant_id)
    if row is None:
        raise CatalogObjectNotFound(f"Variant {variant_id} does not exist.", field="id")
    product = await _product(repo, row.product_id)
    defs = await _type_defs(session, product.product_type_id)
    errors: list[DomainError] = []
    changes: dict[str, Any] = {}
    if patch.sku is not UNSET:
        sku = _collect(errors, lambda: model.check_sku(patch.sku))
        if sku and sku != row.sku:
            owner = (await repo.owners_of_skus([sku])).get(sku)
            if owner:
                errors.append(_sku_taken(sku, owner, field="sku"))
        changes["sku"] = sku
    if patch.barcode is not UNSET:
        barcode = _collect(errors, lambda: _barcode(patch.barcode, field="barcode"))
        if barcode and barcode != row.barcode:
            owner = (await repo.owners_of_barcodes([barcode])).get(barcode)
            if owner:
                errors.append(_barcode_taken(barcode, owner, field="barcode"))
        changes["barcode"] = barcode
    if patch.title is not UNSET:
        changes["title"] = (patch.title or "").strip()
    if patch.options is not UNSET:
        changes["options"] = _collect(errors, lambda: _options(patch.options, field="options"))
    if patch.weight_grams is not UNSET:
        changes["weight_grams"] = _collect(
            errors, lambda: _weight(patch.weight_grams, field="weightGrams")
        )
    if patch.position is not UNSET and patch.position is not None:
        changes["position"] = patch.position
    overrides = dict(row.attributes)
    if patch.attributes is not UNSET:
        given = _collect(errors, lambda: model.validate_attribute_values(defs, patch.attributes))
        for code, _raw in patch.attributes:
            overrides.pop(code, None)
        overrides.update(given or {})
    model.raise_all(errors)
    if overrides != row.attributes:
        changes["attributes"] = overrides
        changes["effective_attributes"] = model.effective_attributes(product.attributes, overrides)
    changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
    if not changed:
        return []
    for key, value in changed.items():
        setattr(row, key, value)
    row.updated_at = datetime.now(UTC)
    await repo.flush()
    return [_variant_event("VARIANT_UPDATED", row, actor)]


async def _write_variants(
    repo: CatalogRepository,
    *,
    product: ProductRow,
    defs: Mapping[str, AttributeDef],
    drafts: Sequence[VariantDraft],
    actor: str,
    prefix: str,
    checked: bool = False,
) -> tuple[list[int], list[Event]]:
    if not checked:
        errors: list[DomainError] = []
        await _check_variant_drafts(repo, drafts, defs, errors, prefix=prefix)
        model.raise_all(errors)
    rows = []
    for i, d in enumerate(drafts):
        overrides = model.validate_attribute_values(defs, d.attributes)
        rows.append(
            VariantRow(
                product_id=product.id,
                sku=d.sku.strip(),
                barcode=d.barcode.strip() if d.barcode else None,
                title=d.title.strip(),
                options=dict(d.options),
                attributes=overrides,
                effective_attributes=model.effective_attributes(product.attributes, overrides),
                weight_grams=d.weight_grams,
                position=d.position if d.position is not None else i,
            )
        )
    repo.session.add_all(rows)
    await repo.flush()
    return [int(r.id) for r in rows], [_variant_event("VARIANT_CREATED", r, actor) for r in rows]


async def _check_variant_drafts(
    repo: CatalogRepository,
    drafts: Sequence[VariantDraft],
    defs: Mapping[str, AttributeDef],
    errors: list[DomainError],
    *,
    prefix: str,
) -> None:
    """Every problem with new variants, each naming its field (``variants[1].sku``)."""

    def at(i: int, name: str) -> str:
        return f"{prefix}[{i}].{name}" if prefix else name

    skus: dict[str, int] = {}
    barcodes: dict[str, int] = {}
    for i, d in enumerate(drafts):
        sku = _collect(errors, lambda d=d, i=i: model.check_sku(d.sku, field=at(i, "sku")))
        if sku:
            if sku in skus:
                errors.append(
                    DuplicateSku(
                        f"SKU {sku} is given twice (also variant {skus[sku] + 1}).",
                        field=at(i, "sku"),
                    )
                )
            skus.setdefault(sku, i)
        if d.barcode:
            code = _collect(errors, lambda d=d, i=i: _barcode(d.barcode, field=at(i, "barcode")))
            if code:
                if code in barcodes:
                    errors.append(
                        DuplicateBarcode(
                            f"Barcode {code} is given twice (also variant {barcodes[code] + 1}).",
                            field=at(i, "barcode"),
                        )
                    )
                barcodes.setdefault(code, i)
        _collect(errors, lambda d=d, i=i: _options(d.options, field=at(i, "options")))
        _collect(errors, lambda d=d, i=i: _weight(d.weight_grams, field=at(i, "weightGrams")))
        _collect(
            errors,
            lambda d=d, i=i: model.validate_attribute_values(
                defs, d.attributes, field=at(i, "attributes")
            ),
        )
    for sku, owner in (await repo.owners_of_skus(list(skus))).items():
        errors.append(_sku_taken(sku, owner, field=at(skus[sku], "sku")))
    for code, owner in (await repo.owners_of_barcodes(list(barcodes))).items():
        errors.append(_barcode_taken(code, owner, field=at(barcodes[code], "barcode")))


# --- helpers ----------------------------------------------------------------------------------


def _sku_taken(sku: str, owner: tuple[int, str, str], *, field: str) -> DuplicateSku:
    _vid, slug, title = owner
    return DuplicateSku(
        f"SKU {sku} is already used by product '{title}' ({slug}); choose another SKU.",
        field=field,
    )


def _barcode_taken(code: str, owner: tuple[int, str, str], *, field: str) -> DuplicateBarcode:
    _vid, sku, title = owner
    return DuplicateBarcode(
        f"Barcode {code} already belongs to SKU {sku} of product '{title}'; check the label.",
        field=field,
    )


def _collect(errors: list[DomainError], fn: Any) -> Any:
    try:
        return fn()
    except DomainError as exc:
        errors.append(exc)
        return None


async def _collect_async(errors: list[DomainError], awaitable: Any) -> Any:
    try:
        return await awaitable
    except DomainError as exc:
        errors.append(exc)
        return None


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title or len(title) > 300:
        raise ValidationFailed("Give the product a title of 1 to 300 characters.", field="title")
    return title


def _opt(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _media(urls: Sequence[str]) -> list[str]:
    urls = [u.strip() for u in urls if u and u.strip()]
    if len(urls) > MAX_MEDIA:
        raise ValidationFailed(f"At most {MAX_MEDIA} media URLs per product.", field="media")
    bad = [u for u in urls if not u.startswith(("https://", "http://")) or " " in u]
    if bad:
        raise ValidationFailed(f"Media must be http(s) URLs; not {bad[0]!r}.", field="media")
    return urls


def _barcode(barcode: str | None, *, field: str) -> str | None:
    if barcode is None or not barcode.strip():
        return None
    return model.check_barcode(barcode, field=field)


def _options(options: Mapping[str, str], *, field: str) -> dict[str, str]:
    out = {}
    for name, value in (options or {}).items():
        if not str(name).strip() or not str(value).strip():
            raise ValidationFailed(
                "Option names and values cannot be empty (e.g. colour: Чёрный).", field=field
            )
        out[str(name).strip()] = str(value).strip()
    return out


def _weight(weight: int | None, *, field: str) -> int | None:
    if weight is not None and not 0 <= weight <= 1_000_000:
        raise ValidationFailed("Weight is in grams, 0 to 1,000,000.", field=field)
    return weight


async def _product(repo: CatalogRepository, product_id: int) -> ProductRow:
    row = await repo.get(ProductRow, product_id)
    if row is None:
        raise CatalogObjectNotFound(f"Product {product_id} does not exist.", field="productId")
    return row


async def _live_type(session: AsyncSession, type_id: int) -> ProductTypeRow:
    row = (await product_types_by_ids(session, [type_id])).get(type_id)
    if row is None or row.archived_at is not None:
        raise CatalogObjectNotFound(
            f"Product type {type_id} does not exist or is archived.", field="productTypeId"
        )
    return row


async def _brand_name(session: AsyncSession, brand_id: int | None) -> str | None:
    if brand_id is None:
        return None
    row = (await brands_by_ids(session, [brand_id])).get(brand_id)
    if row is None or row.archived_at is not None:
        raise CatalogObjectNotFound(
            f"Brand {brand_id} does not exist or is archived.", field="brandId"
        )
    return row.name


async def _category_name(session: AsyncSession, category_id: int | None) -> str | None:
    if category_id is None:
        return None
    row = (await categories_by_ids(session, [category_id])).get(category_id)
    if row is None or row.archived_at is not None:
        raise CatalogObjectNotFound(
            f"Category {category_id} does not exist or is archived.", field="categoryId"
        )
    return keywords_text(row.name, row.name_en)


async def _type_defs(session: AsyncSession, type_id: int) -> dict[str, AttributeDef]:
    rows = (await attributes_by_type_ids(session, [type_id])).get(type_id, [])
    return {r.code: to_def(r) for r in rows if r.archived_at is None}


async def _check_values_fit_type(
    session: AsyncSession,
    product_id: int,
    values: Mapping[str, Any],
    defs: Mapping[str, AttributeDef],
    errors: list[DomainError],
) -> None:
    variants = (await live_variants_by_product_ids(session, [product_id])).get(product_id, [])
    used = set(values) | {code for v in variants for code in v.attributes}
    alien = sorted(used - set(defs))
    if alien:
        errors.append(
            ValidationFailed(
                f"The new product type has no attribute(s) {', '.join(alien)}; clear those "
                "values first.",
                field="productTypeId",
            )
        )


def _product_event(kind: str, row: ProductRow, actor: str) -> ProductChanged:
    return ProductChanged(kind=kind, product_id=int(row.id), slug=row.slug, actor=actor)


def _variant_event(kind: str, row: VariantRow, actor: str) -> VariantChanged:
    return VariantChanged(
        kind=kind,
        variant_id=int(row.id),
        product_id=int(row.product_id),
        sku=row.sku,
        actor=actor,
    )


__all__ = [
    "ProductDraft",
    "ProductPatch",
    "VariantDraft",
    "VariantPatch",
    "archive_product",
    "archive_variant",
    "create_product",
    "create_variant",
    "update_product",
    "update_variant",
]
