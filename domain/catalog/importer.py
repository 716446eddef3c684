"""Bulk import: JSON Lines or CSV rows, one per variant, upserted by SKU.

A row updates the variant with its SKU (and that variant's product) or adds the variant to the
product named by ``product`` (its slug), creating the product when it does not exist. Each row
runs under its own savepoint: a bad row is reported with its line number and reason and writes
nothing; the good rows of a batch commit together. Re-running the same file changes nothing and
emits no events (rows compare equal and are counted as unchanged).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import model, services
from domain.catalog.errors import CatalogObjectNotFound
from domain.catalog.model import ProductStatus
from domain.catalog.queries import (
    brands_by_names,
    categories_by_slugs,
    product_types_by_codes,
    products_by_ids,
    products_by_slugs,
    variants_by_skus,
)
from domain.catalog.repository import CatalogRepository
from domain.catalog.structure import UNSET
from domain.catalog.tables import BrandRow
from domain.shared.errors import DomainError, MultipleErrors, ValidationFailed
from domain.shared.uow import UnitOfWork

PRODUCT_FIELDS = ("title", "title_en", "description", "description_en")
BATCH = 200


@dataclass(frozen=True)
class Row:
    line: int
    data: dict[str, Any]


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass
class ImportReport:
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def rows_ok(self) -> int:
        return self.variants_created + self.variants_updated + self.unchanged


# --- parsing ----------------------------------------------------------------------------------


def parse_jsonl(lines: Iterable[str]) -> Iterator[Row | Rejected]:
    """One JSON object per line: keys as in docs/catalog.md; blank lines are skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield Rejected(number, f"not valid JSON ({exc})")
            continue
        if not isinstance(data, dict):
            yield Rejected(number, "each line must be a JSON object")
            continue
        yield Row(number, data)


def parse_csv(text: str) -> Iterator[Row | Rejected]:
    """A header row, then one row per variant. ``attr.<code>``, ``variant_attr.<code>`` and
    ``option.<name>`` columns carry attributes, overrides and options; media are ``|``-separated.
    Line numbers count the header as line 1."""
    reader = csv.DictReader(io.StringIO(text))
    for record in reader:
        number = reader.line_num
        data: dict[str, Any] = {"attributes": {}, "variant_attributes": {}, "options": {}}
        for key, value in record.items():
            if key is None:
                yield Rejected(number, "more cells than header columns")
                break
            value = (value or "").strip()
            if key.startswith("attr."):
                data["attributes"][key[5:]] = value
            elif key.startswith("variant_attr."):
                data["variant_attributes"][key[13:]] = value
            elif key.startswith("option."):
                if value:
                    data["options"][key[7:]] = value
            elif key == "media":
                data["media"] = [u for u in value.split("|") if u.strip()]
            elif value != "":
                data[key] = value
        else:
            yield Row(number, data)


def parse_file(path: str) -> tuple[int, Iterator[Row | Rejected]]:
    """(data rows in the file, for a progress bar; parsed rows)."""
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    if path.lower().endswith(".csv"):
        return max(len(text.splitlines()) - 1, 0), parse_csv(text)
    lines = text.splitlines()
    return sum(1 for line in lines if line.strip()), parse_jsonl(lines)


# --- upsert -----------------------------------------------------------------------------------


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    return str(value).strip()


def _flag(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in model.TRUE_WORDS | model.FALSE_WORDS:
        return text in model.TRUE_WORDS
    raise ValidationFailed(f"'{key}' is true or false, not {value!r}.", field=key)


def _pairs(data: dict[str, Any], key: str) -> list[tuple[str, Any]]:
    values = data.get(key) or {}
    if not isinstance(values, dict):
        raise ValidationFailed(f"'{key}' must be an object of code: value.", field=key)
    return [(code, value) for code, value in values.items() if value is not None and value != ""]


def _weight(data: dict[str, Any]) -> int | None:
    value = data.get("weight_grams")
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            f"weight_grams must be a number, not {value!r}.", field="weight_grams"
        ) from exc


def _status(data: dict[str, Any]) -> ProductStatus | None:
    value = _text(data, "status")
    if value is None:
        return None
    try:
        return ProductStatus(value.upper())
    except ValueError as exc:
        raise ValidationFailed(
            f"status is DRAFT, ACTIVE or ARCHIVED, not {value!r}.", field="status"
        ) from exc


