from __future__ import annotations

import asyncio

import pytest

from api.runtime import Runtime
from domain.shared.errors import IdempotencyKeyReused
from fulfillment.services import store_credit
from fulfillment.services.store_credit import InsufficientStoreCredit, NothingToReverse
from loyalty import services as loyalty
from tests.integration.returns.support import make_customer, rows, scalar


async def _balance(runtime: Runtime, customer_id: int) -> int:
    async with runtime.session_factory() as session:
        return await store_credit.balance(session, customer_id)


async def test_issue_is_idempotent_per_reference(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    assert (
        await store_credit.issue(
            runtime.uow(), customer_id=c, amount=150_050, reference="return:1", actor="staff:1"
        )
        == 150_050
    )
    assert (
        await store_credit.issue(
            runtime.uow(), customer_id=c, amount=150_050, reference="return:1", actor="staff:1"
        )
        == 150_050
    )
    assert await _balance(runtime, c) == 150_050
    assert await rows(
        runtime, "SELECT kind::text, amount, reference FROM store_credit_entries"
    ) == [("ISSUE", 150_050, "return:1")]
    with pytest.raises(IdempotencyKeyReused):
        await store_credit.issue(
            runtime.uow(), customer_id=c, amount=1, reference="return:1", actor="staff:1"
        )
    assert await _balance(runtime, c) == 150_050


async def test_redeem_beyond_the_balance_fails_and_writes_nothing(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    await store_credit.issue(runtime.uow(), customer_id=c, amount=5_000, reference="g", actor="t")
    with pytest.raises(InsufficientStoreCredit) as err:
        await store_credit.redeem(
            runtime.uow(), customer_id=c, amount=5_001, reference="100001", actor="t"
        )
    assert err.value.code == "INSUFFICIENT_STORE_CREDIT"
    assert "50.00" in err.value.message
    assert await _balance(runtime, c) == 5_000
    assert await scalar(runtime, "SELECT count(*) FROM store_credit_entries") == 1
    assert (
        await store_credit.redeem(
            runtime.uow(), customer_id=c, amount=5_000, reference="100001", actor="t"
        )
        == 0
    )


async def test_concurrent_redeems_never_take_the_balance_below_zero(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    await store_credit.issue(runtime.uow(), customer_id=c, amount=10_000, reference="g", actor="t")

    async def one(i: int) -> bool:
        try:
            await store_credit.redeem(
                runtime.uow(), customer_id=c, amount=1_000, reference=f"order:{i}", actor="t"
            )
            return True
        except InsufficientStoreCredit:
            return False

    results = await asyncio.gather(*(one(i) for i in range(25)))
    assert results.count(True) == 10
    assert await _balance(runtime, c) == 0
    assert await scalar(runtime, "SELECT sum(amount) FROM store_credit_entries") == 0
    assert (
        await scalar(runtime, "SELECT count(*) FROM store_credit_entries WHERE kind = 'REDEEM'")
        == 10
    )


async def test_concurrent_replays_of_one_redeem_take_it_once(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    await store_credit.issue(runtime.uow(), customer_id=c, amount=10_000, reference="g", actor="t")
    balances = await asyncio.gather(
        *(
            store_credit.redeem(
                runtime.uow(), customer_id=c, amount=3_000, reference="100001", actor="t"
            )
            for _ in range(12)
        )
    )
    assert set(balances) == {7_000}
    assert await _balance(runtime, c) == 7_000
    assert (
        await scalar(runtime, "SELECT count(*) FROM store_credit_entries WHERE kind = 'REDEEM'")
        == 1
    )


async def test_reverse_redeem_gives_back_once_and_never_more(runtime: Runtime) -> None:
    c = await make_customer(runtime)
    await store_credit.issue(runtime.uow(), customer_id=c, amount=10_000, reference="g", actor="t")
    await store_credit.redeem(runtime.uow(), customer_id=c, amount=4_000, reference="o1", actor="t")
    with pytest.raises(NothingToReverse):
        await store_credit.reverse_redeem(
            runtime.uow(), customer_id=c, reference="o1", amount=4_001, actor="t"
        )
    with pytest.raises(NothingToReverse):
        await store_credit.reverse_redeem(
            runtime.uow(), customer_id=c, reference="nope", amount=None, actor="t"
        )
    assert (
        await store_credit.reverse_redeem(
            runtime.uow(), customer_id=c, reference="o1", amount=None, actor="t"
        )
        == 10_000
    )
    assert (
        await store_credit.reverse_redeem(
            runtime.uow(), customer_id=c, reference="o1", amount=None, actor="t"
        )
        == 10_000
    )
    assert await _balance(runtime, c) == 10_000


async def test_merge_moves_the_duplicates_store_credit(runtime: Runtime) -> None:
    survivor = await make_customer(runtime, "+79161234567")
    duplicate = await make_customer(runtime, "+79161234568")
    await store_credit.issue(
        runtime.uow(), customer_id=survivor, amount=100, reference="a", actor="t"
    )
    await store_credit.issue(
        runtime.uow(), customer_id=duplicate, amount=2_500, reference="b", actor="t"
    )
    await loyalty.merge_customers(
        runtime.uow(), survivor_id=survivor, duplicate_id=duplicate, actor="staff:1"
    )
    assert await _balance(runtime, survivor) == 2_600
    assert await _balance(runtime, duplicate) == 0
    assert (
        await scalar(
            runtime, "SELECT count(*) FROM store_credit_entries WHERE customer_id = :c", c=survivor
        )
        == 2
    )
    # the duplicate's id still works: it follows the merge
    assert (
        await store_credit.redeem(
            runtime.uow(), customer_id=duplicate, amount=600, reference="o", actor="t"
        )
        == 2_000
    )
