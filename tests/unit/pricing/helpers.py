"""Builders for engine tests: RUB, 20 % VAT, a few variants in a small category tree."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.access.model import Channel
from domain.pricing.model import (
    Cart,
    CartLine,
    Customer,
    Item,
    PriceEntry,
    Promotion,
    QuoteContext,
    TaxRate,
    Voucher,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RATES = (
    TaxRate("STANDARD", "RU", 2000, name="НДС 20%"),
    TaxRate("REDUCED", "RU", 1000, name="НДС 10%"),
)

# headphones (cat 11 under electronics 1), brand 7; phone (cat 12 under 1), brand 8; book (cat 2)
HEADPHONES = Item(1, "HP-100", product_id=10, brand_id=7, category_path=(11, 1))
EARBUDS = Item(2, "EB-200", product_id=20, brand_id=7, category_path=(11, 1))
PHONE = Item(3, "PH-300", product_id=30, brand_id=8, category_path=(12, 1))
BOOK = Item(4, "BK-400", product_id=40, brand_id=None, category_path=(2,), tax_class="REDUCED")

PRICES = {
    1: [PriceEntry(1, 1, "RUB", 999_000, compare_at=1_299_000)],  # 9 990 RUB
    2: [PriceEntry(2, 2, "RUB", 349_900)],  # 3 499 RUB
    3: [PriceEntry(3, 3, "RUB", 7_999_000)],  # 79 990 RUB
    4: [PriceEntry(4, 4, "RUB", 59_900)],  # 599 RUB
}


def cart(*lines: tuple[Item, int], shipping: int = 0) -> Cart:
    return Cart(tuple(CartLine(i, q) for i, q in lines), shipping=shipping)


def ctx(
    channel: Channel = Channel.WEB,
    *,
    location_id: int | None = None,
    customer: Customer | None = None,
    codes: tuple[str, ...] = (),
    vouchers: tuple[Voucher, ...] = (),
) -> QuoteContext:
    return QuoteContext(
        channel=channel,
        at=NOW,
        location_id=location_id,
        customer=customer or Customer(),
        tax_rates=RATES,
        voucher_codes=codes,
        vouchers={v.code: v for v in vouchers},
    )


def promo(id: int, kind: str, **kw: object) -> Promotion:
    from domain.pricing.model import PromotionKind

    return Promotion(id=id, name=kw.pop("name", f"P{id}"), kind=PromotionKind(kind), **kw)  # type: ignore[arg-type]
