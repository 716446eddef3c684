from __future__ import annotations

import asyncio

import pytest

from api.runtime import Runtime
from domain.shared.errors import IdempotencyKeyReused, ValidationFailed
from fulfillment.model import RefundReason, TenderKind
from fulfillment.services import refunds, store_credit
from fulfillment.services.refunds import RefundExceedsPaid, RefundLine
from tests.integration.returns.support import make_customer, paid_order, rows, scalar

CARD, CASH, POINTS, CREDIT = (
    TenderKind.CARD,
    TenderKind.CASH,
    TenderKind.POINTS,
    TenderKind.STORE_CREDIT,
)


async def _refund(
    runtime: Runtime, order_id: int, amount: int, ref: str, **kw: object
) -> list[RefundLine]:
    return await refunds.refund(
        runtime.uow(),
        order_id=order_id,
        amount=amount,
        reason=RefundReason.RETURN,
        reference=ref,
        actor="staff:1",
        **kw,  # type: ignore[arg-type]
    )


async def _tenders(runtime: Runtime, order_id: int) -> list[tuple[str, int, int]]:
    return [
        (k, a, r)
        for k, a, r in await rows(
            runtime,
            "SELECT kind::text, amount, refunded FROM order_tenders "
            "WHERE order_id = :o ORDER BY id",
            o=order_id,
        )
    ]


async def _points(runtime: Runtime, customer_id: int) -> int:
    return int(
        await scalar(
            runtime, "SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=customer_id
        )
    )


async def test_refund_goes_back_points_first_then_card_and_points_are_reversed(
    runtime: Runtime,
) -> None:
    c = await make_customer(runtime)
    order_id, (card_id, points_id) = await paid_order(
        runtime, customer_id=c, tenders=[(CARD, 8_000_00, 0), (POINTS, 500_00, 500)]
    )
    assert await _points(runtime, c) == 0
    lines = await _refund(runtime, order_id, 600_00, "return:1")
    assert lines == [
        RefundLine(points_id, POINTS, 500_00, 500),
        RefundLine(card_id, CARD, 100_00, 0),
    ]
    assert await _tenders(runtime, order_id) == [
        ("CARD", 8_000_00, 100_00),
        ("POINTS", 500_00, 500_00),
    ]
    assert await _points(runtime, c) == 500
    assert await rows(
        runtime,
        "SELECT kind::text, reason::text, amount, points, reference FROM order_refunds ORDER BY id",
    ) == [
        ("POINTS", "RETURN", 500_00, 500, "return:1"),
        ("CARD", "RETURN", 100_00, 0, "return:1"),
    ]
    assert (
        await scalar(
            runtime,
            "SELECT count(*) FROM outbox_events WHERE topic = 'orders' "
            "AND payload->>'change' = 'REFUND'",
        )
        == 1
    )


