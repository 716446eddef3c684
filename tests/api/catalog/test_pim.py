"""PIM mutations: create/update/archive, validation naming fields, all-or-nothing, permissions."""

from __future__ import annotations

from sqlalchemy import text

from api.runtime import Runtime
from domain.access.model import Role
from tests.api.catalog.conftest import gid, table_counts
from tests.conftest import GQL
from tests.integration.catalog.seed import Seed

CREATE = """
mutation($input: ProductCreateInput!) {
  productCreate(input: $input) {
    userErrors { code field message }
    product { slug title status brand { name }
              attributes { code display }
              variants { sku barcode options { name value } attributes { code number } } }
  }
}
"""


def new_product(seed: Seed, **overrides: object) -> dict[str, object]:
    return {
        "title": "Наушники Bose QuietComfort Ultra",
        "titleEn": "Bose QuietComfort Ultra headphones",
        "productTypeId": gid("ProductType", seed.headphones),
        "categoryId": gid("Category", seed.categories["headphones"]),
        "status": "ACTIVE",
        "attributes": [
            {"code": "form_factor", "value": "over-ear"},
            {"code": "weight", "value": 250},
            {"code": "bass_level", "value": 7},
            {"code": "wireless", "value": True},
        ],
        "variants": [
            {"sku": "BOSE-QCU-BLK", "barcode": "0017817841634",
             "options": [{"name": "colour", "value": "Black"}]},
            {"sku": "BOSE-QCU-WHT", "attributes": [{"code": "weight", "value": "252"}]},
        ],
        **overrides,
    }  # fmt: skip


