"""Fulfillment: carts and checkout, orders, sourcing, fulfillment orders, pickup, returns."""
