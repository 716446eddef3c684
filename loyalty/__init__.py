"""Loyalty: customers and their identifiers, merge, points ledger, tiers, clienteling.

Owns tables ``customers``, ``customer_identifiers``, ``customer_addresses``,
``customer_consents``, ``loyalty_accounts``, ``points_entries``, ``spend_entries`` and
``customer_merges``. Other contexts use ``loyalty.services`` (points, spend, tiers, merge steps)
and ``loyalty.model.tier_for``; never the tables.
"""
