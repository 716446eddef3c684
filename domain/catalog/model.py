"""Catalog rules, free of persistence: attribute values, GTINs, visibility, browse filters."""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.access.model import Channel, Principal
from domain.shared.errors import DomainError, ValidationFailed

AttributeScalar = str | int | float | bool


class AttributeKind(enum.StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    ENUM = "ENUM"
    BOOLEAN = "BOOLEAN"


class ProductStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class ProductSort(enum.StrEnum):
    RELEVANCE = "RELEVANCE"
    NAME = "NAME"
    NEWEST = "NEWEST"


class Direction(enum.StrEnum):
    LESS = "LESS"
    GREATER = "GREATER"
    EQUAL = "EQUAL"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class AttributeDef:
    """What the validator needs to know about an attribute definition."""

    code: str
    name: str
    kind: AttributeKind
    unit: str | None = None
    choices: tuple[Choice, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    filterable: bool = False
    comparable: bool = False


CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
TRUE_WORDS = frozenset({"true", "yes", "1", "да", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "нет", "n"})

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
            "r", "s", "t", "u", "f", "h", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya",
        ],
        strict=True,
    )
)  # fmt: skip


def slugify(text: str) -> str:
    """``"Наушники Sony WH-1000XM5"`` -> ``"naushniki-sony-wh-1000xm5"`` (transliterated)."""
    lowered = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower().replace("+", " plus"))
    ascii_only = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:200]


def check_code(code: str, *, field: str = "code") -> str:
    code = code.strip()
    if not CODE_RE.match(code):
        raise ValidationFailed(
            f"'{code}' is not a valid code: use lower-case latin letters, digits and '_', "
            "starting with a letter (e.g. bass_level).",
            field=field,
        )
    return code


def check_slug(slug: str, *, field: str = "slug") -> str:
    slug = slug.strip()
    if not SLUG_RE.match(slug) or len(slug) > 200:
        raise ValidationFailed(
            f"'{slug}' is not a valid slug: use lower-case latin letters, digits and single "
            "hyphens (e.g. sony-wh-1000xm5).",
            field=field,
        )
    return slug


def check_sku(sku: str, *, field: str = "sku") -> str:
    sku = sku.strip()
    if not SKU_RE.match(sku):
        raise ValidationFailed(
            f"'{sku}' is not a valid SKU: 1 to 64 latin letters, digits, '.', '_', '/' or '-'.",
            field=field,
        )
    return sku


