"""Storefront, POS and staff reads: lookups, search, facets, the relative filter, channels."""

from __future__ import annotations

from typing import Any

from api.runtime import Runtime
from domain.access.model import Channel, Role
from domain.catalog import services
from domain.catalog.model import ProductStatus
from domain.catalog.services import ProductDraft, VariantDraft
from tests.api.catalog.conftest import gid
from tests.conftest import GQL
from tests.integration.catalog.seed import Seed

PRODUCT = """
query($id: ID, $slug: String) {
  product(id: $id, slug: $slug) {
    id slug title titleEn status publishedOnline publishedInStore
    brand { name } category { slug parent { slug } } productType { code }
    attributes { code display number text boolean }
    card: attributes(shownOnCard: true) { code display }
    variants { sku barcode options { name value } attributes { code number } }
  }
}
"""

LIST = """
query($search: String, $filter: ProductFilter, $sort: ProductSort, $channel: Channel,
      $first: Int, $after: String) {
  products(search: $search, filter: $filter, sort: $sort, channel: $channel, first: $first,
           after: $after) {
    edges { node { title } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


def titles(data: dict[str, Any]) -> list[str]:
    return [e["node"]["title"] for e in data["products"]["edges"]]


async def test_product_by_slug_has_typed_attributes_card_values_and_variants(gql: GQL, seed: Seed):
    data = await gql(PRODUCT, {"slug": "sony-wh-1000xm5-headphones"})
    product = data["product"]
    assert product["title"] == "Наушники Sony WH-1000XM5"
    assert product["brand"] == {"name": "Sony"}
    assert product["category"] == {"slug": "headphones", "parent": {"slug": "audio"}}
    assert product["productType"] == {"code": "headphones"}
    assert product["attributes"] == [
        {"code": "form_factor", "display": "Полноразмерные", "number": None,
         "text": "over-ear", "boolean": None},
        {"code": "weight", "display": "250 g", "number": 250.0, "text": None, "boolean": None},
        {"code": "bass_level", "display": "7", "number": 7.0, "text": None, "boolean": None},
        {"code": "detail", "display": "8", "number": 8.0, "text": None, "boolean": None},
        {"code": "wireless", "display": "да", "number": None, "text": None, "boolean": True},
    ]  # fmt: skip
    assert product["card"] == [
        {"code": "form_factor", "display": "Полноразмерные"},
        {"code": "weight", "display": "250 g"},
    ]
    assert [(v["sku"], v["barcode"]) for v in product["variants"]] == [
        ("SONY-WH1000XM5-BLK", "4548736132610"),
        ("SONY-WH1000XM5-SLV", "4548736132627"),
    ]
    assert product["variants"][0]["options"] == [{"name": "colour", "value": "BLK"}]
    by_id = await gql(PRODUCT, {"id": product["id"]})
    assert by_id["product"]["slug"] == "sony-wh-1000xm5-headphones"


async def test_pos_scan_finds_the_variant_by_barcode(gql: GQL, seed: Seed, api_key, staff_token):
    pos = gql.as_(x_api_key=await api_key(Channel.POS))
    query = "query($b: String) { variant(barcode: $b) { sku product { title } } }"
    data = await pos(query, {"b": "4044155255737"})
    assert data["variant"] == {
        "sku": "SEN-MOM4-BLK",
        "product": {"title": "Наушники Sennheiser Momentum 4"},
    }
    assert (await pos(query, {"b": "4006381333931"}))["variant"] is None  # unknown code
    by_sku = await gql('{ variant(sku: "MAR-MAJOR4-BLK") { barcode product { slug } } }')
    assert by_sku["variant"] == {
        "barcode": None,
        "product": {"slug": "marshall-major-iv-headphones"},
    }


async def test_lookup_needs_exactly_one_key(gql: GQL, seed: Seed):
    body = (await gql.raw('{ variant(sku: "A", barcode: "B") { sku } }')).json()
    assert body["errors"][0]["message"] == "Give exactly one of id, sku, barcode."


async def test_search_matches_russian_english_and_typos(gql: GQL, seed: Seed):
    sort = {"sort": "NAME"}
    assert titles(await gql(LIST, {"search": "наушники sennheiser", **sort})) == [
        "Наушники Sennheiser HD 600",
        "Наушники Sennheiser Momentum 4",
    ]
    # English stemming: "headphone" finds "headphones"; typo tolerance: "sennhiser", "marshal".
    assert titles(await gql(LIST, {"search": "sennhiser headphone", **sort})) == [
        "Наушники Sennheiser HD 600",
        "Наушники Sennheiser Momentum 4",
    ]
    assert titles(await gql(LIST, {"search": "marshal"})) == ["Наушники Marshall Major IV"]
    assert titles(await gql(LIST, {"search": "смартфон"})) == ["Смартфон Apple iPhone 15"]
    assert titles(await gql(LIST, {"search": "wf-1000xm5"})) == ["Наушники Sony WF-1000XM5"]
    assert titles(await gql(LIST, {"search": "toaster"})) == []


async def test_relevance_ranks_the_best_match_first_and_pages_by_cursor(gql: GQL, seed: Seed):
    first = await gql(LIST, {"search": "sony wh-1000xm5", "first": 1})
    assert titles(first) == ["Наушники Sony WH-1000XM5"]
    assert first["products"]["totalCount"] == 1
    everything = await gql(LIST, {"search": "sony", "first": 1})
    assert everything["products"]["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        LIST, {"search": "sony", "after": everything["products"]["pageInfo"]["endCursor"]}
    )
    assert sorted(titles(everything) + titles(rest)) == [
        "Наушники Sony WF-1000XM5",
        "Наушники Sony WH-1000XM5",
    ]


async def test_facet_filters_on_enum_range_boolean_category_and_brand(gql: GQL, seed: Seed):
    def run(filter: dict[str, Any]) -> Any:
        return gql(LIST, {"filter": filter, "sort": "NAME"})

    over_ear = {"attributes": [{"code": "form_factor", "values": ["over-ear", "on-ear"]}]}
    assert titles(await run(over_ear)) == [
        "Наушники Marshall Major IV",
        "Наушники Sennheiser HD 600",
        "Наушники Sennheiser Momentum 4",
        "Наушники Sony WH-1000XM5",
    ]
    heavy = {"attributes": [{"code": "weight", "range": {"gte": 250, "lte": 293}}]}
    assert titles(await run(heavy)) == [
        "Наушники Sennheiser HD 600",
        "Наушники Sennheiser Momentum 4",
        "Наушники Sony WH-1000XM5",
    ]
    wired = {"attributes": [{"code": "wireless", "boolean": False}]}
    assert titles(await run(wired)) == ["Наушники Sennheiser HD 600"]
    audio = {"categoryId": gid("Category", seed.categories["audio"])}  # includes subcategories
    assert len(titles(await run(audio))) == 5
    brand = {"brandIds": [gid("Brand", seed.brands["Marshall"])]}
    assert titles(await run(brand)) == ["Наушники Marshall Major IV"]


async def test_filter_on_a_kind_mismatch_is_refused(gql: GQL, seed: Seed):
    body = (
        await gql.raw(LIST, {"filter": {"attributes": [{"code": "weight", "values": ["x"]}]}})
    ).json()
    assert body["errors"][0]["message"] == (
        "'weight' is a NUMBER attribute; a values filter does not apply to it."
    )


FACETS = """
query($filter: ProductFilter, $search: String) {
  products(filter: $filter, search: $search, first: 1) {
    facets { code kind unit range { min max } values { value label count selected } }
  }
}
"""


async def test_facet_counts_ignore_their_own_filter(gql: GQL, seed: Seed):
    data = await gql(
        FACETS, {"filter": {"attributes": [{"code": "form_factor", "values": ["over-ear"]}]}}
    )
    facets = {f["code"]: f for f in data["products"]["facets"]}
    assert list(facets) == ["brand", "form_factor", "weight", "bass_level", "detail", "wireless"]
    assert facets["form_factor"]["values"] == [
        {"value": "over-ear", "label": "Полноразмерные", "count": 3, "selected": True},
        {"value": "in-ear", "label": "Вкладыши", "count": 1, "selected": False},
        {"value": "on-ear", "label": "Накладные", "count": 1, "selected": False},
    ]
    # The other facets count only over-ear headphones.
    assert facets["weight"]["range"] == {"min": 250.0, "max": 293.0}
    assert facets["weight"]["unit"] == "g"
    assert facets["wireless"]["values"] == [
        {"value": "true", "label": "да", "count": 2, "selected": False},
        {"value": "false", "label": "нет", "count": 1, "selected": False},
    ]
    assert [(v["label"], v["count"]) for v in facets["brand"]["values"]] == [
        ("Sennheiser", 2),
        ("Sony", 1),
    ]


async def test_relative_filter_finds_lighter_headphones_with_more_bass(gql: GQL, seed: Seed):
    reference = gid("Variant", seed.variants["SONY-WH1000XM5-BLK"])  # 250 g, bass 7
    compared = {
        "comparedTo": {
            "variantId": reference,
            "attributes": [
                {"code": "weight", "direction": "LESS"},
                {"code": "bass_level", "direction": "GREATER"},
            ],
        }
    }
    assert titles(await gql(LIST, {"filter": compared, "sort": "NAME"})) == [
        "Наушники Marshall Major IV",
        "Наушники Sony WF-1000XM5",
    ]
    same_shape = {
        "comparedTo": {
            "variantId": reference,
            "attributes": [{"code": "form_factor", "direction": "EQUAL"}],
        }
    }
    assert titles(await gql(LIST, {"filter": same_shape, "sort": "NAME"})) == [
        "Наушники Sennheiser HD 600",
        "Наушники Sennheiser Momentum 4",
    ]


async def test_relative_filter_uses_the_variants_override(runtime: Runtime, gql: GQL, seed: Seed):
    # The silver XM5 weighs 240 g (an override); the product says 250 g.
    await services.update_variant(
        runtime.uow(),
        actor="test",
        variant_id=seed.variants["SONY-WH1000XM5-SLV"],
        patch=services.VariantPatch(attributes=[("weight", 240)]),
    )
    lighter = {
        "comparedTo": {
            "variantId": gid("Variant", seed.variants["SEN-MOM4-BLK"]),  # 293 g
            "attributes": [{"code": "weight", "direction": "LESS"}],
        },
        "attributes": [{"code": "weight", "range": {"lte": 245}}],
        "productTypeId": gid("ProductType", seed.headphones),
    }
    assert titles(await gql(LIST, {"filter": lighter, "sort": "NAME"})) == [
        "Наушники Marshall Major IV",
        "Наушники Sony WF-1000XM5",
        "Наушники Sony WH-1000XM5",  # through its silver variant (240 g)
    ]


async def test_relative_filter_errors_name_the_field(gql: GQL, seed: Seed):
    reference = gid("Variant", seed.variants["MAR-MAJOR4-BLK"])
    body = (
        await gql.raw(
            LIST,
            {
                "filter": {
                    "comparedTo": {
                        "variantId": reference,
                        "attributes": [{"code": "impedance", "direction": "LESS"}],
                    }
                }
            },
        )
    ).json()
    assert body["errors"][0]["message"] == "'impedance' is not a comparable attribute."
    assert body["errors"][0]["extensions"]["code"] == "UNKNOWN_ATTRIBUTE"


async def test_channels_see_only_what_is_published_to_them(gql: GQL, seed: Seed, api_key):
    web = gql.as_(x_api_key=await api_key(Channel.WEB))
    pos = gql.as_(x_api_key=await api_key(Channel.POS))
    query = {"search": "marshall", "sort": "NAME"}
    assert titles(await web(LIST, query)) == ["Наушники Marshall Major IV"]
    assert titles(await pos(LIST, query)) == [
        "Наушники Marshall Major IV",
        "Наушники Marshall Monitor II (витрина)",
    ]
    assert titles(await pos(LIST, {"search": "iphone"})) == []  # online only
    assert titles(await pos(LIST, {"search": "iphone", "channel": "WEB"})) == [
        "Смартфон Apple iPhone 15"
    ]
    store_only = {"slug": "marshall-monitor-ii-headphones"}
    assert (await web(PRODUCT, store_only))["product"] is None
    assert (await pos(PRODUCT, store_only))["product"]["title"] == (
        "Наушники Marshall Monitor II (витрина)"
    )


async def test_drafts_are_for_staff_only(gql: GQL, seed: Seed, staff_token, make_location):
    drafts = {"filter": {"statuses": ["DRAFT"]}}
    body = (await gql.raw(LIST, drafts)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql(PRODUCT, {"slug": "naushniki-sony-wh-2000-chernovik"}))["product"] is None
    _, bearer = await staff_token(Role.CASHIER, [await make_location("S02")])
    staff = gql.as_(authorization=bearer)
    assert titles(await staff(LIST, drafts)) == ["Наушники Sony WH-2000 (черновик)"]
    assert (await staff(PRODUCT, {"slug": "naushniki-sony-wh-2000-chernovik"}))["product"][
        "status"
    ] == "DRAFT"
    everything = await staff(LIST, {"channel": "BACK_OFFICE", "filter": {"statuses": ["ACTIVE"]}})
    assert everything["products"]["totalCount"] == 7


async def test_name_sort_pages_through_everything_once(gql: GQL, seed: Seed):
    seen: list[str] = []
    after = None
    while True:
        data = await gql(LIST, {"sort": "NAME", "first": 2, "after": after})
        seen += titles(data)
        if not data["products"]["pageInfo"]["hasNextPage"]:
            break
        after = data["products"]["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(seen) == 6 and len(set(seen)) == 6


def app_statements(counter: Any) -> list[str]:
    """The request's SQL, without the outbox relay polling in the background."""
    return [s for s in counter.statements if "outbox_events" not in s and "advisory" not in s]


