"""Properties of the engine over random carts and promotion sets (hypothesis)."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.access.model import Channel
from domain.pricing.model import (
    Cart,
    CartLine,
    Customer,
    Item,
    PriceEntry,
    Promotion,
    PromotionKind,
    Stage,
    Target,
    included_tax,
    quote,
)
from tests.unit.pricing.helpers import NOW, RATES, ctx

ITEMS = [
    Item(
        i,
        f"SKU-{i}",
        product_id=100 + i,
        brand_id=i % 3,
        category_path=(10 + i % 4, 1),
        tax_class="REDUCED" if i % 5 == 0 else "STANDARD",
    )
    for i in range(1, 9)
]

targets = st.builds(
    Target,
    product_ids=st.frozensets(st.sampled_from([101, 102, 103, 104]), max_size=2),
    brand_ids=st.frozensets(st.sampled_from([0, 1, 2]), max_size=1),
    category_ids=st.frozensets(st.sampled_from([1, 10, 11]), max_size=1),
)


@st.composite
def promotions(draw: st.DrawFn) -> list[Promotion]:
    out = []
    for pid in range(1, draw(st.integers(0, 8)) + 1):
        kind = draw(st.sampled_from(list(PromotionKind)))
        target = draw(targets)
        if target.is_empty and kind in (
            PromotionKind.PERCENT_OFF_ITEMS,
            PromotionKind.AMOUNT_OFF_ITEMS,
            PromotionKind.BUY_X_GET_Y,
            PromotionKind.BUNDLE_PRICE,
        ):
            target = Target(category_ids=frozenset({1}))
        out.append(
            Promotion(
                id=pid,
                name=f"P{pid}",
                kind=kind,
                target=target,
                percent_bp=draw(st.integers(1, 10_000)),
                amount=draw(st.integers(1, 5_000_000)),
                threshold=draw(st.integers(0, 3_000_000)),
                buy_quantity=draw(st.integers(2, 4)),
                get_quantity=draw(st.integers(1, 2)),
                priority=draw(st.integers(-2, 2)),
                exclusive=draw(st.booleans()),
            )
        )
    return out


carts = st.builds(
    lambda lines, shipping: Cart(tuple(CartLine(ITEMS[i], q) for i, q in lines), shipping),
    st.lists(st.tuples(st.integers(0, 7), st.integers(1, 6)), min_size=1, max_size=6),
    st.integers(0, 100_000),
)
PRICES = {
    i.variant_id: [PriceEntry(i.variant_id, i.variant_id, "RUB", 1 + 9_999 * i.variant_id**3)]
    for i in ITEMS
}
customers = st.sampled_from([Customer(), Customer(id=1, tier="GOLD", tier_discount_bp=500)])


@settings(max_examples=300, deadline=None)
@given(carts, promotions(), customers)
def test_totals_add_up_and_are_never_negative(cart: Cart, promos: list[Promotion], customer):
    q = quote(cart, PRICES, promos, ctx(customer=customer))
    assert q.total >= 0 and q.tax_total >= 0
    for line in q.lines:
        assert 0 <= line.total <= line.subtotal
        assert line.total == line.subtotal - sum(d.amount for d in line.discounts)
        assert all(d.amount > 0 for d in line.discounts)
        assert line.net + line.tax == line.total
        assert line.tax == included_tax(line.total, line.tax_rate_bp)
        assert line.total == line.shelf_unit_price * line.quantity - sum(
            d.amount for d in line.discounts if d.stage is Stage.ORDER
        )
    assert q.discount_total == sum(line.discount_total for line in q.lines)
    assert q.total == q.subtotal - q.discount_total + q.shipping - q.shipping_discount
    shipping_tax = included_tax(q.shipping - q.shipping_discount, 2000)
    assert q.tax_total == sum(line.tax for line in q.lines) + shipping_tax
    assert 0 <= q.shipping_discount <= q.shipping


@settings(max_examples=300, deadline=None)
@given(carts, promotions())
def test_line_discounts_sum_to_each_promotions_discount(cart: Cart, promos: list[Promotion]):
    q = quote(cart, PRICES, promos, ctx())
    per_promotion: dict[int, int] = defaultdict(int)
    for line in q.lines:
        for d in line.discounts:
            per_promotion[d.promotion_id] += d.amount
    for c in q.considered:
        if c.kind is not PromotionKind.FREE_SHIPPING:
            assert c.discount == per_promotion.get(c.promotion_id, 0)
        assert c.applied == (c.discount > 0)
    assert q.shipping_discount == sum(
        c.discount for c in q.considered if c.kind is PromotionKind.FREE_SHIPPING
    )
    assert q.order_discount_total == sum(
        d.amount for line in q.lines for d in line.discounts if d.stage is Stage.ORDER
    )


@settings(max_examples=150, deadline=None)
@given(carts, promotions())
def test_unscoped_promotions_price_the_same_in_every_channel(cart: Cart, promos):
    totals = {
        quote(cart, PRICES, promos, ctx(ch)).lines for ch in (Channel.WEB, Channel.APP, Channel.POS)
    }
    assert len(totals) == 1


def test_prices_are_fixed_for_the_property_tests():
    assert NOW.year == 2026 and RATES[0].rate_bp == 2000
