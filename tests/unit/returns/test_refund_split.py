from __future__ import annotations

import pytest

from domain.shared.errors import ValidationFailed
from fulfillment.model import TenderKind
from fulfillment.services.refunds import (
    RefundExceedsPaid,
    TenderBalance,
    points_back,
    split_refund,
)

CARD = TenderBalance(1, TenderKind.CARD, 700_00, 0)
CASH = TenderBalance(2, TenderKind.CASH, 100_00, 0)
POINTS = TenderBalance(3, TenderKind.POINTS, 150_00, 0, points=150)
CREDIT = TenderBalance(4, TenderKind.STORE_CREDIT, 50_00, 0)


def _plan(tenders: list[TenderBalance], amount: int) -> list[tuple[int, int, int]]:
    return [(s.tender.id, s.amount, s.points) for s in split_refund(tenders, amount)]


def test_points_then_store_credit_then_card_then_cash() -> None:
    assert _plan([CARD, CASH, POINTS, CREDIT], 250_00) == [
        (3, 150_00, 150),
        (4, 50_00, 0),
        (1, 50_00, 0),
    ]
    assert _plan([CARD, CASH, POINTS, CREDIT], 1000_00) == [
        (3, 150_00, 150),
        (4, 50_00, 0),
        (1, 700_00, 0),
        (2, 100_00, 0),
    ]


def test_a_tender_never_gets_back_more_than_is_left_on_it() -> None:
    card = TenderBalance(1, TenderKind.CARD, 700_00, 650_00)
    cash = TenderBalance(2, TenderKind.CASH, 100_00, 0)
    assert _plan([card, cash], 80_00) == [(1, 50_00, 0), (2, 30_00, 0)]
    with pytest.raises(RefundExceedsPaid) as err:
        split_refund([card, cash], 150_01)
    assert err.value.code == "REFUND_EXCEEDS_PAID"
    assert "150.00 left" in err.value.message


def test_points_come_back_pro_rata_and_sum_to_the_points_redeemed() -> None:
    tender = TenderBalance(3, TenderKind.POINTS, 100_00, 0, points=100)
    given = []
    refunded = 0
    for step in [33_33, 33_33, 33_34]:
        t = TenderBalance(3, TenderKind.POINTS, 100_00, refunded, points=100)
        given.append(points_back(t, step))
        refunded += step
    assert given == [33, 33, 34]
    assert points_back(tender, 100_00) == 100


def test_zero_refund_is_empty_and_negative_is_refused() -> None:
    assert split_refund([CARD], 0) == []
    with pytest.raises(ValidationFailed):
        split_refund([CARD], -1)


def test_a_refund_plan_is_capped_by_what_the_tenders_still_hold() -> None:
    from fulfillment.returns.refund_rules import LineRefund, RefundPlan, capped

    plan = RefundPlan(
        goods=300_00,
        lines=(LineRefund(1, 1, 200_00), LineRefund(2, 1, 100_00)),
        withheld=0,
        shipping=39_00,
    )
    assert capped(plan, 500_00) is plan
    assert capped(plan, 320_00) == RefundPlan(
        goods=300_00, lines=plan.lines, withheld=0, shipping=20_00
    )
    assert capped(plan, 150_00) == RefundPlan(
        goods=150_00,
        lines=(LineRefund(1, 1, 100_00), LineRefund(2, 1, 50_00)),
        withheld=150_00,
        shipping=0,
    )