PAGE = """
query($first: Int) {
  products(first: $first, sort: NAME) {
    edges { node {
      title brand { name } category { name } productType { code }
      attributes { code display attribute { unit } }
      variants { sku options { value } attributes { code display } }
    } }
  }
}
"""


async def test_a_page_costs_a_constant_number_of_queries(
    runtime: Runtime, gql: GQL, seed: Seed, count_queries
):
    for n in range(20):
        await services.create_product(
            runtime.uow(),
            actor="test",
            draft=ProductDraft(
                title=f"Наушники Test {n:02}",
                product_type_id=seed.headphones,
                brand_id=seed.brands["Sony"],
                category_id=seed.categories["headphones"],
                status=ProductStatus.ACTIVE,
                attributes=[("weight", 100 + n), ("bass_level", 1 + n % 10)],
                variants=[VariantDraft(sku=f"T-{n}-A"), VariantDraft(sku=f"T-{n}-B")],
            ),
        )
    count_queries.statements.clear()
    small = await gql(PAGE, {"first": 2})
    small_count = len(app_statements(count_queries))
    count_queries.statements.clear()
    big = await gql(PAGE, {"first": 20})
    assert len(big["products"]["edges"]) == 20
    assert len(small["products"]["edges"]) == 2
    # page, variants, brands, categories, product types, attribute definitions
    assert len(app_statements(count_queries)) == small_count == 6


async def test_facets_work_with_a_category_filter(gql: GQL, seed: Seed):
    # The category subtree appears in every branch of the facet query.
    data = await gql(
        FACETS,
        {
            "filter": {
                "categoryId": gid("Category", seed.categories["audio"]),
                "attributes": [{"code": "wireless", "boolean": True}],
            }
        },
    )
    facets = {f["code"]: f for f in data["products"]["facets"]}
    assert facets["wireless"]["values"] == [
        {"value": "true", "label": "да", "count": 4, "selected": True},
        {"value": "false", "label": "нет", "count": 1, "selected": False},
    ]
    assert facets["weight"]["range"] == {"min": 6.0, "max": 293.0}
