"""Loyalty: customers and their identifiers, merge, points ledger, tiers, clienteling."""
