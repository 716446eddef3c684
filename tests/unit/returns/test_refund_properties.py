"""Properties of the refund rules over random orders and random return sequences: every
refund is within what was paid, never negative, and returning everything refunds exactly what
was paid for the goods, to the kopeck, whatever the order of the returns."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.pricing.model.promotions import Promotion, PromotionKind, Target
from tests.unit.returns.test_refund_rules import _order, _plan

PROMOTIONS = {
    "none": [],
    "percent": [Promotion(1, "7% off", PromotionKind.ORDER_PERCENT, percent_bp=700)],
    "3 for 2": [
        Promotion(
            5,
            "3 for 2",
            PromotionKind.BUY_X_GET_Y,
            percent_bp=10_000,
            buy_quantity=2,
            get_quantity=1,
        )
    ],
    "bundle + percent": [
        Promotion(
            7,
            "Pair for a price",
            PromotionKind.BUNDLE_PRICE,
            amount=2_500_00,
            buy_quantity=2,
            target=Target(variant_ids=frozenset({1, 2})),
        ),
        Promotion(8, "5% off", PromotionKind.ORDER_PERCENT, percent_bp=500, priority=-1),
    ],
}


@st.composite
def orders_and_returns(draw: st.DrawFn) -> tuple[list, str, list[tuple[int, int]]]:
    n = draw(st.integers(1, 3))
    lines = [
        (v, draw(st.integers(1_00, 3_000_00)), draw(st.integers(1, 4))) for v in range(1, n + 1)
    ]
    promo = draw(st.sampled_from(sorted(PROMOTIONS)))
    # every unit comes back, in a random order of (line, quantity) steps
    units = [line_no for line_no, (_, _, qty) in enumerate(lines, start=1) for _ in range(qty)]
    order = draw(st.permutations(units))
    steps: list[tuple[int, int]] = []
    i = 0
    while i < len(order):
        take = draw(st.integers(1, 3))
        chunk = order[i : i + take]
        for line_no in sorted(set(chunk)):
            steps.append((line_no, chunk.count(line_no)))
        i += take
    return lines, promo, steps


@settings(max_examples=150, deadline=None)
@given(orders_and_returns())
def test_any_sequence_of_returns_refunds_exactly_what_was_paid(case) -> None:  # type: ignore[no-untyped-def]
    lines, promo, steps = case
    promotions = PROMOTIONS[promo]
    snap, items = _order(lines, promotions)
    paid = sum(line.total for line in snap)
    gone: dict[int, int] = {}
    refunded = 0
    for line_no, qty in steps:
        goods, per_line = _plan(
            snap, items, promotions, before=dict(gone), returning={line_no: qty}, refunded=refunded
        )
        assert goods >= 0
        assert sum(r.amount for r in per_line) == goods
        refunded += goods
        assert refunded <= paid
        gone[line_no] = gone.get(line_no, 0) + qty
    assert refunded == paid
