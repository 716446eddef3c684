"""Fulfillment services: import the submodule you need (carts, checkout, pos, cancel, refunds,
store_credit, fulfillment_orders, routing)."""
