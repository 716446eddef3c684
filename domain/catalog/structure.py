"""PIM use cases for the catalog's structure: brands, categories, attributes, product types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.catalog import model
from domain.catalog.errors import CatalogObjectNotFound, DuplicateSlug
from domain.catalog.events import CatalogStructureChanged
from domain.catalog.model import AttributeKind, Choice
from domain.catalog.queries import (
    attributes_by_codes,
    attributes_by_ids,
    attributes_by_type_ids,
    category_parents,
    child_categories,
    product_types_by_codes,
)
from domain.catalog.repository import CatalogRepository
from domain.catalog.tables import (
    AttributeDefinitionRow,
    BrandRow,
    CategoryRow,
    ProductTypeRow,
)
from domain.shared.clock import utcnow as _now
from domain.shared.errors import Conflict, DomainError, ValidationFailed
from domain.shared.uow import UnitOfWork


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave as is" in updates, distinct from None ("clear")


def _name(value: str, *, field: str = "name", what: str = "a name") -> str:
    value = value.strip()
    if not value or len(value) > 200:
        raise ValidationFailed(f"Give {what} of 1 to 200 characters.", field=field)
    return value


async def _must_get(repo: CatalogRepository, cls: type[Any], row_id: int, label: str) -> Any:
    row = await repo.get(cls, row_id)
    if row is None:
        raise CatalogObjectNotFound(f"{label} {row_id} does not exist.", field="id")
    return row


def _record(uow: UnitOfWork, kind: str, subject: str, actor: str) -> None:
    uow.record(CatalogStructureChanged(kind=kind, subject=subject, actor=actor))


# --- brands -----------------------------------------------------------------------------------


async def create_brand(uow: UnitOfWork, *, actor: str, name: str, slug: str | None = None) -> int:
    name = _name(name, what="the brand a name")
    slug = model.check_slug(slug) if slug else model.slugify(name)
    async with uow:
        repo = CatalogRepository(uow.session)
        await _check_brand_unique(repo, name=name, slug=slug, except_id=None)
        row = await repo.add(BrandRow(name=name, slug=slug))
        _record(uow, "BRAND_CREATED", f"brand:{row.id}", actor)
        await uow.commit()
    return int(row.id)


async def _check_brand_unique(
    repo: CatalogRepository, *, name: str, slug: str, except_id: int | None
) -> None:
    from sqlalchemy import func, select

    other = await repo.session.scalar(
        select(BrandRow).where(
            (func.lower(BrandRow.name) == name.lower()) | (BrandRow.slug == slug),
            BrandRow.id != (except_id or 0),
        )
    )
    if other is not None:
        field = "slug" if other.slug == slug and other.name.lower() != name.lower() else "name"
        raise DuplicateSlug(f"Brand '{other.name}' already exists ({other.slug}).", field=field)


async def update_brand(
    uow: UnitOfWork, *, actor: str, brand_id: int, name: str | None = None, slug: str | None = None
) -> None:
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await _must_get(repo, BrandRow, brand_id, "Brand")
        new_name = _name(name, what="the brand a name") if name is not None else row.name
        new_slug = model.check_slug(slug) if slug is not None else row.slug
        await _check_brand_unique(repo, name=new_name, slug=new_slug, except_id=brand_id)
        renamed = new_name != row.name
        row.name, row.slug = new_name, new_slug
        await repo.flush()
        if renamed:
            await repo.refresh_keywords(brand_id=brand_id)
        _record(uow, "BRAND_UPDATED", f"brand:{brand_id}", actor)
        await uow.commit()


async def archive_brand(uow: UnitOfWork, *, actor: str, brand_id: int) -> None:
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await _must_get(repo, BrandRow, brand_id, "Brand")
        if row.archived_at is None:
            row.archived_at = _now()
            await repo.flush()
            _record(uow, "BRAND_ARCHIVED", f"brand:{brand_id}", actor)
        await uow.commit()


# --- categories -------------------------------------------------------------------------------


async def create_category(
    uow: UnitOfWork,
    *,
    actor: str,
    name: str,
    name_en: str | None = None,
    slug: str | None = None,
    parent_id: int | None = None,
    position: int = 0,
) -> int:
    name = _name(name, what="the category a name")
    slug = model.check_slug(slug) if slug else model.slugify(name_en or name)
    async with uow:
        repo = CatalogRepository(uow.session)
        if parent_id is not None:
            await _live_parent(repo, parent_id)
        if await repo.slug_taken(CategoryRow, slug):
            raise DuplicateSlug(f"Category slug '{slug}' is taken; choose another.", field="slug")
        row = await repo.add(
            CategoryRow(
                name=name, name_en=name_en, slug=slug, parent_id=parent_id, position=position
            )
        )
        _record(uow, "CATEGORY_CREATED", f"category:{row.id}", actor)
        await uow.commit()
    return int(row.id)


async def _live_parent(repo: CatalogRepository, parent_id: int) -> CategoryRow:
    parent = await repo.get(CategoryRow, parent_id)
    if parent is None or parent.archived_at is not None:
        raise CatalogObjectNotFound(
            f"Parent category {parent_id} does not exist or is archived.", field="parentId"
        )
    return parent


async def update_category(
    uow: UnitOfWork,
    *,
    actor: str,
    category_id: int,
    name: str | None = None,
    name_en: str | None = UNSET,
    slug: str | None = None,
    parent_id: int | None = UNSET,
    position: int | None = None,
) -> None:
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await _must_get(repo, CategoryRow, category_id, "Category")
        if parent_id is not UNSET and parent_id != row.parent_id:
            if parent_id is not None:
                await _live_parent(repo, parent_id)
                model.check_category_parent(
                    category_id, parent_id, await category_parents(uow.session)
                )
            row.parent_id = parent_id
        if slug is not None:
            slug = model.check_slug(slug)
            if await repo.slug_taken(CategoryRow, slug, except_id=category_id):
                raise DuplicateSlug(f"Category slug '{slug}' is taken.", field="slug")
            row.slug = slug
        renamed = False
        if name is not None:
            new = _name(name, what="the category a name")
            renamed, row.name = new != row.name, new
        if name_en is not UNSET:
            renamed, row.name_en = renamed or name_en != row.name_en, name_en
        if position is not None:
            row.position = position
        await repo.flush()
        if renamed:
            await repo.refresh_keywords(category_id=category_id)
        _record(uow, "CATEGORY_UPDATED", f"category:{category_id}", actor)
        await uow.commit()


async def archive_category(uow: UnitOfWork, *, actor: str, category_id: int) -> None:
    """Hide a category from the tree. Its live subcategories must be archived or moved first."""
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await _must_get(repo, CategoryRow, category_id, "Category")
        children = (await child_categories(uow.session, [category_id])).get(category_id, [])
        if children:
            names = ", ".join(c.name for c in children)
            raise Conflict(
                f"Category '{row.name}' still has subcategories ({names}); archive or move "
                "them first.",
                field="id",
            )
        if row.archived_at is None:
            row.archived_at = _now()
            await repo.flush()
            _record(uow, "CATEGORY_ARCHIVED", f"category:{category_id}", actor)
        await uow.commit()


# --- attribute definitions --------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeSpec:
    code: str
    name: str
    kind: AttributeKind
    name_en: str | None = None
    unit: str | None = None
    choices: Sequence[Choice] = ()
    min_value: float | None = None
    max_value: float | None = None
    filterable: bool = False
    comparable: bool = False
    shown_on_card: bool = False
    position: int = 0


def _check_attribute(spec: AttributeSpec) -> list[DomainError]:
    errors: list[DomainError] = []
    for check in (
        lambda: model.check_code(spec.code),
        lambda: _name(spec.name, what="the attribute a name"),
        lambda: model.check_choices(spec.kind, spec.choices, field="choices"),
    ):
        try:
            check()
        except DomainError as exc:
            errors.append(exc)
    if spec.kind is not AttributeKind.NUMBER and (
        spec.unit or spec.min_value is not None or spec.max_value is not None
    ):
        errors.append(
            ValidationFailed("Only NUMBER attributes have a unit and a range.", field="unit")
        )
    if None not in (spec.min_value, spec.max_value) and spec.min_value > spec.max_value:  # type: ignore[operator]
        errors.append(ValidationFailed("minValue is above maxValue.", field="minValue"))
    if spec.comparable and spec.kind is AttributeKind.TEXT:
        errors.append(
            ValidationFailed(
                "Free-text attributes cannot be compared; use ENUM or NUMBER.", field="comparable"
            )
        )
    return errors


async def create_attribute(uow: UnitOfWork, *, actor: str, spec: AttributeSpec) -> int:
    errors = _check_attribute(spec)
    async with uow:
        repo = CatalogRepository(uow.session)
        if not errors and await attributes_by_codes(uow.session, [spec.code]):
            errors.append(
                Conflict(f"Attribute code '{spec.code}' is taken; choose another.", field="code")
            )
        model.raise_all(errors)
        row = await repo.add(
            AttributeDefinitionRow(
                code=spec.code,
                name=spec.name.strip(),
                name_en=spec.name_en,
                kind=spec.kind,
                unit=spec.unit,
                choices=[{"value": c.value, "label": c.label} for c in spec.choices],
                min_value=spec.min_value,
                max_value=spec.max_value,
                filterable=spec.filterable,
                comparable=spec.comparable,
                shown_on_card=spec.shown_on_card,
                position=spec.position,
            )
        )
        _record(uow, "ATTRIBUTE_CREATED", f"attribute:{row.id}", actor)
        await uow.commit()
    return int(row.id)


async def update_attribute(
    uow: UnitOfWork, *, actor: str, attribute_id: int, changes: dict[str, Any]
) -> None:
    """``changes``: any AttributeSpec field except code and kind (values already exist)."""
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await _must_get(repo, AttributeDefinitionRow, attribute_id, "Attribute")
        current = AttributeSpec(
            code=row.code,
            name=row.name,
            kind=AttributeKind(row.kind),
            name_en=row.name_en,
            unit=row.unit,
            choices=tuple(Choice(c["value"], c["label"]) for c in row.choices),
            min_value=row.min_value,
            max_value=row.max_value,
            filterable=row.filterable,
            comparable=row.comparable,
            shown_on_card=row.shown_on_card,
            position=row.position,
        )
        spec = AttributeSpec(**{**current.__dict__, **changes})
        model.raise_all(_check_attribute(spec))
        removed = {c.value for c in current.choices} - {c.value for c in spec.choices}
        for value in sorted(removed):
            used = await repo.count_products_using(code=row.code, value=value)
            if used:
                raise Conflict(
                    f"Choice '{value}' of {row.code} is used by {used} product(s); change them "
                    "first.",
                    field="choices",
                )
        for key, value in changes.items():
            if key == "choices":
                value = [{"value": c.value, "label": c.label} for c in value]
            setattr(row, key, value)
        await repo.flush()
        _record(uow, "ATTRIBUTE_UPDATED", f"attribute:{attribute_id}", actor)
        await uow.commit()


async def archive_attribute(uow: UnitOfWork, *, actor: str, attribute_id: int) -> None:
    """Archived attributes stop being filterable and comparable; stored values stay readable."""
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await _must_get(repo, AttributeDefinitionRow, attribute_id, "Attribute")
        if row.archived_at is None:
            row.archived_at = _now()
            await repo.flush()
            _record(uow, "ATTRIBUTE_ARCHIVED", f"attribute:{attribute_id}", actor)
        await uow.commit()


# --- product types ----------------------------------------------------------------------------


async def _live_attributes(
    uow: UnitOfWork, attribute_ids: Sequence[int]
) -> list[AttributeDefinitionRow]:
    if len(set(attribute_ids)) != len(attribute_ids):
        raise ValidationFailed("An attribute is listed twice.", field="attributeIds")
    found = await attributes_by_ids(uow.session, attribute_ids)
    missing = [a for a in attribute_ids if a not in found or found[a].archived_at is not None]
    if missing:
        raise CatalogObjectNotFound(
            f"Attribute(s) {missing} do not exist or are archived.", field="attributeIds"
        )
    return [found[a] for a in attribute_ids]


async def create_product_type(
    uow: UnitOfWork, *, actor: str, code: str, name: str, attribute_ids: Sequence[int]
) -> int:
    code = model.check_code(code)
    name = _name(name, what="the product type a name")
    async with uow:
        repo = CatalogRepository(uow.session)
        if await product_types_by_codes(uow.session, [code]):
            raise Conflict(f"Product type code '{code}' is taken; choose another.", field="code")
        await _live_attributes(uow, attribute_ids)
        row = await repo.add(ProductTypeRow(code=code, name=name))
        await repo.set_type_attributes(row.id, attribute_ids)
        _record(uow, "PRODUCT_TYPE_CREATED", f"product_type:{row.id}", actor)
        await uow.commit()
    return int(row.id)


async def update_product_type(
    uow: UnitOfWork,
    *,
    actor: str,
    product_type_id: int,
    name: str | None = None,
    attribute_ids: Sequence[int] | None = None,
) -> None:
    """Replacing the attribute list refuses to drop an attribute products still have values for."""
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await _must_get(repo, ProductTypeRow, product_type_id, "Product type")
        if name is not None:
            row.name = _name(name, what="the product type a name")
            await repo.flush()
            await repo.refresh_keywords(product_type_id=product_type_id)
        if attribute_ids is not None:
            new = await _live_attributes(uow, attribute_ids)
            old = (await attributes_by_type_ids(uow.session, [product_type_id])).get(
                product_type_id, []
            )
            dropped = {a.code for a in old} - {a.code for a in new}
            for code in sorted(dropped):
                used = await repo.count_products_using(code=code, product_type_id=product_type_id)
                if used:
                    raise Conflict(
                        f"{used} product(s) of this type have a value for '{code}'; clear it "
                        "before removing the attribute.",
                        field="attributeIds",
                    )
            await repo.set_type_attributes(product_type_id, attribute_ids)
        _record(uow, "PRODUCT_TYPE_UPDATED", f"product_type:{product_type_id}", actor)
        await uow.commit()


async def archive_product_type(uow: UnitOfWork, *, actor: str, product_type_id: int) -> None:
    """Archived types take no new products; existing products keep their type."""
    async with uow:
        repo = CatalogRepository(uow.session)
        row = await _must_get(repo, ProductTypeRow, product_type_id, "Product type")
        if row.archived_at is None:
            row.archived_at = _now()
            await repo.flush()
            _record(uow, "PRODUCT_TYPE_ARCHIVED", f"product_type:{product_type_id}", actor)
        await uow.commit()
