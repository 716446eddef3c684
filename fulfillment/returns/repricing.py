"""Prices the goods a customer keeps with the order's own multi-buy deal: the one pricing
engine (``domain.pricing.model.engine.quote``) run on the snapshot's shelf prices with that
deal alone, as it was in force at the order (dates, channel, store and voucher conditions were
met then). Pure: promotions and items are loaded by the caller."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

from domain.access.model import Channel
from domain.pricing.model.engine import Cart, CartLine, QuoteContext, quote
from domain.pricing.model.prices import PriceEntry
from domain.pricing.model.promotions import Item, Promotion, PromotionStatus
from fulfillment.returns.refund_rules import KeptDiscount, SnapshotLine


def _as_at_order(p: Promotion, currency: str) -> Promotion:
    return dataclasses.replace(
        p,
        currency=currency,
        status=PromotionStatus.ACTIVE,
        starts_at=None,
        ends_at=None,
        channels=frozenset(),
        location_ids=frozenset(),
        customer_ids=frozenset(),
        tiers=frozenset(),
        segments=frozenset(),
        voucher_only=False,
        exclusive=True,
    )


def _pro_rata(promotion_id: int, lines: Sequence[SnapshotLine], kept: Mapping[int, int]) -> int:
    """Fallback when the deal or an item can no longer be loaded: the discount stays with the
    kept units of the lines that carried it, in proportion."""
    got = units = kept_units = 0
    for line in lines:
        amount = sum(d.amount for d in line.discounts if d.promotion_id == promotion_id)
        if amount:
            got += amount
            units += line.quantity
            kept_units += kept.get(line.line_id, 0)
    return got * kept_units // units if units else 0


def kept_discount_for(
    lines: Sequence[SnapshotLine],
    *,
    promotions: Mapping[int, Promotion],
    items: Mapping[int, Item],
    channel: str,
    currency: str,
    at: datetime,
) -> KeptDiscount:
    def kept_discount(promotion_id: int, kept: Mapping[int, int]) -> int:
        promotion = promotions.get(promotion_id)
        kept_lines = [line for line in lines if kept.get(line.line_id, 0) > 0]
        if not kept_lines:
            return 0
        if promotion is None or any(line.variant_id not in items for line in kept_lines):
            return _pro_rata(promotion_id, lines, kept)
        cart = Cart(
            lines=tuple(CartLine(items[line.variant_id], kept[line.line_id]) for line in kept_lines)
        )
        prices = {
            line.variant_id: [
                PriceEntry(
                    id=line.line_id,
                    variant_id=line.variant_id,
                    currency=currency,
                    amount=line.shelf_unit_price,
                )
            ]
            for line in kept_lines
        }
        try:
            ch = Channel(channel)
        except ValueError:
            ch = Channel.WEB
        result = quote(
            cart, prices, [_as_at_order(promotion, currency)], QuoteContext(ch, at, currency)
        )
        return result.order_discount_total

    return kept_discount
