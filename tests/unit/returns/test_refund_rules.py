"""The refund rules on snapshots the pricing engine itself produced."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from domain.access.model import Channel
from domain.pricing.model.engine import Cart, CartLine, QuoteContext, quote
from domain.pricing.model.prices import PriceEntry
from domain.pricing.model.promotions import Item, Promotion, PromotionKind, Target
from fulfillment.returns.refund_rules import (
    LineRefund,
    SnapshotLine,
    kept_cost,
    plan_refund,
    points_to_reverse,
    snapshot_line,
)
from fulfillment.returns.repricing import kept_discount_for

AT = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _item(v: int) -> Item:
    return Item(variant_id=v, sku=f"SKU-{v}", product_id=v)


def _order(
    lines: Sequence[tuple[int, int, int]], promotions: Sequence[Promotion]
) -> tuple[list[SnapshotLine], dict[int, Item]]:
    """Price (variant, unit price, quantity) lines through the engine; snapshot lines as
    checkout writes them (line ids 1..n)."""
    items = {v: _item(v) for v, _, _ in lines}
    prices = {v: [PriceEntry(v, v, "RUB", price)] for v, price, _ in lines}
    q = quote(
        Cart(tuple(CartLine(items[v], n) for v, _, n in lines)),
        prices,
        promotions,
        QuoteContext(Channel.WEB, AT),
    )
    snap = [
        snapshot_line(
            line_id=i + 1,
            variant_id=ql.variant_id,
            quantity=ql.quantity,
            unit_price=ql.unit_price,
            total=ql.total,
            discounts=[
                {
                    "promotionId": d.promotion_id,
                    "kind": str(d.kind),
                    "stage": str(d.stage),
                    "amount": d.amount,
                }
                for d in ql.discounts
            ],
        )
        for i, ql in enumerate(q.lines)
    ]
    return snap, items


def _plan(
    snap: list[SnapshotLine],
    items: dict[int, Item],
    promotions: Sequence[Promotion],
    *,
    before: Mapping[int, int],
    returning: Mapping[int, int],
    refunded: int,
) -> tuple[int, tuple[LineRefund, ...]]:
    kd = kept_discount_for(
        snap,
        promotions={p.id: p for p in promotions},
        items=items,
        channel="WEB",
        currency="RUB",
        at=AT,
    )
    plan = plan_refund(
        snap, gone_before=before, returning=returning, refunded_goods=refunded, kept_discount=kd
    )
    return plan.goods, plan.lines


def test_returning_every_unit_one_by_one_refunds_the_line_total_to_the_kopeck() -> None:
    percent = Promotion(1, "7% off", PromotionKind.ORDER_PERCENT, percent_bp=700)
    snap, items = _order([(10, 333_33, 3)], [percent])
    assert snap[0].total == 929_99  # 999.99 - 7% (70.00 rounded)
    refunds = []
    refunded = 0
    for n in range(3):
        goods, _ = _plan(snap, items, [percent], before={1: n}, returning={1: 1}, refunded=refunded)
        refunds.append(goods)
        refunded += goods
    assert refunds == [310_00, 310_00, 309_99]
    assert sum(refunds) == snap[0].total


def test_buy_two_get_one_free_return_of_a_paid_unit_withdraws_the_free_one() -> None:
    deal = Promotion(
        5,
        "3 for 2",
        PromotionKind.BUY_X_GET_Y,
        percent_bp=10_000,
        buy_quantity=2,
        get_quantity=1,
        target=Target(variant_ids=frozenset({1, 2, 3})),
    )
    # headphones 5000, headphones 5000, cable 1000: the cable is free
    snap, items = _order([(1, 5_000_00, 1), (2, 5_000_00, 1), (3, 1_000_00, 1)], [deal])
    assert [line.total for line in snap] == [5_000_00, 5_000_00, 0]
    goods, lines = _plan(snap, items, [deal], before={}, returning={1: 1}, refunded=0)
    assert goods == 4_000_00  # keeps 5000 + 1000 at full price: paid 10000 - 6000
    assert lines == (LineRefund(1, 1, 4_000_00),)
    goods, lines = _plan(snap, items, [deal], before={1: 1}, returning={3: 1}, refunded=4_000_00)
    assert goods == 1_000_00  # the cable now counts at its price
    goods, _ = _plan(snap, items, [deal], before={1: 1, 3: 1}, returning={2: 1}, refunded=5_000_00)
    assert goods == 5_000_00  # everything back: 10000 in total


def test_returning_the_free_unit_refunds_nothing() -> None:
    deal = Promotion(
        5,
        "3 for 2",
        PromotionKind.BUY_X_GET_Y,
        percent_bp=10_000,
        buy_quantity=2,
        get_quantity=1,
    )
    snap, items = _order([(1, 1_000_00, 3)], [deal])
    assert snap[0].total == 2_000_00
    goods, _ = _plan(snap, items, [deal], before={}, returning={1: 1}, refunded=0)
    assert goods == 0  # two kept units are no longer "3 for 2": they cost 2000, as paid


def test_two_groups_one_unit_back_keeps_the_remaining_groups_deal() -> None:
    deal = Promotion(
        5,
        "3 for 2",
        PromotionKind.BUY_X_GET_Y,
        percent_bp=10_000,
        buy_quantity=2,
        get_quantity=1,
    )
    snap, items = _order([(1, 1_000_00, 6)], [deal])
    assert snap[0].total == 4_000_00
    goods, _ = _plan(snap, items, [deal], before={}, returning={1: 1}, refunded=0)
    assert goods == 0  # 5 kept: one group (2000) + 2 at full price (2000) = 4000 as paid
    goods, _ = _plan(snap, items, [deal], before={1: 1}, returning={1: 2}, refunded=0)
    assert goods == 2_000_00  # 3 kept: one group = 2000


def test_partial_return_of_a_discounted_bundle_is_exact() -> None:
    bundle = Promotion(
        7,
        "Headphones + case for 8990",
        PromotionKind.BUNDLE_PRICE,
        amount=8_990_00,
        buy_quantity=2,
        target=Target(variant_ids=frozenset({1, 2})),
    )
    tier = Promotion(8, "5% off", PromotionKind.ORDER_PERCENT, percent_bp=500, priority=-1)
    snap, items = _order([(1, 7_990_00, 1), (2, 1_990_00, 1)], [bundle, tier])
    paid = sum(line.total for line in snap)
    assert [line.total for line in snap] == [6_837_53, 1_702_97]
    assert paid == 8_540_50  # 8990 - 5%
    # the case comes back: the headphones alone are not a bundle -> they cost their price
    # as paid before the bundle (7990 less their 5% share)
    goods, lines = _plan(snap, items, [bundle, tier], before={}, returning={2: 1}, refunded=0)
    assert snap[0].base == 7_630_13  # 7990 less its 5% share, without the bundle's 792.60
    assert goods == 910_37 == paid - snap[0].base
    assert lines == (LineRefund(2, 1, goods),)
    # and later the headphones: the rest, to the kopeck
    goods2, _ = _plan(snap, items, [bundle, tier], before={2: 1}, returning={1: 1}, refunded=goods)
    assert goods + goods2 == paid


def test_a_deal_that_cannot_be_loaded_stays_with_the_kept_units_pro_rata() -> None:
    deal = Promotion(
        5,
        "3 for 2",
        PromotionKind.BUY_X_GET_Y,
        percent_bp=10_000,
        buy_quantity=2,
        get_quantity=1,
    )
    snap, items = _order([(1, 1_000_00, 3)], [deal])
    kd = kept_discount_for(snap, promotions={}, items=items, channel="WEB", currency="RUB", at=AT)
    assert kept_cost(snap, {1: 1}, kd) == 2_000_00 * 2 // 3 + 1  # base 2000 of 3000 kept - 666.66


def test_points_are_taken_back_pro_rata_and_in_full_at_the_end() -> None:
    steps = [
        points_to_reverse(
            points_earned=77, paid_for_goods=10_000_00, refunded_goods_after=r, reversed_before=b
        )
        for r, b in [(3_333_33, 0), (6_666_66, 25), (10_000_00, 51)]
    ]
    assert steps == [25, 26, 26]
