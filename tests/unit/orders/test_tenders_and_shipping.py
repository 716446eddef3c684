"""Pure rules: tenders against the order total, cash change, delivery prices."""

from __future__ import annotations

import pytest

from domain.shared.errors import DomainError, MultipleErrors
from fulfillment.model import TenderKind
from fulfillment.services.cancel import unit_share
from fulfillment.services.shipping import METHODS, shipping_method
from fulfillment.services.tenders import TenderRequest, plan_tenders
from fulfillment.tables import OrderLineRow

CARD, CASH, POINTS, CREDIT = (
    TenderKind.CARD,
    TenderKind.CASH,
    TenderKind.POINTS,
    TenderKind.STORE_CREDIT,
)


def test_cash_without_an_amount_pays_the_rest_and_gives_change():
    planned = plan_tenders(
        [TenderRequest(POINTS, points=150), TenderRequest(CASH, tendered=500_000)],
        total=420_000,
        customer_id=1,
    )
    assert [(t.kind, t.amount, t.tendered, t.change, t.points) for t in planned] == [
        (POINTS, 15_000, 15_000, 0, 150),
        (CASH, 405_000, 500_000, 95_000, 0),
    ]


def test_tenders_short_of_the_total_name_the_missing_amount():
    with pytest.raises(DomainError) as err:
        plan_tenders(
            [TenderRequest(CARD, amount=100_000, reference="r")], total=150_000, customer_id=None
        )
    assert err.value.code == "TENDER_MISMATCH"
    assert "add 500.00" in err.value.message


def test_a_card_needs_its_reference_and_points_need_a_customer():
    with pytest.raises(MultipleErrors) as err:
        plan_tenders(
            [TenderRequest(CARD, amount=1_000), TenderRequest(POINTS, points=10)],
            total=2_000,
            customer_id=None,
        )
    assert [e.field for e in err.value.errors] == ["tenders[0].reference", "tenders[1].kind"]


def test_cash_handed_over_must_cover_its_amount():
    with pytest.raises(DomainError) as err:
        plan_tenders(
            [TenderRequest(CASH, amount=5_000, tendered=4_000)], total=5_000, customer_id=None
        )
    assert err.value.field == "tenders[0].tendered"


def test_a_free_order_needs_no_tender_and_store_credit_counts_like_money():
    assert plan_tenders([], total=0, customer_id=None) == []
    planned = plan_tenders([TenderRequest(CREDIT, amount=7_000)], total=7_000, customer_id=3)
    assert planned[0].amount == 7_000


def test_delivery_is_free_over_the_threshold_and_express_never():
    courier = METHODS["COURIER"]
    assert courier.price_for(499_999) == courier.price and courier.price_for(500_000) == 0
    assert METHODS["EXPRESS"].price_for(10**9) == METHODS["EXPRESS"].price
    with pytest.raises(DomainError) as err:
        shipping_method("DRONE")
    assert err.value.code == "NO_SHIPPING" and "COURIER" in err.value.message


def test_cancelled_units_split_the_line_total_exactly():
    line = OrderLineRow(total=100_000, quantity=3)
    parts = [unit_share(line, 0, 1), unit_share(line, 1, 2)]
    assert parts == [33_334, 66_666] and sum(parts) == 100_000
