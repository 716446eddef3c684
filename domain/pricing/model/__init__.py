"""The pure pricing model: price resolution, taxes, promotions and the quote engine.

No SQLAlchemy, strawberry or redis here; services load data, call ``quote`` and save.
"""

from domain.pricing.model.engine import (
    TIER_PROMOTION_ID,
    Cart,
    CartLine,
    Consideration,
    Customer,
    LineDiscount,
    Quote,
    QuoteContext,
    QuoteLine,
    Reason,
    Stage,
    VoucherOutcome,
    VoucherReason,
    quote,
    shelf_price,
)
from domain.pricing.model.prices import PriceEntry, effective_compare_at, resolve_price
from domain.pricing.model.promotions import (
    CATALOGUE_KINDS,
    Item,
    Promotion,
    PromotionKind,
    PromotionStatus,
    Target,
    Voucher,
    category_paths,
    normalise_code,
    validate_promotion,
    validate_voucher,
)
from domain.pricing.model.rounding import BP, div_half_up, included_tax, percent_of
from domain.pricing.model.taxes import DEFAULT_RATES, STANDARD, TaxRate, resolve_rate, with_defaults

__all__ = [
    "BP",
    "CATALOGUE_KINDS",
    "DEFAULT_RATES",
    "STANDARD",
    "TIER_PROMOTION_ID",
    "Cart",
    "CartLine",
    "Consideration",
    "Customer",
    "Item",
    "LineDiscount",
    "PriceEntry",
    "Promotion",
    "PromotionKind",
    "PromotionStatus",
    "Quote",
    "QuoteContext",
    "QuoteLine",
    "Reason",
    "Stage",
    "Target",
    "TaxRate",
    "Voucher",
    "VoucherOutcome",
    "VoucherReason",
    "category_paths",
    "div_half_up",
    "effective_compare_at",
    "included_tax",
    "normalise_code",
    "percent_of",
    "quote",
    "resolve_price",
    "resolve_rate",
    "shelf_price",
    "validate_promotion",
    "validate_voucher",
    "with_defaults",
]
