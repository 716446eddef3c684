"""Pricing failures with stable codes (``api`` turns them into userErrors)."""

from __future__ import annotations

from domain.shared.errors import Conflict, NotFound, ValidationFailed


class PriceNotFound(NotFound):
    code = "PRICE_NOT_FOUND"


class UnknownSku(NotFound):
    code = "UNKNOWN_SKU"


class PromotionNotFound(NotFound):
    code = "PROMOTION_NOT_FOUND"


class VoucherNotFound(NotFound):
    code = "VOUCHER_NOT_FOUND"


class DuplicateVoucherCode(Conflict):
    code = "DUPLICATE_VOUCHER_CODE"


class VoucherRejected(ValidationFailed):
    """A code that cannot be used for this order (expired, used up, minimum spend ...). The
    specific reason is the code, e.g. ``VOUCHER_EXHAUSTED``."""

    code = "VOUCHER_REJECTED"
