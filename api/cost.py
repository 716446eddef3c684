"""What a field costs to resolve: the weights of the cost model (DESIGN: API conventions, limits).

An operation's cost is worked out from the document before it runs (api/complexity.py): every
field costs its weight, and the selection under a list costs once per item it may return. A
field not listed weighs 1 (a column of a row already loaded). Fields listed here do more: they
compute availability over every location, run the price engine, rank candidates, or count rows.
Keys are "Type.field" as in schema.graphql; a test fails when a key names no field, so a rename
cannot silently make a heavy field cheap.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldCost:
    weight: int = 1
    # A plain list (not a connection) is counted this many times for its selection: the
    # realistic number of items it returns (a product's variants, the stores of a city).
    items: int = 1


DEFAULT = FieldCost()

FIELD_COSTS: dict[str, FieldCost] = {
    # Availability: levels of every location, minus holds and safety stock, per variant.
    "Query.availability": FieldCost(weight=10),
    "Query.stockCheck": FieldCost(weight=10),
    "Variant.availability": FieldCost(weight=10),
    "VariantAvailability.stores": FieldCost(items=10),
    "StockCheck.locations": FieldCost(items=10),
    "CartLine.available": FieldCost(weight=5),
    "Recommendations.contextInStock": FieldCost(weight=5),
    # Prices: shelf prices are a read model; ranges span the variants; quotes run the engine.
    "Variant.price": FieldCost(weight=3),
    "Product.priceRange": FieldCost(weight=5),
    "Product.variants": FieldCost(weight=2, items=5),
    "Query.priceQuote": FieldCost(weight=20),
    "Query.priceHistory": FieldCost(weight=5, items=10),
    "Cart.quote": FieldCost(weight=20),
    "Cart.shippingOptions": FieldCost(weight=5),
    "Query.routingSimulate": FieldCost(weight=30),
    # Search and listings: full-text match, filters and facet counts over the catalog.
    "Query.products": FieldCost(weight=5),
    "ProductConnection.facets": FieldCost(weight=20, items=5),
    "Facet.values": FieldCost(items=10),
    # Counting rows is a query of its own.
    "ProductConnection.totalCount": FieldCost(weight=5),
    "LocationConnection.totalCount": FieldCost(weight=5),
    "CustomerConnection.totalCount": FieldCost(weight=5),
    "OrderConnection.totalCount": FieldCost(weight=5),
    "FulfillmentOrderConnection.totalCount": FieldCost(weight=5),
    "ReturnConnection.totalCount": FieldCost(weight=5),
    "PromotionConnection.totalCount": FieldCost(weight=5),
    "StockLevelConnection.totalCount": FieldCost(weight=5),
    "StockMovementConnection.totalCount": FieldCost(weight=5),
    "PointsEntryConnection.totalCount": FieldCost(weight=5),
    "ApiKeyConnection.totalCount": FieldCost(weight=5),
    "StaffUserConnection.totalCount": FieldCost(weight=5),
    # Clienteling: ranking every candidate, the customer's whole timeline, who is in the store.
    "Query.recommendations": FieldCost(weight=50),
    "Query.customer360": FieldCost(weight=30),
    "Query.storeVisitors": FieldCost(weight=20),
    "Query.consultantAttribution": FieldCost(weight=50),
    "Customer360.favourites": FieldCost(items=10),
    # Reconciling levels with the ledger reads every movement.
    "Query.inventoryDiscrepancies": FieldCost(weight=100, items=10),
    # Other unpaged lists a client may ask for in one go.
    "Query.categories": FieldCost(items=20),
    "Query.brands": FieldCost(items=20),
    "Product.attributes": FieldCost(items=5),
    "Variant.attributes": FieldCost(items=5),
    "Cart.lines": FieldCost(items=5),
    "Customer.orders": FieldCost(weight=2, items=10),
}


def field_cost(type_name: str, field_name: str) -> FieldCost:
    return FIELD_COSTS.get(f"{type_name}.{field_name}", DEFAULT)