def gtin_check_digit(body: str) -> int:
    """GS1 check digit for the digits before it (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def check_barcode(barcode: str, *, field: str = "barcode") -> str:
    """A GTIN-8/12/13/14 (EAN/UPC) with a correct check digit."""
    code = barcode.strip()
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        raise ValidationFailed(
            f"Barcode '{code}' must be a GTIN of 8, 12, 13 or 14 digits (EAN/UPC).", field=field
        )
    if gtin_check_digit(code[:-1]) != int(code[-1]):
        raise ValidationFailed(
            f"Barcode '{code}' has a wrong check digit (expected "
            f"{gtin_check_digit(code[:-1])}); re-scan or re-type it.",
            field=field,
        )
    return code


# --- attribute values -------------------------------------------------------------------------


def _as_number(raw: Any) -> float | int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value: float | int = raw
    elif isinstance(raw, str):
        try:
            value = float(raw.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            return int(value)
    return value


def _as_bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.strip().lower() in TRUE_WORDS
    return None


def parse_attribute_value(definition: AttributeDef, raw: Any, *, field: str) -> AttributeScalar:
    """One raw input value (JSON or CSV text) to the stored value, or ValidationFailed."""
    name = f"{definition.name} ({definition.code})"
    if definition.kind is AttributeKind.NUMBER:
        number = _as_number(raw)
        if number is None:
            unit = f" in {definition.unit}" if definition.unit else ""
            raise ValidationFailed(
                f"{name} must be a number{unit}; got {raw!r}.", field=field, code="INVALID_VALUE"
            )
        low, high = definition.min_value, definition.max_value
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValidationFailed(
                f"{name} must be between {_fmt(low)} and {_fmt(high)}; got {_fmt(number)}.",
                field=field,
                code="INVALID_VALUE",
            )
        return number
    if definition.kind is AttributeKind.BOOLEAN:
        flag = _as_bool(raw)
        if flag is None:
            raise ValidationFailed(
                f"{name} is yes/no: send true or false; got {raw!r}.",
                field=field,
                code="INVALID_VALUE",
            )
        return flag
    if not isinstance(raw, str | int | float) or isinstance(raw, bool) or not str(raw).strip():
        raise ValidationFailed(
            f"{name} needs a non-empty text value; got {raw!r}.", field=field, code="INVALID_VALUE"
        )
    text = str(raw).strip()
    if definition.kind is AttributeKind.ENUM:
        allowed = [c.value for c in definition.choices]
        if text not in allowed:
            raise ValidationFailed(
                f"{name} must be one of {', '.join(allowed)}; got {text!r}.",
                field=field,
                code="INVALID_VALUE",
            )
    elif len(text) > 500:
        raise ValidationFailed(
            f"{name} is limited to 500 characters.", field=field, code="INVALID_VALUE"
        )
    return text


def _fmt(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


def validate_attribute_values(
    definitions: Mapping[str, AttributeDef],
    values: Sequence[tuple[str, Any]],
    *,
    field: str = "attributes",
    owner: str = "this product type",
) -> dict[str, AttributeScalar]:
    """Validate ``(code, raw value)`` pairs against the product type's definitions.

    Returns ``{code: value}``; a ``None`` value removes the attribute. Every problem is reported
    (``MultipleErrors``), each naming its input field, e.g. ``attributes[1].value``.
    """
    parsed: dict[str, AttributeScalar] = {}
    errors: list[DomainError] = []
    seen: set[str] = set()
    for index, (code, raw) in enumerate(values):
        where = f"{field}[{index}]"
        definition = definitions.get(code)
        if definition is None:
            known = ", ".join(sorted(definitions)) or "none"
            errors.append(
                ValidationFailed(
                    f"Attribute '{code}' is not defined for {owner} (known: {known}).",
                    field=f"{where}.code",
                    code="UNKNOWN_ATTRIBUTE",
                )
            )
            continue
        if code in seen:
            errors.append(
                ValidationFailed(
                    f"Attribute '{code}' is given twice.", field=f"{where}.code", code="DUPLICATE"
                )
            )
            continue
        seen.add(code)
        if raw is None or raw == "":
            continue  # absent: the attribute is not set
        try:
            parsed[code] = parse_attribute_value(definition, raw, field=f"{where}.value")
        except DomainError as exc:
            errors.append(exc)
    raise_all(errors)
    return parsed


def raise_all(errors: Sequence[DomainError]) -> None:
    from domain.shared.errors import MultipleErrors

    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultipleErrors(list(errors))


def effective_attributes(
    product_values: Mapping[str, AttributeScalar], overrides: Mapping[str, AttributeScalar]
) -> dict[str, AttributeScalar]:
    """A variant's attributes: its overrides win over the product's values."""
    return {**product_values, **overrides}


def format_value(definition: AttributeDef | None, value: AttributeScalar) -> str:
    """Display text for a card: ``"250 g"``, ``"Полноразмерные"``, ``"да"``."""
    if definition is None:
        return str(value)
    if definition.kind is AttributeKind.BOOLEAN:
        return "да" if value else "нет"
    if definition.kind is AttributeKind.ENUM:
        for choice in definition.choices:
            if choice.value == value:
                return choice.label
        return str(value)
    if definition.kind is AttributeKind.NUMBER:
        text = _fmt(float(value))
        return f"{text} {definition.unit}" if definition.unit else text
    return str(value)


def check_choices(kind: AttributeKind, choices: Sequence[Choice], *, field: str) -> None:
    if kind is AttributeKind.ENUM and not choices:
        raise ValidationFailed(
            "An ENUM attribute needs its choices, e.g. over-ear, on-ear, in-ear.", field=field
        )
    if kind is not AttributeKind.ENUM and choices:
        raise ValidationFailed(f"Only ENUM attributes have choices, not {kind.value}.", field=field)
    values = [c.value for c in choices]
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ValidationFailed(f"Choice(s) {', '.join(duplicates)} given twice.", field=field)
    if any(not v.strip() for v in values):
        raise ValidationFailed("A choice value cannot be empty.", field=field)


# --- categories -------------------------------------------------------------------------------


def check_category_parent(
    category_id: int, new_parent_id: int | None, parents: Mapping[int, int | None]
) -> None:
    """Refuse a move that would make a category its own ancestor (a cycle in the tree)."""
    node = new_parent_id
    steps = 0
    while node is not None and steps <= len(parents):
        if node == category_id:
            raise ValidationFailed(
                "A category cannot be moved under itself or one of its subcategories.",
                field="parentId",
            )
        node = parents.get(node)
        steps += 1


# --- visibility -------------------------------------------------------------------------------


ONLINE_CHANNELS = frozenset({Channel.WEB, Channel.APP})
STORE_CHANNELS = frozenset({Channel.POS, Channel.STAFF})


@dataclass(frozen=True)
class Visibility:
    """Which products a list shows: statuses, and the publication flag the channel needs."""

    statuses: frozenset[ProductStatus]
    online: bool = False  # require published_online
    in_store: bool = False  # require published_in_store


def list_visibility(
    principal: Principal,
    *,
    channel: Channel | None,
    statuses: Iterable[ProductStatus] | None,
) -> Visibility:
    """Lists show ACTIVE products published to the channel (default: the API key's channel).

    Staff may also ask for drafts and archived products, and BACK_OFFICE (staff only) ignores
    publication.
    """
    wanted = frozenset(statuses) if statuses else frozenset({ProductStatus.ACTIVE})
    channel = channel or principal.channel
    if not principal.is_staff:
        if wanted != {ProductStatus.ACTIVE}:
            raise ValidationFailed(
                "Draft and archived products are visible to staff only; sign in as staff.",
                field="filter.statuses",
                code="FORBIDDEN",
            )
        if channel is Channel.BACK_OFFICE:
            raise ValidationFailed(
                "The BACK_OFFICE view is for staff only; pick WEB, APP, POS or STAFF.",
                field="channel",
                code="FORBIDDEN",
            )
    return Visibility(
        statuses=wanted, online=channel in ONLINE_CHANNELS, in_store=channel in STORE_CHANNELS
    )


def can_see_product(
    principal: Principal, *, status: ProductStatus, published_online: bool, published_in_store: bool
) -> bool:
    """Single lookups: staff see every product; others only ACTIVE ones on their channel."""
    if principal.is_staff:
        return True
    if status is not ProductStatus.ACTIVE:
        return False
    if principal.channel in STORE_CHANNELS:
        return published_in_store
    return published_online


# --- browse filters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeCondition:
    """One condition on a variant's effective attribute ``code``.

    ``facet`` conditions come from the sidebar and are dropped for their own facet's counts
    (disjunctive faceting); relative-filter conditions always apply.
    """

    code: str
    values: tuple[str, ...] | None = None
    boolean: bool | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    facet: bool = True


@dataclass(frozen=True)
class AttributeFilterInput:
    code: str
    values: tuple[str, ...] | None = None
    boolean: bool | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Comparison:
    code: str
    direction: Direction


def build_attribute_conditions(
    definitions: Mapping[str, AttributeDef],
    filters: Sequence[AttributeFilterInput],
    *,
    field: str = "filter.attributes",
) -> list[AttributeCondition]:
    """Sidebar filters to conditions; each must suit its attribute's kind and be filterable."""
    conditions: list[AttributeCondition] = []
    errors: list[DomainError] = []
    for i, f in enumerate(filters):
        where = f"{field}[{i}]"
        d = definitions.get(f.code)
        if d is None or not d.filterable:
            errors.append(
                ValidationFailed(
                    f"'{f.code}' is not a filterable attribute.",
                    field=f"{where}.code",
                    code="UNKNOWN_ATTRIBUTE",
                )
            )
            continue
        given = [f.values is not None, f.boolean is not None, (f.minimum, f.maximum) != (None,) * 2]
        if sum(given) != 1:
            errors.append(
                ValidationFailed(
                    f"Filter '{f.code}' needs exactly one of values, boolean or range.",
                    field=where,
                )
            )
            continue
        if f.values is not None and d.kind not in (AttributeKind.ENUM, AttributeKind.TEXT):
            errors.append(_kind_mismatch(d, "values", f"{where}.values"))
        elif f.boolean is not None and d.kind is not AttributeKind.BOOLEAN:
            errors.append(_kind_mismatch(d, "boolean", f"{where}.boolean"))
        elif given[2] and d.kind is not AttributeKind.NUMBER:
            errors.append(_kind_mismatch(d, "range", f"{where}.range"))
        elif given[2] and None not in (f.minimum, f.maximum) and f.minimum > f.maximum:  # type: ignore[operator]
            errors.append(
                ValidationFailed(f"Range of '{f.code}' has min above max.", field=f"{where}.range")
            )
        else:
            conditions.append(
                AttributeCondition(
                    code=f.code,
                    values=f.values,
                    boolean=f.boolean,
                    minimum=f.minimum,
                    maximum=f.maximum,
                )
            )
    raise_all(errors)
    return conditions


def _kind_mismatch(d: AttributeDef, used: str, field: str) -> ValidationFailed:
    return ValidationFailed(
        f"'{d.code}' is a {d.kind.value} attribute; a {used} filter does not apply to it.",
        field=field,
    )


def build_relative_conditions(
    definitions: Mapping[str, AttributeDef],
    reference: Mapping[str, AttributeScalar],
    comparisons: Sequence[Comparison],
    *,
    field: str = "filter.comparedTo.attributes",
) -> list[AttributeCondition]:
    """ "Lighter than X and with more bass than X" as conditions against X's own values.

    LESS/GREATER need a comparable NUMBER attribute and are strict; EQUAL works for any kind.
    """
    conditions: list[AttributeCondition] = []
    errors: list[DomainError] = []
    if not comparisons:
        errors.append(ValidationFailed("Name at least one attribute to compare.", field=field))
    for i, c in enumerate(comparisons):
        where = f"{field}[{i}].code"
        d = definitions.get(c.code)
        if d is None or not d.comparable:
            errors.append(
                ValidationFailed(
                    f"'{c.code}' is not a comparable attribute.",
                    field=where,
                    code="UNKNOWN_ATTRIBUTE",
                )
            )
            continue
        if c.code not in reference:
            errors.append(
                ValidationFailed(
                    f"The reference variant has no value for '{c.code}'; compare on another "
                    "attribute.",
                    field=where,
                    code="NO_REFERENCE_VALUE",
                )
            )
            continue
        value = reference[c.code]
        if c.direction is Direction.EQUAL:
            conditions.append(_equal_condition(d, value))
        elif d.kind is not AttributeKind.NUMBER:
            errors.append(
                ValidationFailed(
                    f"'{c.code}' is {d.kind.value}; only numbers compare LESS or GREATER.",
                    field=f"{field}[{i}].direction",
                )
            )
        elif c.direction is Direction.LESS:
            conditions.append(
                AttributeCondition(
                    code=c.code, maximum=float(value), max_exclusive=True, facet=False
                )
            )
        else:
            conditions.append(
                AttributeCondition(
                    code=c.code, minimum=float(value), min_exclusive=True, facet=False
                )
            )
    raise_all(errors)
    return conditions


def _equal_condition(d: AttributeDef, value: AttributeScalar) -> AttributeCondition:
    if d.kind is AttributeKind.NUMBER:
        return AttributeCondition(
            code=d.code, minimum=float(value), maximum=float(value), facet=False
        )
    if d.kind is AttributeKind.BOOLEAN:
        return AttributeCondition(code=d.code, boolean=bool(value), facet=False)
    return AttributeCondition(code=d.code, values=(str(value),), facet=False)


SEARCH_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
MAX_SEARCH_TOKENS = 8


def search_tokens(query: str | None) -> list[str]:
    """Lower-case word tokens of a search box, at most eight (longer input is noise)."""
    if not query:
        return []
    return SEARCH_TOKEN_RE.findall(query.lower())[:MAX_SEARCH_TOKENS]


@dataclass(frozen=True)
class BrowseSpec:
    """A product list request, resolved to ids and validated conditions."""

    visibility: Visibility
    tokens: tuple[str, ...] = ()
    category_id: int | None = None
    brand_ids: tuple[int, ...] = ()
    product_type_id: int | None = None
    conditions: tuple[AttributeCondition, ...] = ()
    exclude_product_id: int | None = None
    sort: ProductSort = ProductSort.NEWEST
    filterable_codes: tuple[str, ...] = field(default_factory=tuple)
    in_stock_online: bool = False  # a variant available at a shipping location
    in_stock_at_location_id: int | None = None  # a variant available at this store


def effective_sort(sort: ProductSort | None, tokens: Sequence[str]) -> ProductSort:
    """Relevance needs a search; without one it falls back to newest first."""
    if sort is None:
        return ProductSort.RELEVANCE if tokens else ProductSort.NEWEST
    if sort is ProductSort.RELEVANCE and not tokens:
        return ProductSort.NEWEST
    return sort