class _Lookups:
    """Per-run caches of reference data by natural key."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.types: dict[str, Any] = {}
        self.categories: dict[str, Any] = {}
        self.brands: dict[str, int] = {}

    async def product_type(self, code: str) -> int:
        if code not in self.types:
            self.types.update(await product_types_by_codes(self.session, [code]))
        row = self.types.get(code)
        if row is None or row.archived_at is not None:
            raise CatalogObjectNotFound(f"No product type '{code}'.", field="product_type")
        return int(row.id)

    async def category(self, slug: str) -> int:
        if slug not in self.categories:
            self.categories.update(await categories_by_slugs(self.session, [slug]))
        row = self.categories.get(slug)
        if row is None or row.archived_at is not None:
            raise CatalogObjectNotFound(
                f"No category '{slug}'; create it first (categoryCreate).", field="category"
            )
        return int(row.id)

    async def brand(self, name: str, actor: str) -> int:
        """Brands are created on first sight, by exact name."""
        if name not in self.brands:
            found = await brands_by_names(self.session, [name])
            if name in found:
                self.brands[name] = found[name].id
            else:
                slug = model.slugify(name)
                row = await CatalogRepository(self.session).add(BrandRow(name=name, slug=slug))
                return int(row.id)  # cached only once the row's savepoint succeeds
        return self.brands[name]


async def _upsert(
    session: AsyncSession, row: Row, lookups: _Lookups, *, actor: str, report: ImportReport
) -> list[Any]:
    data = row.data
    sku = model.check_sku(str(data.get("sku") or ""), field="sku")
    title = _text(data, "title")
    slug = _text(data, "product")
    brand_id = category_id = UNSET
    if _text(data, "brand"):
        brand_id = await lookups.brand(_text(data, "brand") or "", actor)
    if _text(data, "category"):
        category_id = await lookups.category(_text(data, "category") or "")
    type_id = (
        await lookups.product_type(_text(data, "product_type") or "")
        if _text(data, "product_type")
        else UNSET
    )
    media = data.get("media")
    variant_draft = services.VariantDraft(
        sku=sku,
        barcode=_text(data, "barcode"),
        title=_text(data, "variant_title") or "",
        options={str(k): str(v) for k, v in (data.get("options") or {}).items()},
        attributes=_pairs(data, "variant_attributes"),
        weight_grams=_weight(data),
    )
    patch = services.ProductPatch(
        **{name: _text(data, name) for name in PRODUCT_FIELDS if _text(data, name) is not None},
        brand_id=brand_id,
        category_id=category_id,
        product_type_id=type_id,
        attributes=_pairs(data, "attributes") or UNSET,
        media=media if media else UNSET,
        status=_status(data) or UNSET,
        published_online=_flag(data, "online") if _flag(data, "online") is not None else UNSET,
        published_in_store=_flag(data, "in_store")
        if _flag(data, "in_store") is not None
        else UNSET,
    )
    variant = (await variants_by_skus(session, [sku])).get(sku)
    if variant is not None:
        product = (await products_by_ids(session, [variant.product_id]))[variant.product_id]
        if slug and slug != product.slug:
            raise ValidationFailed(
                f"SKU {sku} belongs to product {product.slug}, not {slug}; moving variants "
                "between products is not supported.",
                field="product",
            )
        return await _update_both(
            session, product.id, variant.id, patch, variant_draft, actor, report
        )
    slug = slug or model.slugify(_text(data, "title_en") or title or "")
    product = (await products_by_slugs(session, [slug])).get(slug) if slug else None
    if product is not None:
        events = await services.write_product_patch(
            session, actor=actor, product_id=product.id, patch=patch
        )
        report.products_updated += bool(events)
        _, variant_events = await services.write_new_variant(
            session, actor=actor, product_id=product.id, draft=variant_draft
        )
        report.variants_created += 1
        return events + variant_events
    if type_id is UNSET:
        raise ValidationFailed("A new product needs its product_type.", field="product_type")
    _id, events = await services.write_new_product(
        session,
        actor=actor,
        draft=services.ProductDraft(
            title=title or "",
            product_type_id=type_id,
            slug=slug,
            title_en=_text(data, "title_en"),
            description=_text(data, "description") or "",
            description_en=_text(data, "description_en"),
            brand_id=None if brand_id is UNSET else brand_id,
            category_id=None if category_id is UNSET else category_id,
            attributes=_pairs(data, "attributes"),
            media=list(media or []),
            status=_status(data) or ProductStatus.ACTIVE,
            published_online=_flag(data, "online") is not False,
            published_in_store=_flag(data, "in_store") is not False,
            variants=[variant_draft],
        ),
    )
    report.products_created += 1
    report.variants_created += 1
    return events


async def _update_both(
    session: AsyncSession,
    product_id: int,
    variant_id: int,
    patch: services.ProductPatch,
    draft: services.VariantDraft,
    actor: str,
    report: ImportReport,
) -> list[Any]:
    events = await services.write_product_patch(
        session, actor=actor, product_id=product_id, patch=patch
    )
    variant_events = await services.write_variant_patch(
        session,
        actor=actor,
        variant_id=variant_id,
        patch=services.VariantPatch(
            barcode=draft.barcode if draft.barcode else UNSET,
            title=draft.title if draft.title else UNSET,
            options=draft.options if draft.options else UNSET,
            attributes=list(draft.attributes) if draft.attributes else UNSET,
            weight_grams=draft.weight_grams if draft.weight_grams is not None else UNSET,
        ),
    )
    report.products_updated += bool(events)
    report.variants_updated += bool(variant_events)
    report.unchanged += not events and not variant_events
    return events + variant_events


def _reason(exc: DomainError) -> str:
    errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
    return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)


async def import_rows(
    uow_factory: Callable[[], UnitOfWork],
    rows: Iterable[Row | Rejected],
    *,
    actor: str,
    batch_size: int = BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upsert rows in batches of one transaction each, a savepoint per row."""
    report = ImportReport()
    batch: list[Row | Rejected] = []

    async def flush() -> None:
        uow = uow_factory()
        async with uow:
            lookups = _Lookups(uow.session)
            for row in batch:
                if isinstance(row, Rejected):
                    report.rejected.append(row)
                    continue
                tally = ImportReport()  # counted only if the row's savepoint holds
                try:
                    async with uow.session.begin_nested():
                        events = await _upsert(uow.session, row, lookups, actor=actor, report=tally)
                except DomainError as exc:
                    lookups.brands.clear()
                    report.rejected.append(Rejected(row.line, _reason(exc)))
                    continue
                uow.record(*events)
                for name in ("products_created", "products_updated", "variants_created",
                             "variants_updated", "unchanged"):  # fmt: skip
                    setattr(report, name, getattr(report, name) + getattr(tally, name))
            await uow.commit()
        if on_progress is not None:
            on_progress(len(batch))
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return report
