"""PIM mutation inputs and payloads, and their mapping to the services' commands."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.catalog.types import (
    AttributeDefinitionType,
    AttributeKind,
    BrandType,
    CategoryType,
    ProductStatus,
    ProductType,
    ProductTypeType,
    VariantType,
)
from api.errors import UserError
from api.relay import decode_id
from domain.catalog import services
from domain.catalog.model import AttributeKind as DomainKind
from domain.catalog.model import Choice
from domain.catalog.model import ProductStatus as DomainStatus
from domain.catalog.structure import UNSET, AttributeSpec

U: Any = strawberry.UNSET


def given(value: Any) -> Any:
    """strawberry's UNSET (field absent) -> the services' UNSET; anything else as is."""
    return UNSET if value is strawberry.UNSET else value


def opt_id(value: Any, type_name: str, field: str) -> Any:
    if value is strawberry.UNSET:
        return UNSET
    return None if value is None else decode_id(value, type_name, field=field)


# --- brands, categories -----------------------------------------------------------------------


@strawberry.input
class BrandCreateInput:
    name: str
    slug: str | None = None


@strawberry.input
class BrandUpdateInput:
    id: relay.GlobalID
    name: str | None = None
    slug: str | None = None


@strawberry.input
class CategoryCreateInput:
    name: str
    name_en: str | None = None
    slug: str | None = None
    parent_id: relay.GlobalID | None = None
    position: int = 0


@strawberry.input
class CategoryUpdateInput:
    id: relay.GlobalID
    name: str | None = U
    name_en: str | None = U
    slug: str | None = U
    parent_id: relay.GlobalID | None = strawberry.field(
        default=U, description="null makes it a root category."
    )
    position: int | None = U


# --- attributes, product types ----------------------------------------------------------------


@strawberry.input
class AttributeChoiceInput:
    value: str
    label: str | None = None


def _choices(items: list[AttributeChoiceInput] | None) -> tuple[Choice, ...]:
    return tuple(
        Choice(value=c.value.strip(), label=(c.label or c.value).strip()) for c in items or []
    )


@strawberry.input
class AttributeDefinitionCreateInput:
    code: str = strawberry.field(description="Stable key, e.g. bass_level.")
    name: str
    kind: AttributeKind
    name_en: str | None = None
    unit: str | None = None
    choices: list[AttributeChoiceInput] | None = None
    min_value: float | None = None
    max_value: float | None = None
    filterable: bool = False
    comparable: bool = False
    shown_on_card: bool = False
    position: int = 0

    def to_spec(self) -> AttributeSpec:
        return AttributeSpec(
            code=self.code,
            name=self.name,
            kind=DomainKind(self.kind.value),
            name_en=self.name_en,
            unit=self.unit,
            choices=_choices(self.choices),
            min_value=self.min_value,
            max_value=self.max_value,
            filterable=self.filterable,
            comparable=self.comparable,
            shown_on_card=self.shown_on_card,
            position=self.position,
        )


@strawberry.input(description="Code and kind cannot change once values exist.")
class AttributeDefinitionUpdateInput:
    id: relay.GlobalID
    name: str | None = U
    name_en: str | None = U
    unit: str | None = U
    choices: list[AttributeChoiceInput] | None = U
    min_value: float | None = U
    max_value: float | None = U
    filterable: bool | None = U
    comparable: bool | None = U
    shown_on_card: bool | None = U
    position: int | None = U

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in (
            "name", "name_en", "unit", "min_value", "max_value", "filterable", "comparable",
            "shown_on_card", "position",
        ):  # fmt: skip
            value = getattr(self, name)
            if value is not strawberry.UNSET:
                out[name] = value
        if self.choices is not strawberry.UNSET:
            out["choices"] = _choices(self.choices)
        return out


@strawberry.input
class ProductTypeCreateInput:
    code: str
    name: str
    attribute_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)


@strawberry.input
class ProductTypeUpdateInput:
    id: relay.GlobalID
    name: str | None = None
    attribute_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="The full new list, in display order."
    )


def attribute_ids(ids: list[relay.GlobalID]) -> list[int]:
    return [decode_id(g, "AttributeDefinition", field="attributeIds") for g in ids]


# --- products, variants -----------------------------------------------------------------------


@strawberry.input(description="One attribute value: a number, true/false, or text/choice value.")
class AttributeValueInput:
    code: str
    value: JSON | None = strawberry.field(description="null removes the value (in updates).")


@strawberry.input
class OptionValueInput:
    name: str
    value: str


def _values(items: list[AttributeValueInput] | None) -> list[tuple[str, Any]]:
    return [(a.code, a.value) for a in items or []]


def _options(items: list[OptionValueInput] | None) -> dict[str, str]:
    return {o.name: o.value for o in items or []}


@strawberry.input
class VariantInput:
    sku: str
    barcode: str | None = strawberry.field(default=None, description="GTIN (EAN-13, UPC...).")
    title: str = ""
    options: list[OptionValueInput] | None = None
    attributes: list[AttributeValueInput] | None = strawberry.field(
        default=None, description="Overrides of the product's values for this variant."
    )
    weight_grams: int | None = None
    position: int | None = None

    def to_draft(self) -> services.VariantDraft:
        return services.VariantDraft(
            sku=self.sku,
            barcode=self.barcode,
            title=self.title,
            options=_options(self.options),
            attributes=_values(self.attributes),
            weight_grams=self.weight_grams,
            position=self.position,
        )


@strawberry.input
class ProductCreateInput:
    title: str
    product_type_id: relay.GlobalID
    slug: str | None = strawberry.field(default=None, description="Default: from the title.")
    title_en: str | None = None
    description: str = ""
    description_en: str | None = None
    brand_id: relay.GlobalID | None = None
    category_id: relay.GlobalID | None = None
    attributes: list[AttributeValueInput] | None = None
    media: list[str] | None = None
    status: ProductStatus = DomainStatus.DRAFT
    published_online: bool = True
    published_in_store: bool = True
    variants: list[VariantInput] | None = None

    def to_draft(self) -> services.ProductDraft:
        return services.ProductDraft(
            title=self.title,
            product_type_id=decode_id(self.product_type_id, "ProductType", field="productTypeId"),
            slug=self.slug,
            title_en=self.title_en,
            description=self.description,
            description_en=self.description_en,
            brand_id=decode_id(self.brand_id, "Brand", field="brandId") if self.brand_id else None,
            category_id=decode_id(self.category_id, "Category", field="categoryId")
            if self.category_id
            else None,
            attributes=_values(self.attributes),
            media=list(self.media or []),
            status=DomainStatus(self.status.value),
            published_online=self.published_online,
            published_in_store=self.published_in_store,
            variants=[v.to_draft() for v in self.variants or []],
        )


@strawberry.input(description="Absent fields stay; listed attributes are set, null clears one.")
class ProductUpdateInput:
    id: relay.GlobalID
    title: str | None = U
    slug: str | None = U
    title_en: str | None = U
    description: str | None = U
    description_en: str | None = U
    brand_id: relay.GlobalID | None = U
    category_id: relay.GlobalID | None = U
    product_type_id: relay.GlobalID | None = U
    attributes: list[AttributeValueInput] | None = U
    media: list[str] | None = U
    status: ProductStatus | None = U
    published_online: bool | None = U
    published_in_store: bool | None = U

    def to_patch(self) -> services.ProductPatch:
        return services.ProductPatch(
            title=given(self.title),
            slug=given(self.slug),
            title_en=given(self.title_en),
            description=given(self.description),
            description_en=given(self.description_en),
            brand_id=opt_id(self.brand_id, "Brand", "brandId"),
            category_id=opt_id(self.category_id, "Category", "categoryId"),
            product_type_id=opt_id(self.product_type_id, "ProductType", "productTypeId"),
            attributes=UNSET if self.attributes is strawberry.UNSET else _values(self.attributes),
            media=UNSET if self.media is strawberry.UNSET else list(self.media or []),
            status=UNSET
            if self.status in (strawberry.UNSET, None)
            else DomainStatus(self.status.value),
            published_online=given(self.published_online),
            published_in_store=given(self.published_in_store),
        )


@strawberry.input
class VariantCreateInput:
    product_id: relay.GlobalID
    variant: VariantInput


@strawberry.input(description="Absent fields stay; listed attributes are set, null clears one.")
class VariantUpdateInput:
    id: relay.GlobalID
    sku: str | None = U
    barcode: str | None = U
    title: str | None = U
    options: list[OptionValueInput] | None = U
    attributes: list[AttributeValueInput] | None = U
    weight_grams: int | None = U
    position: int | None = U

    def to_patch(self) -> services.VariantPatch:
        return services.VariantPatch(
            sku=given(self.sku),
            barcode=given(self.barcode),
            title=given(self.title),
            options=UNSET if self.options is strawberry.UNSET else _options(self.options),
            attributes=UNSET if self.attributes is strawberry.UNSET else _values(self.attributes),
            weight_grams=given(self.weight_grams),
            position=given(self.position),
        )


# --- payloads and archive inputs (named per mutation, as the API conventions ask) -------------


def _payload(name: str, field: str, node: type) -> Any:
    namespace = {
        "__annotations__": {"user_errors": list[UserError], field: node | None},
        field: None,
    }
    return strawberry.type(type(name, (), namespace))


def _archive_input(name: str) -> Any:
    namespace = {"__annotations__": {"id": relay.GlobalID}}
    return strawberry.input(type(name, (), namespace), description="Archive by id.")


BrandCreatePayload = _payload("BrandCreatePayload", "brand", BrandType)
BrandUpdatePayload = _payload("BrandUpdatePayload", "brand", BrandType)
BrandArchivePayload = _payload("BrandArchivePayload", "brand", BrandType)
CategoryCreatePayload = _payload("CategoryCreatePayload", "category", CategoryType)
CategoryUpdatePayload = _payload("CategoryUpdatePayload", "category", CategoryType)
CategoryArchivePayload = _payload("CategoryArchivePayload", "category", CategoryType)
AttributeDefinitionCreatePayload = _payload(
    "AttributeDefinitionCreatePayload", "attribute_definition", AttributeDefinitionType
)
AttributeDefinitionUpdatePayload = _payload(
    "AttributeDefinitionUpdatePayload", "attribute_definition", AttributeDefinitionType
)
AttributeDefinitionArchivePayload = _payload(
    "AttributeDefinitionArchivePayload", "attribute_definition", AttributeDefinitionType
)
ProductTypeCreatePayload = _payload("ProductTypeCreatePayload", "product_type", ProductTypeType)
ProductTypeUpdatePayload = _payload("ProductTypeUpdatePayload", "product_type", ProductTypeType)
ProductTypeArchivePayload = _payload("ProductTypeArchivePayload", "product_type", ProductTypeType)
ProductCreatePayload = _payload("ProductCreatePayload", "product", ProductType)
ProductUpdatePayload = _payload("ProductUpdatePayload", "product", ProductType)
ProductArchivePayload = _payload("ProductArchivePayload", "product", ProductType)
VariantCreatePayload = _payload("VariantCreatePayload", "variant", VariantType)
VariantUpdatePayload = _payload("VariantUpdatePayload", "variant", VariantType)
VariantArchivePayload = _payload("VariantArchivePayload", "variant", VariantType)

BrandArchiveInput = _archive_input("BrandArchiveInput")
CategoryArchiveInput = _archive_input("CategoryArchiveInput")
AttributeDefinitionArchiveInput = _archive_input("AttributeDefinitionArchiveInput")
ProductTypeArchiveInput = _archive_input("ProductTypeArchiveInput")
ProductArchiveInput = _archive_input("ProductArchiveInput")
VariantArchiveInput = _archive_input("VariantArchiveInput")