async def test_merchandiser_creates_a_product_with_variants_and_an_event(
    runtime: Runtime, merch: GQL, seed: Seed
):
    data = await merch(CREATE, {"input": new_product(seed)})
    payload = data["productCreate"]
    assert payload["userErrors"] == []
    product = payload["product"]
    assert product["slug"] == "bose-quietcomfort-ultra-headphones"
    assert product["status"] == "ACTIVE"
    assert [a["display"] for a in product["attributes"]] == ["Полноразмерные", "250 g", "7", "да"]
    assert product["variants"][0]["barcode"] == "0017817841634"
    assert product["variants"][0]["options"] == [{"name": "colour", "value": "Black"}]
    weights = [
        [a["number"] for a in v["attributes"] if a["code"] == "weight"] for v in product["variants"]
    ]
    assert weights == [[250.0], [252.0]]  # the white variant's override wins
    async with runtime.engine.connect() as conn:
        kinds = (
            (
                await conn.execute(
                    text(
                        "SELECT payload->>'kind' FROM outbox_events WHERE topic = 'catalog' "
                        "ORDER BY id DESC LIMIT 3"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert kinds == ["VARIANT_CREATED", "VARIANT_CREATED", "PRODUCT_CREATED"]


async def test_a_bad_attribute_value_names_the_field_and_writes_nothing(
    runtime: Runtime, merch: GQL, seed: Seed
):
    before = await table_counts(runtime)
    bad = new_product(seed, attributes=[{"code": "form_factor", "value": "over-ear"},
                                        {"code": "weight", "value": "loud"}])  # fmt: skip
    payload = (await merch(CREATE, {"input": bad}))["productCreate"]
    assert payload["product"] is None
    assert payload["userErrors"] == [
        {"code": "INVALID_VALUE", "field": "attributes[1].value",
         "message": "Вес (weight) must be a number in g; got 'loud'."}
    ]  # fmt: skip
    assert await table_counts(runtime) == before


async def test_duplicate_sku_names_the_other_product_and_nothing_is_half_written(
    runtime: Runtime, merch: GQL, seed: Seed
):
    before = await table_counts(runtime)
    dup = new_product(
        seed,
        variants=[{"sku": "BOSE-QCU-NEW"}, {"sku": "SEN-MOM4-BLK"}],  # second one is taken
    )
    payload = (await merch(CREATE, {"input": dup}))["productCreate"]
    assert payload["userErrors"] == [
        {
            "code": "DUPLICATE_SKU",
            "field": "variants[1].sku",
            "message": "SKU SEN-MOM4-BLK is already used by product 'Наушники Sennheiser "
            "Momentum 4' (sennheiser-momentum-4-headphones); choose another SKU.",
        }
    ]
    assert await table_counts(runtime) == before


async def test_duplicate_barcode_on_update_is_refused(runtime: Runtime, merch: GQL, seed: Seed):
    query = """
    mutation($input: VariantUpdateInput!) {
      variantUpdate(input: $input) { userErrors { code field message } variant { barcode } }
    }"""
    before = await table_counts(runtime)
    payload = (
        await merch(
            query,
            {
                "input": {
                    "id": gid("Variant", seed.variants["MAR-MAJOR4-BLK"]),
                    "barcode": "4044155255737",
                }
            },
        )
    )["variantUpdate"]
    assert payload["userErrors"] == [
        {
            "code": "DUPLICATE_BARCODE",
            "field": "barcode",
            "message": "Barcode 4044155255737 already belongs to SKU SEN-MOM4-BLK of product "
            "'Наушники Sennheiser Momentum 4'; check the label.",
        }
    ]
    assert await table_counts(runtime) == before
    ok = await merch(
        query,
        {"input": {"id": gid("Variant", seed.variants["MAR-MAJOR4-BLK"]),
                   "barcode": "5060486740017"}},
    )  # fmt: skip
    assert ok["variantUpdate"] == {"userErrors": [], "variant": {"barcode": "5060486740017"}}


async def test_non_merchandisers_cannot_edit_the_catalog(
    runtime: Runtime, gql: GQL, seed: Seed, staff_token, customer_token, make_location
):
    _, warehouse = await staff_token(Role.WAREHOUSE, [await make_location("WH01")])
    before = await table_counts(runtime)
    for caller in (gql, gql.as_(authorization=warehouse), gql.as_(authorization=customer_token(7))):
        body = (await caller.raw(CREATE, {"input": new_product(seed)})).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["data"] is None
    assert await table_counts(runtime) == before
    _, admin = await staff_token(Role.ADMIN)
    created = await gql.as_(authorization=admin)(CREATE, {"input": new_product(seed)})
    assert created["productCreate"]["userErrors"] == []


async def test_update_merges_attributes_and_archive_hides_from_lists(merch: GQL, gql: GQL, seed):
    product_id = gid("Product", seed.products["Marshall Major IV"])
    update = """
    mutation($input: ProductUpdateInput!) {
      productUpdate(input: $input) {
        userErrors { field message } product { title attributes { code display } }
      }
    }"""
    data = await merch(
        update,
        {"input": {"id": product_id, "title": "Наушники Marshall Major IV Black",
                   "attributes": [{"code": "bass_level", "value": 9},
                                  {"code": "detail", "value": None}]}},
    )  # fmt: skip
    assert data["productUpdate"]["userErrors"] == []
    assert data["productUpdate"]["product"] == {
        "title": "Наушники Marshall Major IV Black",
        "attributes": [
            {"code": "form_factor", "display": "Накладные"},
            {"code": "weight", "display": "165 g"},
            {"code": "bass_level", "display": "9"},
            {"code": "wireless", "display": "да"},
        ],
    }
    # Variants follow the product's new value (filters read them).
    bass9 = await gql(
        '{ products(filter: {attributes: [{code: "bass_level", range: {gte: 9}}]}) '
        "{ edges { node { title } } } }"
    )
    assert [e["node"]["title"] for e in bass9["products"]["edges"]] == [
        "Наушники Marshall Major IV Black"
    ]
    archive = """mutation($id: ID!) { productArchive(input: {id: $id}) {
        userErrors { field } product { status } } }"""
    assert (await merch(archive, {"id": product_id}))["productArchive"] == {
        "userErrors": [],
        "product": {"status": "ARCHIVED"},
    }
    listed = await gql('{ products(search: "marshall major") { edges { node { title } } } }')
    assert listed["products"]["edges"] == []


async def test_structure_mutations_and_their_guards(runtime: Runtime, merch: GQL, seed: Seed):
    attr = await merch(
        """mutation { attributeDefinitionCreate(input: {code: "driver_mm", name: "Диаметр",
        kind: NUMBER, unit: "mm", filterable: true, comparable: true}) {
        userErrors { field } attributeDefinition { id code unit kind } } }"""
    )
    created = attr["attributeDefinitionCreate"]
    assert created["attributeDefinition"]["code"] == "driver_mm"
    bad = await merch(
        """mutation { attributeDefinitionCreate(input: {code: "Bass Level", name: "x",
        kind: ENUM}) { userErrors { field code } } }"""
    )
    assert [e["field"] for e in bad["attributeDefinitionCreate"]["userErrors"]] == [
        "code",
        "choices",
    ]
    type_update = """mutation($input: ProductTypeUpdateInput!) { productTypeUpdate(input: $input)
        { userErrors { code field message } productType { attributes { code } } } }"""
    attribute_ids = [gid("AttributeDefinition", seed.attributes[c]) for c in ("form_factor",)]
    refused = await merch(
        type_update, {"input": {"id": gid("ProductType", seed.headphones),
                                "attributeIds": attribute_ids}}
    )  # fmt: skip
    assert refused["productTypeUpdate"]["userErrors"][0]["field"] == "attributeIds"
    assert refused["productTypeUpdate"]["userErrors"][0]["code"] == "CONFLICT"
    category_update = """mutation($input: CategoryUpdateInput!) { categoryUpdate(input: $input)
        { userErrors { field message } category { slug parent { slug } } } }"""
    cycle = await merch(
        category_update,
        {"input": {"id": gid("Category", seed.categories["audio"]),
                   "parentId": gid("Category", seed.categories["headphones"])}},
    )  # fmt: skip
    assert cycle["categoryUpdate"]["userErrors"] == [
        {"field": "parentId",
         "message": "A category cannot be moved under itself or one of its subcategories."}
    ]  # fmt: skip
    archive = """mutation($id: ID!) { categoryArchive(input: {id: $id}) {
        userErrors { code } category { archived } } }"""
    has_children = await merch(archive, {"id": gid("Category", seed.categories["audio"])})
    assert has_children["categoryArchive"]["userErrors"] == [{"code": "CONFLICT"}]
    rename = await merch(
        """mutation($id: ID!) { brandUpdate(input: {id: $id, name: "Marshall Amplification"}) {
        userErrors { field } brand { name slug } } }""",
        {"id": gid("Brand", seed.brands["Marshall"])},
    )
    assert rename["brandUpdate"]["brand"] == {"name": "Marshall Amplification", "slug": "marshall"}
    # Search keywords follow the rename.
    found = await merch('{ products(search: "amplification", sort: NAME) { totalCount } }')
    assert found["products"]["totalCount"] == 1  # Major IV (Monitor II is store-only)
