"""Pricing: prices per variant, currency and channel (with validity windows, scheduled changes,
compare-at prices and their history), tax classes and rates, promotions, vouchers and their
usage, and the one price engine (``domain.pricing.model.quote``) every channel uses.

Owns tables ``prices``, ``tax_rates``, ``product_tax_classes``, ``promotions``, ``vouchers``,
``voucher_customer_usage``, ``voucher_redemptions`` and ``customer_segments``. Other contexts
call ``domain.pricing.services``; see docs/pricing.md for the rules.
"""
