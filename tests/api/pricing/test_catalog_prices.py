"""Catalog fields priced by the engine: Variant.price, Product.priceRange, price filter/sort."""

from __future__ import annotations

from domain.access.model import Channel
from domain.pricing import model, services
from domain.pricing.services import PriceInput

PRODUCTS = """query($filter: ProductFilter, $priceSort: PriceSort, $first: Int, $after: String,
  $channel: Channel) {
  products(filter: $filter, priceSort: $priceSort, first: $first, after: $after,
           channel: $channel, sort: NAME) {
    pageInfo { hasNextPage endCursor }
    nodes { slug priceRange { min { amount } max { amount } minCompareAt { amount } }
      variants { sku price { price { amount } listPrice { amount } compareAt { amount }
        vat { amount } vatRate onPromotion } } } } }"""


async def _prices(runtime, shop):
    await services.set_prices(
        runtime.uow(),
        actor="t",
        prices=[
            PriceInput(2_999_000, sku="HP-100", compare_at=3_499_000),
            PriceInput(3_199_000, sku="HP-101"),
            PriceInput(1_499_000, sku="EB-200"),
            PriceInput(7_999_000, sku="PH-300"),
            PriceInput(7_499_000, sku="PH-300", channels=frozenset({Channel.WEB, Channel.APP})),
        ],
    )
    await services.create_promotion(
        runtime.uow(),
        actor="t",
        promotion=model.Promotion(
            id=0,
            name="EB -10%",
            kind=model.PromotionKind.PERCENT_OFF_ITEMS,
            percent_bp=1000,
            target=model.Target(product_ids=frozenset({shop.product["wf-1000xm4"]})),
        ),
    )


async def test_variant_prices_and_product_ranges_come_from_the_engine(gql, runtime, shop):
    await _prices(runtime, shop)
    data = await gql(PRODUCTS, {})
    by_slug = {n["slug"]: n for n in data["products"]["nodes"]}
    assert by_slug["wh-1000xm5"]["priceRange"] == {
        "min": {"amount": 2_999_000},
        "max": {"amount": 3_199_000},
        "minCompareAt": {"amount": 3_499_000},
    }
    assert by_slug["wf-1000xm4"]["variants"][0]["price"] == {
        "price": {"amount": 1_349_100},
        "listPrice": {"amount": 1_499_000},
        "compareAt": {"amount": 1_499_000},
        "vat": {"amount": 224_850},
        "vatRate": "20",
        "onPromotion": True,
    }
    assert by_slug["iphone-15"]["priceRange"]["min"] == {"amount": 7_499_000}
    pos = await gql(PRODUCTS.replace("priceRange {", "priceRange(channel: POS) {"), {})
    assert {n["slug"]: n["priceRange"]["min"]["amount"] for n in pos["products"]["nodes"]}[
        "iphone-15"
    ] == 7_999_000


async def test_price_filter_and_sort_with_pages(gql, runtime, shop):
    await _prices(runtime, shop)
    data = await gql(PRODUCTS, {"filter": {"price": {"gte": 1_000_000, "lte": 5_000_000}}})
    assert [n["slug"] for n in data["products"]["nodes"]] == ["wf-1000xm4", "wh-1000xm5"]

    first = await gql(PRODUCTS, {"priceSort": "DESC", "first": 2})
    assert [n["slug"] for n in first["products"]["nodes"]] == ["iphone-15", "wh-1000xm5"]
    assert first["products"]["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        PRODUCTS,
        {"priceSort": "DESC", "first": 2, "after": first["products"]["pageInfo"]["endCursor"]},
    )
    assert [n["slug"] for n in rest["products"]["nodes"]] == ["wf-1000xm4"]
    assert rest["products"]["pageInfo"]["hasNextPage"] is False
    asc = await gql(PRODUCTS, {"priceSort": "ASC"})
    assert [n["slug"] for n in asc["products"]["nodes"]] == [
        "wf-1000xm4",
        "wh-1000xm5",
        "iphone-15",
    ]


async def test_a_page_of_prices_costs_a_fixed_number_of_queries(gql, runtime, shop, count_queries):
    await _prices(runtime, shop)

    def ours(statements: list[str]) -> int:  # the outbox relay polls in the background
        return sum("outbox_events" not in s and "advisory" not in s for s in statements)

    await gql(PRODUCTS, {"first": 3})  # warm-up: connections, type introspection
    start = count_queries.count
    await gql(PRODUCTS, {"first": 1})
    mid = count_queries.count
    await gql(PRODUCTS, {"first": 3})
    one = ours(count_queries.statements[start:mid])
    assert one == ours(count_queries.statements[mid:]) == 7  # page, variants, 5 for prices
