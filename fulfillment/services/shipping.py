"""Shipping methods and their prices: a small versioned table kept in code (changing a price is
a reviewed commit that bumps ``VERSION``; each order records the method and the price it paid).

Prices are tax-inclusive minor units (RUB kopecks); the pricing engine applies shipping
discounts on top (``Quote.shipping_discount``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.shared.errors import ValidationFailed

VERSION = 1


@dataclass(frozen=True)
class ShippingMethod:
    code: str
    name: str
    price: int  # minor units, VAT included
    free_over: int | None  # goods total (after discounts) from which delivery is free
    lead_days: int  # days from dispatch to the door

    def price_for(self, goods_total: int) -> int:
        if self.free_over is not None and goods_total >= self.free_over:
            return 0
        return self.price

    def delivery_date(self, dispatch_at: datetime) -> datetime:
        return dispatch_at + timedelta(days=self.lead_days)


METHODS: dict[str, ShippingMethod] = {
    m.code: m
    for m in (
        ShippingMethod("COURIER", "Courier to the door", 39_000, 500_000, 1),
        ShippingMethod("POST", "Russian Post", 29_000, 300_000, 5),
        ShippingMethod("EXPRESS", "Express, same or next day", 99_000, None, 0),
    )
}


def shipping_method(code: str | None, *, field: str = "shippingMethod") -> ShippingMethod:
    """The method by code, or a userError listing the valid ones."""
    method = METHODS.get((code or "").strip().upper())
    if method is None:
        raise ValidationFailed(
            f"Choose a shipping method: {', '.join(METHODS)}.", field=field, code="NO_SHIPPING"
        )
    return method


def shipping_price(code: str | None, *, goods_total: int) -> int:
    return shipping_method(code).price_for(goods_total)
