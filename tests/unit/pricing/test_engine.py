"""The quote engine: exact kopecks for each promotion kind, stacking and explanations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.access.model import Channel
from domain.pricing.errors import PriceNotFound
from domain.pricing.model import Customer, Reason, Stage, Target, Voucher, VoucherReason, quote
from domain.shared.errors import MultipleErrors
from tests.unit.pricing.helpers import (
    BOOK,
    EARBUDS,
    HEADPHONES,
    NOW,
    PHONE,
    PRICES,
    cart,
    ctx,
    promo,
)

BRAND7 = Target(brand_ids=frozenset({7}))
HEADPHONES_CAT = Target(category_ids=frozenset({11}))


def reasons(q):
    return {c.promotion_id: c.reason for c in q.considered}


def test_without_promotions_lines_are_list_price_with_vat_included():
    q = quote(cart((HEADPHONES, 2), (BOOK, 1)), PRICES, [], ctx())
    hp, book = q.lines
    assert (hp.unit_price, hp.compare_at, hp.subtotal, hp.total, hp.tax, hp.net) == (
        999_000,
        1_299_000,
        1_998_000,
        1_998_000,
        333_000,
        1_665_000,
    )
    assert (book.tax_rate_bp, book.tax) == (1000, 5_445)
    assert (q.subtotal, q.discount_total, q.tax_total, q.total) == (
        2_057_900,
        0,
        338_445,
        2_057_900,
    )


def test_a_catalogue_percent_lowers_the_shelf_price_per_unit_and_keeps_the_was_price():
    p = promo(1, "PERCENT_OFF_ITEMS", percent_bp=1000, target=BRAND7)
    q = quote(cart((HEADPHONES, 2), (EARBUDS, 1), (PHONE, 1)), PRICES, [p], ctx())
    hp, eb, ph = q.lines
    assert (hp.shelf_unit_price, hp.discount_total, hp.total) == (899_100, 199_800, 1_798_200)
    assert hp.compare_at == 1_299_000
    assert (eb.shelf_unit_price, eb.compare_at, eb.total) == (314_910, 349_900, 314_910)
    assert hp.discounts[0].stage is Stage.CATALOGUE and hp.discounts[0].promotion_id == 1
    assert ph.discounts == () and ph.compare_at is None
    assert q.considered[0].discount == 199_800 + 34_990


def test_combinable_catalogue_promotions_stack_by_priority_unless_an_exclusive_saves_more():
    a = promo(1, "PERCENT_OFF_ITEMS", percent_bp=1000, target=BRAND7, priority=10)
    b = promo(2, "AMOUNT_OFF_ITEMS", amount=50_000, target=BRAND7, priority=5)
    c15 = promo(
        3,
        "PERCENT_OFF_ITEMS",
        percent_bp=1500,
        exclusive=True,
        target=Target(product_ids=frozenset({10})),
    )
    q = quote(cart((HEADPHONES, 1), (EARBUDS, 1)), PRICES, [a, b, c15], ctx())
    # stack on headphones: 99 900 then 50 000 = 149 900 > exclusive 15 % = 149 850
    assert q.lines[0].shelf_unit_price == 999_000 - 149_900
    assert [d.promotion_id for d in q.lines[0].discounts] == [1, 2]
    assert reasons(q)[3] is Reason.BETTER_DEAL_CHOSEN

    c20 = promo(
        3,
        "PERCENT_OFF_ITEMS",
        percent_bp=2000,
        exclusive=True,
        target=Target(product_ids=frozenset({10})),
    )
    q = quote(cart((HEADPHONES, 1), (EARBUDS, 1)), PRICES, [a, b, c20], ctx())
    assert [(d.promotion_id, d.amount) for d in q.lines[0].discounts] == [(3, 199_800)]
    # the exclusive one targets headphones only: earbuds still get the stack
    assert [(d.promotion_id, d.amount) for d in q.lines[1].discounts] == [(1, 34_990), (2, 50_000)]
    assert reasons(q) == {1: Reason.APPLIED, 2: Reason.APPLIED, 3: Reason.APPLIED}


def test_an_order_discount_is_allocated_to_lines_by_largest_remainder():
    p = promo(1, "SPEND_GET_OFF", amount=100_000, threshold=1_000_000)
    q = quote(cart((HEADPHONES, 1), (EARBUDS, 1), (BOOK, 1)), PRICES, [p], ctx())
    assert [line.discount_total for line in q.lines] == [70_911, 24_837, 4_252]
    assert q.order_discount_total == 100_000
    assert q.total == 1_408_800 - 100_000
    assert [line.tax for line in q.lines] == [154_682, 54_177, 5_059]
    assert q.tax_total == 154_682 + 54_177 + 5_059


def test_spend_threshold_not_met_says_how_much_more_to_spend():
    p = promo(1, "SPEND_GET_OFF", amount=100_000, threshold=1_000_000)
    q = quote(cart((EARBUDS, 1)), PRICES, [p], ctx())
    (c,) = q.considered
    assert (c.applied, c.reason) == (False, Reason.MIN_SPEND_NOT_MET)
    assert c.message == ("Spend 6501 RUB more on qualifying items to get it (minimum 10000 RUB).")
    assert q.total == 349_900


def test_buy_two_get_the_cheapest_third_free():
    p = promo(
        1, "BUY_X_GET_Y", buy_quantity=2, get_quantity=1, percent_bp=10_000, target=HEADPHONES_CAT
    )
    q = quote(cart((HEADPHONES, 2), (EARBUDS, 1)), PRICES, [p], ctx())
    assert [line.discount_total for line in q.lines] == [0, 349_900]
    assert q.lines[1].total == 0 and q.lines[1].tax == 0
    q = quote(cart((HEADPHONES, 2)), PRICES, [p], ctx())
    (c,) = q.considered
    assert (c.reason, c.message) == (
        Reason.NOT_ENOUGH_ITEMS,
        "Add 1 more qualifying item(s): buy 2, get 1.",
    )


def test_a_bundle_price_uses_the_most_expensive_units():
    p = promo(1, "BUNDLE_PRICE", buy_quantity=2, amount=600_000, target=HEADPHONES_CAT)
    q = quote(cart((EARBUDS, 3)), PRICES, [p], ctx())
    assert q.lines[0].discount_total == 2 * 349_900 - 600_000
    assert q.total == 600_000 + 349_900


def test_free_shipping_over_a_threshold_and_shipping_vat():
    p = promo(1, "FREE_SHIPPING", threshold=500_000)
    q = quote(cart((PHONE, 1), shipping=39_900), PRICES, [p], ctx())
    assert (q.shipping, q.shipping_discount, q.total) == (39_900, 39_900, 7_999_000)
    assert q.tax_total == 1_333_167
    q = quote(cart((BOOK, 1), shipping=39_900), PRICES, [p], ctx())
    assert (q.shipping_discount, q.total, q.tax_total) == (0, 99_800, 5_445 + 6_650)
    assert q.considered[0].reason is Reason.MIN_SPEND_NOT_MET


def test_the_best_deal_wins_between_an_exclusive_order_promotion_and_the_combinable_stack():
    exclusive = promo(1, "ORDER_PERCENT", percent_bp=1000, exclusive=True)
    five = promo(2, "ORDER_PERCENT", percent_bp=500, priority=10)
    off = promo(3, "SPEND_GET_OFF", amount=100_000, threshold=1)
    q = quote(cart((PHONE, 1)), PRICES, [exclusive, five, off], ctx())
    assert q.discount_total == 799_900
    assert reasons(q) == {
        1: Reason.APPLIED,
        2: Reason.BETTER_DEAL_CHOSEN,
        3: Reason.BETTER_DEAL_CHOSEN,
    }
    q = quote(cart((PHONE, 1)), PRICES, [five, off], ctx())
    assert q.discount_total == 399_950 + 100_000  # 5 % first (priority), then 1 000 RUB


def test_catalogue_then_order_stage_then_loyalty_tier_last():
    cat = promo(1, "PERCENT_OFF_ITEMS", percent_bp=1000, target=BRAND7)
    order = promo(2, "SPEND_GET_OFF", amount=50_000, threshold=100_000)
    gold = Customer(id=5, tier="GOLD", tier_discount_bp=500)
    q = quote(cart((HEADPHONES, 1)), PRICES, [cat, order], ctx(customer=gold))
    # 999 000 -> 899 100 (catalogue) -> 849 100 (order) -> -42 455 (5 % GOLD)
    assert [(d.promotion_id, d.amount) for d in q.lines[0].discounts] == [
        (1, 99_900),
        (2, 50_000),
        (0, 42_455),
    ]
    assert q.total == 806_645
    assert q.considered[-1].promotion_name == "Loyalty GOLD: 5% off"


def test_vouchers_unlock_their_promotion_and_explain_refusals():
    p = promo(1, "ORDER_PERCENT", percent_bp=1000, voucher_only=True)
    base = dict(code="SALE10", promotion_id=1, usage_limit=10)

    q = quote(cart((PHONE, 1)), PRICES, [p], ctx())
    assert reasons(q) == {1: Reason.NEEDS_VOUCHER}

    ok = quote(
        cart((PHONE, 1)), PRICES, [p], ctx(codes=(" sale10 ",), vouchers=(Voucher(**base, used=9),))
    )
    assert ok.discount_total == 799_900 and ok.accepted_voucher_codes == ("SALE10",)
    assert ok.lines[0].discounts[0].voucher_code == "SALE10"

    def refused(voucher: Voucher | None, customer: Customer | None = None) -> VoucherReason:
        q = quote(
            cart((PHONE, 1)),
            PRICES,
            [p],
            ctx(codes=("SALE10",), vouchers=(voucher,) if voucher else (), customer=customer),
        )
        assert q.discount_total == 0
        return q.vouchers[0].reason

    assert refused(None) is VoucherReason.VOUCHER_UNKNOWN
    assert refused(Voucher(**base, used=10)) is VoucherReason.VOUCHER_EXHAUSTED
    assert refused(Voucher(**base, ends_at=NOW)) is VoucherReason.VOUCHER_EXPIRED
    assert refused(Voucher(**base, starts_at=NOW + timedelta(days=1))) is (
        VoucherReason.VOUCHER_NOT_STARTED
    )
    assert refused(Voucher(**base, per_customer_limit=1)) is VoucherReason.VOUCHER_NEEDS_CUSTOMER
    assert (
        refused(Voucher(**base, per_customer_limit=1, used_by_customer=1), Customer(id=3))
        is VoucherReason.VOUCHER_CUSTOMER_LIMIT
    )
    assert refused(Voucher(**base, min_spend=10_000_000)) is VoucherReason.VOUCHER_MIN_SPEND


def test_personalised_offers_apply_to_named_customers_tiers_or_segments_only():
    named = promo(1, "ORDER_PERCENT", percent_bp=300, customer_ids=frozenset({42}))
    tier = promo(2, "ORDER_PERCENT", percent_bp=300, tiers=frozenset({"SILVER"}))
    seg = promo(3, "ORDER_PERCENT", percent_bp=300, segments=frozenset({"audiophile"}))
    anyone = quote(cart((PHONE, 1)), PRICES, [named, tier, seg], ctx())
    assert set(reasons(anyone).values()) == {Reason.NOT_FOR_CUSTOMER}
    c = Customer(id=7, tier="SILVER", segments=frozenset({"audiophile"}))
    q = quote(cart((PHONE, 1)), PRICES, [named, tier, seg], ctx(customer=c))
    assert reasons(q) == {1: Reason.NOT_FOR_CUSTOMER, 2: Reason.APPLIED, 3: Reason.APPLIED}


def test_the_same_cart_costs_the_same_on_web_app_and_pos_with_an_unscoped_promotion():
    p = promo(1, "PERCENT_OFF_ITEMS", percent_bp=1000, target=BRAND7)
    order = promo(2, "SPEND_GET_OFF", amount=100_000, threshold=1_000_000)
    quotes = [
        quote(cart((HEADPHONES, 1), (EARBUDS, 2)), PRICES, [p, order], ctx(ch, location_id=3))
        for ch in (Channel.WEB, Channel.APP, Channel.POS)
    ]
    assert {q.total for q in quotes} == {899_100 + 2 * 314_910 - 100_000}
    assert quotes[0].lines == quotes[1].lines == quotes[2].lines


def test_channel_and_store_scoped_promotions_differ_between_channels():
    store = promo(
        1,
        "PERCENT_OFF_ITEMS",
        percent_bp=1000,
        target=BRAND7,
        channels=frozenset({Channel.POS}),
        location_ids=frozenset({3}),
    )
    app_code = promo(
        2,
        "SPEND_GET_OFF",
        amount=50_000,
        threshold=1,
        voucher_only=True,
        channels=frozenset({Channel.APP}),
    )
    v = Voucher("APPONLY", 2)
    totals = {}
    for ch, loc in ((Channel.WEB, None), (Channel.APP, None), (Channel.POS, 3), (Channel.POS, 4)):
        q = quote(
            cart((HEADPHONES, 1)),
            PRICES,
            [store, app_code],
            ctx(ch, location_id=loc, codes=("APPONLY",), vouchers=(v,)),
        )
        totals[(ch, loc)] = (q.total, reasons(q)[1], reasons(q)[2])
    assert totals == {
        (Channel.WEB, None): (999_000, Reason.OTHER_CHANNEL, Reason.OTHER_CHANNEL),
        (Channel.APP, None): (949_000, Reason.OTHER_CHANNEL, Reason.APPLIED),
        (Channel.POS, 3): (899_100, Reason.APPLIED, Reason.OTHER_CHANNEL),
        (Channel.POS, 4): (999_000, Reason.OTHER_STORE, Reason.OTHER_CHANNEL),
    }


def test_a_line_without_a_price_is_an_error_naming_the_line():
    with pytest.raises(PriceNotFound) as err:
        quote(cart((PHONE, 1)), {}, [], ctx())
    assert err.value.field == "lines[0]"
    with pytest.raises(MultipleErrors):
        quote(cart((PHONE, 0), (BOOK, 1)), {}, [], ctx())


def test_invalid_promotion_rules_are_reported_together():
    from domain.pricing.model import validate_promotion

    bad = promo(
        1, "PERCENT_OFF_ITEMS", percent_bp=12_000, starts_at=NOW, ends_at=NOW - timedelta(days=1)
    )
    with pytest.raises(MultipleErrors) as err:
        validate_promotion(bad)
    assert [(e.field, e.code) for e in err.value.errors] == [
        ("percent", "INVALID"),
        ("target", "INVALID"),
        ("endsAt", "INVALID"),
    ]
