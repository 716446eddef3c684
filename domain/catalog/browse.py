"""Browsing the catalog: full-text + typo-tolerant search, facet filters, the relative filter,
facet counts and keyset pages. Read-only SQL; ``prepare`` validates a request into a spec.

Filters apply to a product's live variants: a product matches when one of its variants'
effective attribute values (product values overridden by the variant's) satisfies every
condition. Facet counts are disjunctive: each attribute's counts ignore that attribute's own
sidebar filter, so a shopper sees how many products each other choice would give.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Numeric,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, REGCONFIG
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from domain.access.model import Channel, Principal
from domain.catalog import model
from domain.catalog.errors import CatalogObjectNotFound
from domain.catalog.model import (
    AttributeCondition,
    AttributeFilterInput,
    BrowseSpec,
    Comparison,
    ProductSort,
    ProductStatus,
)
from domain.catalog.queries import all_attributes, to_def, variants_by_ids
from domain.catalog.tables import CategoryRow, ProductRow, VariantRow
from domain.shared.errors import ValidationFailed
from inventory.queries import in_stock_clause

_cte_names = itertools.count(1)
MIN_FUZZY_TOKEN = 4  # shorter tokens match too much by trigrams ("xm", "5")
BRAND_FACET = "@brand"


@dataclass(frozen=True)
class ComparedTo:
    variant_id: int
    comparisons: Sequence[Comparison]


async def prepare(
    session: AsyncSession,
    principal: Principal,
    *,
    channel: Channel | None = None,
    search: str | None = None,
    category_id: int | None = None,
    brand_ids: Sequence[int] = (),
    product_type_id: int | None = None,
    attributes: Sequence[AttributeFilterInput] = (),
    compared_to: ComparedTo | None = None,
    statuses: Sequence[ProductStatus] | None = None,
    sort: ProductSort | None = None,
    in_stock_online: bool = False,
    in_stock_at_location_id: int | None = None,
) -> BrowseSpec:
    """Validate a list request into a spec (one query for definitions when filters need them)."""
    visibility = model.list_visibility(principal, channel=channel, statuses=statuses)
    tokens = model.search_tokens(search)
    conditions: list[AttributeCondition] = []
    exclude = None
    if attributes or compared_to:
        defs = {code: to_def(row) for code, row in (await all_attributes(session)).items()}
        conditions += model.build_attribute_conditions(defs, attributes)
        if compared_to is not None:
            reference = (await variants_by_ids(session, [compared_to.variant_id])).get(
                compared_to.variant_id
            )
            if reference is None:
                raise CatalogObjectNotFound(
                    f"Variant {compared_to.variant_id} does not exist.",
                    field="filter.comparedTo.variantId",
                )
            conditions += model.build_relative_conditions(
                defs, reference.effective_attributes, compared_to.comparisons
            )
            exclude = reference.product_id
    return BrowseSpec(
        visibility=visibility,
        tokens=tuple(tokens),
        category_id=category_id,
        brand_ids=tuple(brand_ids),
        product_type_id=product_type_id,
        conditions=tuple(conditions),
        exclude_product_id=exclude,
        sort=model.effective_sort(sort, tokens),
        in_stock_online=in_stock_online,
        in_stock_at_location_id=in_stock_at_location_id,
    )


# --- SQL building -----------------------------------------------------------------------------


def _token_query(token: str) -> ColumnElement[Any]:
    """A word in either language, stemmed, or as a prefix (type-ahead)."""
    return (
        func.plainto_tsquery(literal("russian", REGCONFIG), token)
        .op("||")(func.plainto_tsquery(literal("english", REGCONFIG), token))
        .op("||")(func.to_tsquery(literal("simple", REGCONFIG), token + ":*"))
    )


def _full_query(tokens: Sequence[str]) -> ColumnElement[Any]:
    query = _token_query(tokens[0])
    for token in tokens[1:]:
        query = query.op("&&")(_token_query(token))
    return query


def _search_conditions(tokens: Sequence[str]) -> list[ColumnElement[bool]]:
    """Every token must match: by full text, or (typo tolerance) by trigrams. ``<<%`` is strict
    word similarity (whole words, threshold ``pg_trgm.strict_word_similarity_threshold`` = 0.5),
    which forgives one wrong, missing or doubled letter ("sonny", "sennhiser") and is served by
    the GIN trigram index."""
    conds = []
    for token in tokens:
        text_match = ProductRow.search_vector.op("@@")(_token_query(token))
        if len(token) >= MIN_FUZZY_TOKEN:
            conds.append(or_(text_match, literal(token).op("<<%")(ProductRow.search_doc)))
        else:
            conds.append(text_match)
    return conds


def score_expression(tokens: Sequence[str]) -> ColumnElement[Any]:
    """Relevance: full-text rank (names weigh more) plus trigram similarity of the whole query."""
    rank = func.ts_rank_cd(
        ProductRow.search_vector, _full_query(tokens)
    ) + func.strict_word_similarity(" ".join(tokens), ProductRow.search_doc)
    return func.round(cast(rank, Numeric), 6)


def _category_subtree(category_id: int) -> Any:
    # Named per use: the facet query repeats the condition in each UNION ALL branch.
    tree = (
        select(CategoryRow.id)
        .where(CategoryRow.id == category_id)
        .cte(f"category_tree_{next(_cte_names)}", recursive=True)
    )
    tree = tree.union_all(select(CategoryRow.id).where(CategoryRow.parent_id == tree.c.id))
    return select(tree.c.id)


def _attribute_condition(column: Any, c: AttributeCondition) -> ColumnElement[bool]:
    if c.boolean is not None:
        return column.contains({c.code: c.boolean})
    if c.values is not None:
        return or_(*(column.contains({c.code: v}) for v in c.values))
    number = cast(column[c.code].astext, Numeric)
    parts: list[ColumnElement[bool]] = [column.has_key(c.code)]
    if c.minimum is not None:
        parts.append(number > c.minimum if c.min_exclusive else number >= c.minimum)
    if c.maximum is not None:
        parts.append(number < c.maximum if c.max_exclusive else number <= c.maximum)
    return and_(*parts)


def _product_conditions(spec: BrowseSpec, *, skip_brand: bool = False) -> list[Any]:
    p = ProductRow
    conds: list[Any] = [p.status.in_(sorted(spec.visibility.statuses))]
    if spec.visibility.online:
        conds.append(p.published_online.is_(True))
    if spec.visibility.in_store:
        conds.append(p.published_in_store.is_(True))
    if spec.category_id is not None:
        conds.append(p.category_id.in_(_category_subtree(spec.category_id)))
    if spec.brand_ids and not skip_brand:
        conds.append(p.brand_id.in_(spec.brand_ids))
    if spec.product_type_id is not None:
        conds.append(p.product_type_id == spec.product_type_id)
    if spec.exclude_product_id is not None:
        conds.append(p.id != spec.exclude_product_id)
    conds += _search_conditions(spec.tokens)
    return conds


def _variant_conditions(spec: BrowseSpec, *, skip_code: str | None = None) -> list[Any]:
    return [
        _attribute_condition(VariantRow.effective_attributes, c)
        for c in spec.conditions
        if not (c.facet and c.code == skip_code)
    ]


def _matching(spec: BrowseSpec, *, skip_brand: bool = False) -> list[Any]:
    conds = _product_conditions(spec, skip_brand=skip_brand)
    variant_conds = _variant_conditions(spec)
    # Stock filters apply to the same variant as the attribute filters ("a black one in stock").
    if spec.in_stock_online:
        variant_conds.append(in_stock_clause(VariantRow.id))
    if spec.in_stock_at_location_id is not None:
        variant_conds.append(in_stock_clause(VariantRow.id,
                                             location_id=spec.in_stock_at_location_id))
    if variant_conds:
        conds.append(
            exists(
                select(literal(1))
                .select_from(VariantRow)
                .where(
                    VariantRow.product_id == ProductRow.id,
                    VariantRow.archived_at.is_(None),
                    *variant_conds,
                )
            )
        )
    return conds


# --- pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRow:
    product: ProductRow
    cursor: list[Any]


async def page(
    session: AsyncSession, spec: BrowseSpec, *, limit: int, after: list[Any] | None
) -> list[PageRow]:
    """``limit`` products after the keyset cursor, in the spec's order (ask for one extra)."""
    p = ProductRow
    stmt = select(p).where(*_matching(spec)).limit(limit)
    if spec.sort is ProductSort.RELEVANCE:
        score = score_expression(spec.tokens).label("score")
        stmt = stmt.add_columns(score).order_by(score.desc(), p.id.desc())
        if after is not None:
            stmt = stmt.where(
                tuple_(score_expression(spec.tokens), p.id) < tuple_(*_after(after, "score"))
            )
    elif spec.sort is ProductSort.NAME:
        stmt = stmt.order_by(p.title, p.id)
        if after is not None:
            stmt = stmt.where(tuple_(p.title, p.id) > tuple_(*_after(after, "title")))
    else:
        stmt = stmt.order_by(p.created_at.desc(), p.id.desc())
        if after is not None:
            stmt = stmt.where(tuple_(p.created_at, p.id) < tuple_(*_after(after, "time")))
    rows = (await session.execute(stmt)).all()
    out = []
    for row in rows:
        product = row[0]
        if spec.sort is ProductSort.RELEVANCE:
            key: list[Any] = [str(row.score), product.id]
        elif spec.sort is ProductSort.NAME:
            key = [product.title, product.id]
        else:
            key = [product.created_at.isoformat(), product.id]
        out.append(PageRow(product=product, cursor=key))
    return out


