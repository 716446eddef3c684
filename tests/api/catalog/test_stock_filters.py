"""`products` filters by stock: in stock online (a shipping location) and at a given store."""

from __future__ import annotations

from api.relay import encode_id
from api.runtime import Runtime
from inventory.model import LocationKind
from inventory.services import receive_stock
from tests.conftest import GQL
from tests.integration.inventory.support import make_variants

QUERY = """query($f: ProductFilter) { products(first: 10, sort: NAME, filter: $f) {
  edges { node { title } } } }"""


async def titles(gql: GQL, f: dict) -> list[str]:
    data = await gql(QUERY, {"f": f})
    return [e["node"]["title"] for e in data["products"]["edges"]]


async def test_in_stock_online_and_at_a_store(runtime: Runtime, gql: GQL, make_location):
    warehouse = await make_location("WH01", kind=LocationKind.WAREHOUSE, ships=True)
    store = await make_location("S01", sells_in_store=True, offers_pickup=True)
    other = await make_location("S02", sells_in_store=True, offers_pickup=True)
    (shipped,) = await make_variants(runtime, "A-1")  # Product 1: in the warehouse
    (in_store,) = await make_variants(runtime, "B-1")  # Product 2: only on S01's shelf
    await make_variants(runtime, "C-1")  # Product 3: no stock anywhere
    await receive_stock(runtime.uow(), variant_id=shipped, location_id=warehouse, quantity=3,
                        actor="test")
    await receive_stock(runtime.uow(), variant_id=in_store, location_id=store, quantity=1,
                        actor="test")

    assert await titles(gql, {}) == ["Product 1", "Product 2", "Product 3"]
    assert await titles(gql, {"inStockOnline": True}) == ["Product 1"]
    assert await titles(gql, {"inStockAt": str(encode_id("Location", store))}) == ["Product 2"]
    assert await titles(gql, {"inStockAt": str(encode_id("Location", other))}) == []
    body = (await gql.raw(QUERY, {"f": {"inStockAt": "bm9wZTox"}})).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
