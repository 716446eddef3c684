"""Inventory: locations (warehouses, stores, pickup points), stock levels per variant and
location, the movement ledger, holds, transfers and counts.

Owns table ``locations`` (and, with the inventory issue, the stock tables).
"""