def _after(cursor: list[Any], kind: str) -> tuple[Any, Any]:
    first, last = cursor
    try:
        if kind == "time":
            first = datetime.fromisoformat(str(first))
        elif kind == "score":
            first = literal(Decimal(str(first)), Numeric)
        elif not isinstance(first, str):
            raise TypeError(first)
        return first, literal(int(last))
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValidationFailed(
            "The `after` cursor does not fit this sort; start from the first page.", field="after"
        ) from exc


async def count(session: AsyncSession, spec: BrowseSpec) -> int:
    stmt = select(func.count()).select_from(ProductRow).where(*_matching(spec))
    return int(await session.scalar(stmt) or 0)


# --- facets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetCounts:
    """``values[code]`` = [(value, products)], ``brands`` = [(brand id, products)]."""

    values: dict[str, list[tuple[Any, int]]]
    brands: list[tuple[int, int]]


async def facets(session: AsyncSession, spec: BrowseSpec, codes: Sequence[str]) -> FacetCounts:
    """Counts per value of each filterable attribute ``codes`` and per brand, in one query."""
    active = sorted({c.code for c in spec.conditions if c.facet} & set(codes))
    quiet = [code for code in codes if code not in active]
    parts = []
    if quiet:
        parts.append(_value_counts(spec, codes=quiet, skip_code=None))
    for code in active:
        parts.append(_value_counts(spec, codes=[code], skip_code=code))
    p = ProductRow
    parts.append(
        select(
            literal(BRAND_FACET).label("code"),
            type_coerce(func.to_jsonb(p.brand_id), JSONB).label("value"),
            func.count().label("n"),
        )
        .where(*_matching(spec, skip_brand=True), p.brand_id.is_not(None))
        .group_by(p.brand_id)
    )
    stmt = union_all(*parts)
    values: dict[str, list[tuple[Any, int]]] = {}
    brands: list[tuple[int, int]] = []
    for code, value, n in (await session.execute(stmt)).all():
        if code == BRAND_FACET:
            brands.append((int(value), int(n)))
        else:
            values.setdefault(code, []).append((value, int(n)))
    for counts in values.values():
        counts.sort(key=lambda vc: (-vc[1], str(vc[0])))
    brands.sort(key=lambda bc: (-bc[1], bc[0]))
    return FacetCounts(values=values, brands=brands)


def _value_counts(spec: BrowseSpec, *, codes: Sequence[str], skip_code: str | None) -> Any:
    p, v = ProductRow, VariantRow
    entry = func.jsonb_each(v.effective_attributes).table_valued("key", "value").lateral("e")
    return (
        select(
            entry.c.key.label("code"),
            type_coerce(entry.c.value, JSONB).label("value"),
            func.count(func.distinct(p.id)).label("n"),
        )
        .select_from(p)
        .join(v, and_(v.product_id == p.id, v.archived_at.is_(None)))
        .join(entry, true())
        .where(
            *_product_conditions(spec),
            *_variant_conditions(spec, skip_code=skip_code),
            entry.c.key.in_(codes),
        )
        .group_by(entry.c.key, entry.c.value)
    )