async def test_store_credit_tender_goes_back_to_store_credit(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    await store_credit.issue(runtime.uow(), customer_id=c, amount=300_00, reference="g", actor="t")
    await store_credit.redeem(
        runtime.uow(), customer_id=c, amount=300_00, reference="100001", actor="t"
    )
    order_id, (credit_id, cash_id) = await paid_order(
        runtime, customer_id=c, tenders=[(CREDIT, 300_00, 0), (CASH, 200_00, 0)]
    )
    lines = await _refund(runtime, order_id, 450_00, "return:1")
    assert lines == [RefundLine(credit_id, CREDIT, 300_00, 0), RefundLine(cash_id, CASH, 150_00, 0)]
    async with runtime.session_factory() as s:
        assert await store_credit.balance(s, c) == 300_00


async def test_to_store_credit_puts_the_money_on_store_credit_and_uses_up_the_tenders(
    runtime: Runtime,
) -> None:
    c = await make_customer(runtime)
    order_id, (card_id,) = await paid_order(runtime, customer_id=c, tenders=[(CARD, 1_000_00, 0)])
    lines = await _refund(runtime, order_id, 999_99, "return:1", to_store_credit=True)
    assert lines == [RefundLine(card_id, CREDIT, 999_99, 0)]
    assert await _tenders(runtime, order_id) == [("CARD", 1_000_00, 999_99)]
    async with runtime.session_factory() as s:
        assert await store_credit.balance(s, c) == 999_99
    with pytest.raises(RefundExceedsPaid):
        await _refund(runtime, order_id, 2, "return:2", to_store_credit=True)
    async with runtime.session_factory() as s:
        assert await store_credit.balance(s, c) == 999_99


async def test_to_store_credit_needs_a_customer(runtime: Runtime) -> None:
    order_id, _ = await paid_order(runtime, customer_id=None, tenders=[(CASH, 100_00, 0)])
    with pytest.raises(ValidationFailed) as err:
        await _refund(runtime, order_id, 100_00, "return:1", to_store_credit=True)
    assert err.value.field == "toStoreCredit"
    assert await _tenders(runtime, order_id) == [("CASH", 100_00, 0)]
    assert await scalar(runtime, "SELECT count(*) FROM order_refunds") == 0


async def test_refund_beyond_what_is_left_changes_nothing(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    order_id, _ = await paid_order(
        runtime, customer_id=c, tenders=[(CARD, 700_00, 0), (POINTS, 100_00, 100)]
    )
    await _refund(runtime, order_id, 750_00, "return:1")
    before = await _tenders(runtime, order_id)
    with pytest.raises(RefundExceedsPaid) as err:
        await _refund(runtime, order_id, 50_01, "return:2")
    assert "50.00 left" in err.value.message
    assert await _tenders(runtime, order_id) == before
    assert await scalar(runtime, "SELECT count(*) FROM order_refunds") == 2
    assert await _points(runtime, c) == 100


async def test_a_replayed_refund_returns_the_first_and_writes_nothing(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    order_id, _ = await paid_order(
        runtime, customer_id=c, tenders=[(CARD, 700_00, 0), (POINTS, 100_00, 100)]
    )
    first = await _refund(runtime, order_id, 150_00, "return:1")
    again = await _refund(runtime, order_id, 150_00, "return:1")
    assert again == first
    with pytest.raises(IdempotencyKeyReused):
        await _refund(runtime, order_id, 10_00, "return:1")
    assert await _tenders(runtime, order_id) == [
        ("CARD", 700_00, 50_00),
        ("POINTS", 100_00, 100_00),
    ]
    assert await _points(runtime, c) == 100


async def test_concurrent_replays_refund_once(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    order_id, _ = await paid_order(
        runtime, customer_id=c, tenders=[(CARD, 700_00, 0), (POINTS, 100_00, 100)]
    )
    results = await asyncio.gather(
        *(_refund(runtime, order_id, 120_00, "return:1") for _ in range(12))
    )
    assert all(r == results[0] for r in results)
    assert await scalar(runtime, "SELECT count(*) FROM order_refunds") == 2
    assert await _tenders(runtime, order_id) == [
        ("CARD", 700_00, 20_00),
        ("POINTS", 100_00, 100_00),
    ]
    assert await _points(runtime, c) == 100


async def test_concurrent_refunds_never_exceed_what_was_paid(runtime: Runtime) -> None:
    order_id, _ = await paid_order(
        runtime, customer_id=None, tenders=[(CARD, 600_00, 0), (CASH, 400_00, 0)]
    )

    async def one(i: int) -> bool:
        try:
            await _refund(runtime, order_id, 100_00, f"return:{i}")
            return True
        except RefundExceedsPaid:
            return False

    outcomes = await asyncio.gather(*(one(i) for i in range(16)))
    assert outcomes.count(True) == 10
    assert await _tenders(runtime, order_id) == [("CARD", 600_00, 600_00), ("CASH", 400_00, 400_00)]
    assert await scalar(runtime, "SELECT sum(amount) FROM order_refunds") == 1_000_00
