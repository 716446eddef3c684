"""The ``products`` list: filter inputs, the connection with facets, and the resolver."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.access.types import Channel
from api.catalog import loaders
from api.catalog.types import (
    AttributeDefinitionType,
    ComparisonDirection,
    ProductSort,
    ProductStatus,
    ProductType,
)
from api.limits import page_size
from api.pricing.catalog import PriceFilterInput, PriceSort, priced_page
from api.relay import Edge, PageInfo, decode_cursor, decode_id, encode_cursor, encode_id
from domain.access.model import Channel as DomainChannel
from domain.catalog import browse
from domain.catalog.model import (
    AttributeFilterInput,
    AttributeKind,
    BrowseSpec,
    Comparison,
    Direction,
    format_value,
)
from domain.catalog.model import ProductSort as DomainSort
from domain.catalog.model import ProductStatus as DomainStatus
from domain.catalog.queries import all_attributes, to_def
from domain.shared.errors import ValidationFailed


@strawberry.input(description="Inclusive bounds; give one or both.")
class NumberRangeInput:
    gte: float | None = None
    lte: float | None = None


@strawberry.input(description="A facet filter: exactly one of values, range, boolean.")
class AttributeFilter:
    code: str
    values: list[str] | None = strawberry.field(default=None, description="ENUM/TEXT: any of.")
    range: NumberRangeInput | None = None
    boolean: bool | None = None


@strawberry.input
class AttributeComparison:
    code: str
    direction: ComparisonDirection


@strawberry.input(
    description='"Lighter than X and with more bass than X": compare with a known variant.'
)
class ComparedToFilter:
    variant_id: relay.GlobalID
    attributes: list[AttributeComparison]


@strawberry.input
class ProductFilter:
    category_id: relay.GlobalID | None = strawberry.field(
        default=None, description="This category and all its subcategories."
    )
    brand_ids: list[relay.GlobalID] | None = None
    product_type_id: relay.GlobalID | None = None
    attributes: list[AttributeFilter] | None = None
    compared_to: ComparedToFilter | None = None
    statuses: list[ProductStatus] | None = strawberry.field(
        default=None, description="Staff only; default ACTIVE."
    )
    price: PriceFilterInput | None = strawberry.field(
        default=None, description="Lowest shelf price within these bounds (pricing engine)."
    )
    in_stock_online: bool | None = strawberry.field(
        default=None, description="Only products with a variant available to ship now."
    )
    in_stock_at: relay.GlobalID | None = strawberry.field(
        default=None, description="Only products with a variant available at this store."
    )


@strawberry.type
class FacetValue:
    value: str = strawberry.field(description="Pass back in filter values (brand: its id).")
    label: str
    count: int = strawberry.field(description="Products matching with this value chosen.")
    selected: bool


@strawberry.type
class NumberRange:
    min: float
    max: float


@strawberry.type(description="Counts for a filter sidebar, given the other active filters.")
class Facet:
    code: str = strawberry.field(description='Attribute code, or "brand".')
    name: str
    kind: AttributeKind
    unit: str | None
    attribute: AttributeDefinitionType | None
    values: list[FacetValue] = strawberry.field(description="ENUM, TEXT, BOOLEAN and brand.")
    range: NumberRange | None = strawberry.field(description="NUMBER: the available span.")


@strawberry.type
class ProductConnection:
    edges: list[Edge[ProductType]]
    page_info: PageInfo
    spec: strawberry.Private[BrowseSpec]

    @strawberry.field
    def nodes(self) -> list[ProductType]:
        return [e.node for e in self.edges]

    @strawberry.field(description="All products matching the filter (one extra query).")
    async def total_count(self, info: Info) -> int:
        async with info.context.read() as session:
            return await browse.count(session, self.spec)

    @strawberry.field(description="Facet counts for the current filter (disjunctive per facet).")
    async def facets(self, info: Info) -> list[Facet]:
        async with info.context.read() as session:
            definitions = await all_attributes(session)
            filterable = {
                code: row
                for code, row in definitions.items()
                if row.filterable and row.archived_at is None
            }
            counts = await browse.facets(session, self.spec, list(filterable))
        out = [_brand_facet(self.spec, counts.brands, await _brand_names(info, counts.brands))]
        for code, row in filterable.items():
            if code in counts.values:
                out.append(_attribute_facet(self.spec, row, counts.values[code]))
        return [f for f in out if f.values or f.range]


async def _brand_names(info: Info, counts: list[tuple[int, int]]) -> dict[int, str]:
    rows = await loaders.brand(info).load_many([b for b, _ in counts])
    return {r.id: r.name for r in rows if r is not None}


def _brand_facet(spec: BrowseSpec, counts: list[tuple[int, int]], names: dict[int, str]) -> Facet:
    return Facet(
        code="brand",
        name="Бренд",
        kind=AttributeKind.ENUM,
        unit=None,
        attribute=None,
        values=[
            FacetValue(
                value=str(encode_id("Brand", brand_id)),
                label=names.get(brand_id, str(brand_id)),
                count=n,
                selected=brand_id in spec.brand_ids,
            )
            for brand_id, n in counts
        ],
        range=None,
    )


def _attribute_facet(spec: BrowseSpec, row: Any, counts: list[tuple[Any, int]]) -> Facet:
    definition = to_def(row)
    chosen = {
        v for c in spec.conditions if c.facet and c.code == row.code for v in (c.values or ())
    } | {
        c.boolean
        for c in spec.conditions
        if c.facet and c.code == row.code and c.boolean is not None
    }
    numbers = [float(v) for v, _ in counts if definition.kind is AttributeKind.NUMBER]
    return Facet(
        code=row.code,
        name=row.name,
        kind=definition.kind,
        unit=row.unit,
        attribute=AttributeDefinitionType.from_row(row),
        values=[]
        if numbers
        else [
            FacetValue(
                value=str(v).lower() if isinstance(v, bool) else str(v),
                label=format_value(definition, v),
                count=n,
                selected=v in chosen,
            )
            for v, n in counts
        ],
        range=NumberRange(min=min(numbers), max=max(numbers)) if numbers else None,
    )


def _attribute_inputs(filters: list[AttributeFilter]) -> list[AttributeFilterInput]:
    return [
        AttributeFilterInput(
            code=f.code,
            values=tuple(f.values) if f.values is not None else None,
            boolean=f.boolean,
            minimum=f.range.gte if f.range else None,
            maximum=f.range.lte if f.range else None,
        )
        for f in filters
    ]


async def resolve_products(
    info: Info,
    *,
    channel: Channel | None,
    first: int | None,
    after: str | None,
    search: str | None,
    filter: ProductFilter | None,
    sort: ProductSort | None,
    price_sort: PriceSort | None = None,
) -> ProductConnection:
    limit = page_size(first, maximum=info.context.settings.max_page_size)
    # Price order keys on (price, id); every other order on (text of the sort value, id).
    cursor = decode_cursor(after, types=(int, int) if price_sort is not None else (str, int))
    f = filter or ProductFilter()
    if search is not None and len(search) > 200:
        raise ValidationFailed("Search at most 200 characters.", field="search")
    compared_to = None
    if f.compared_to is not None:
        compared_to = browse.ComparedTo(
            variant_id=decode_id(
                f.compared_to.variant_id, "Variant", field="filter.comparedTo.variantId"
            ),
            comparisons=[
                Comparison(code=c.code, direction=Direction(c.direction.value))
                for c in f.compared_to.attributes
            ],
        )
    async with info.context.read() as session:
        spec = await browse.prepare(
            session,
            info.context.principal,
            channel=DomainChannel(channel.value) if channel else None,
            search=search,
            category_id=decode_id(f.category_id, "Category", field="filter.categoryId")
            if f.category_id
            else None,
            brand_ids=[decode_id(b, "Brand", field="filter.brandIds") for b in f.brand_ids or []],
            product_type_id=decode_id(
                f.product_type_id, "ProductType", field="filter.productTypeId"
            )
            if f.product_type_id
            else None,
            attributes=_attribute_inputs(f.attributes or []),
            compared_to=compared_to,
            statuses=[DomainStatus(s.value) for s in f.statuses] if f.statuses else None,
            in_stock_online=bool(f.in_stock_online),
            in_stock_at_location_id=decode_id(f.in_stock_at, "Location", field="filter.inStockAt")
            if f.in_stock_at
            else None,
            sort=DomainSort(sort.value) if sort else None,
        )
        if f.price is not None or price_sort is not None:
            rows = await priced_page(
                info,
                session,
                spec,
                channel=channel,
                price=f.price,
                sort=price_sort,
                limit=limit + 1,
                after=cursor,
            )
        else:
            rows = await browse.page(session, spec, limit=limit + 1, after=cursor)
    loader = loaders.product(info)
    for r in rows:
        loader.prime(r.product.id, r.product)
    page = rows[:limit]
    edges = [
        Edge(cursor=encode_cursor(r.cursor), node=ProductType.from_row(r.product)) for r in page
    ]
    return ProductConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > limit,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        spec=spec,
    )
