"""Pricing use cases. Reads price through the engine; writes validate, save and record events.

Orders and returns call ``price_quote`` (then snapshot the quote on the order),
``consume_vouchers`` and ``release_vouchers`` inside their own unit of work.
"""

from domain.pricing.services.common import customer_profile, tier_discount_for
from domain.pricing.services.prices import (
    PriceInput,
    set_customer_segments,
    set_prices,
    set_product_tax_class,
    set_tax_rate,
)
from domain.pricing.services.promotions import (
    create_promotion,
    create_voucher,
    end_promotion,
    update_promotion,
    update_voucher,
)
from domain.pricing.services.quotes import (
    LineRequest,
    PriceRange,
    ShelfPrice,
    price_quote,
    product_price_ranges,
    shelf_prices,
)
from domain.pricing.services.schedule import announce_due
from domain.pricing.services.vouchers import ConsumedVoucher, consume_vouchers, release_vouchers
from domain.shared.clock import utcnow

__all__ = [
    "ConsumedVoucher",
    "LineRequest",
    "PriceInput",
    "PriceRange",
    "ShelfPrice",
    "announce_due",
    "consume_vouchers",
    "create_promotion",
    "create_voucher",
    "customer_profile",
    "end_promotion",
    "price_quote",
    "product_price_ranges",
    "release_vouchers",
    "set_customer_segments",
    "set_prices",
    "set_product_tax_class",
    "set_tax_rate",
    "shelf_prices",
    "tier_discount_for",
    "update_promotion",
    "update_voucher",
    "utcnow",
]
