from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from api.runtime import Runtime
from domain.shared.errors import IdempotencyKeyReused
from loyalty import services
from loyalty.errors import InsufficientPoints, NothingToReverse
from loyalty.model import PointsKind, PurchaseLine

T0 = datetime(2025, 3, 10, 12, tzinfo=UTC)


async def ledger_is_consistent(scalar, customer_id: int) -> int:
    """balance == sum(entries) == sum(open lots); returns the balance."""
    balance = await scalar(
        "SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=customer_id
    )
    entries = await scalar(
        "SELECT coalesce(sum(points), 0) FROM points_entries WHERE customer_id = :c", c=customer_id
    )
    lots = await scalar(
        "SELECT coalesce(sum(remaining), 0) FROM points_entries WHERE customer_id = :c",
        c=customer_id,
    )
    assert balance == entries == lots, (balance, entries, lots)
    return int(balance)


async def give(runtime: Runtime, customer_id: int, points: int, *, now=T0, key=None):
    return await services.adjust_points(
        runtime.uow(),
        customer_id,
        points=points,
        reason="test credit",
        actor="staff:1",
        now=now,
        idempotency_key=key,
    )


async def test_earn_uses_the_tier_of_the_rolling_12_month_spend(runtime, enrol, scalar):
    customer = await enrol("+7 916 100-00-01")
    lines = [PurchaseLine(1_999_000), PurchaseLine(999_000, "headphones")]
    basic = await services.earn_points(
        runtime.uow(), customer, lines=lines, reference="order:1", actor="system", now=T0
    )
    assert (basic.points, basic.balance) == (399, 399)
    # 30 000 RUB spent within 12 months -> Silver (x1.5); the same spend 13 months ago counts not
    await services.record_spend(
        runtime.uow(),
        customer,
        amount_minor=3_000_000,
        currency="RUB",
        occurred_at=T0 - timedelta(days=400),
        order_ref="order:old",
    )
    async with runtime.session_factory() as session:
        assert (await services.customer_tier(session, customer, now=T0)).tier.code == "BASIC"
    await services.record_spend(
        runtime.uow(),
        customer,
        amount_minor=3_000_000,
        currency="RUB",
        occurred_at=T0 - timedelta(days=10),
        order_ref="order:recent",
    )
    async with runtime.session_factory() as session:
        status = await services.customer_tier(session, customer, now=T0)
    assert (status.tier.code, status.tier.discount_percent) == ("SILVER", 3)
    assert (status.rolling_spend_minor, status.spend_to_next_minor) == (3_000_000, 7_000_000)
    silver = await services.earn_points(
        runtime.uow(), customer, lines=lines, reference="order:2", actor="system", now=T0
    )
    assert (silver.points, silver.balance) == (599, 998)
    assert await ledger_is_consistent(scalar, customer) == 998


async def test_record_spend_counts_an_order_once(runtime, enrol, scalar):
    customer = await enrol("+7 916 100-00-02")
    for _ in range(2):
        await services.record_spend(
            runtime.uow(),
            customer,
            amount_minor=500_000,
            currency="RUB",
            occurred_at=T0,
            order_ref="order:77",
        )
    assert await scalar("SELECT count(*) FROM spend_entries") == 1
    assert await scalar("SELECT sum(amount_minor) FROM spend_entries") == 500_000


async def test_redeem_takes_the_soonest_expiring_points_first(runtime, enrol, rows, scalar):
    customer = await enrol("+7 916 100-00-03")
    await give(runtime, customer, 100, now=T0)
    await give(runtime, customer, 50, now=T0 + timedelta(days=30))
    result = await services.redeem_points(
        runtime.uow(), customer, points=120, reference="order:9", actor="pos", now=T0
    )
    assert (result.points, result.balance) == (-120, 30)
    lots = await rows("SELECT points, remaining FROM points_entries WHERE points > 0 ORDER BY id")
    assert [tuple(r) for r in lots] == [(100, 0), (50, 30)]
    assert await ledger_is_consistent(scalar, customer) == 30


async def test_redeeming_more_than_the_balance_changes_nothing(runtime, enrol, scalar):
    customer = await enrol("+7 916 100-00-04")
    await give(runtime, customer, 100)
    events_before = await scalar("SELECT count(*) FROM outbox_events WHERE topic = 'loyalty'")
    with pytest.raises(InsufficientPoints) as err:
        await services.redeem_points(
            runtime.uow(), customer, points=101, reference="order:1", actor="pos"
        )
    assert "has 100 points; 101 requested" in err.value.message
    assert await scalar("SELECT count(*) FROM points_entries WHERE kind = 'REDEEM'") == 0
    assert await ledger_is_consistent(scalar, customer) == 100
    assert (
        await scalar("SELECT count(*) FROM outbox_events WHERE topic = 'loyalty'") == events_before
    )


async def test_a_failed_redemption_inside_the_callers_transaction_leaves_no_trace(
    runtime, enrol, scalar
):
    """Checkout may catch InsufficientPoints and take another tender in the same transaction."""
    customer = await enrol("+7 916 100-00-05")
    await give(runtime, customer, 10)
    uow = runtime.uow()
    async with uow:
        with pytest.raises(InsufficientPoints):
            await services.redeem_points(uow, customer, points=11, reference="o:1", actor="pos")
        await services.redeem_points(uow, customer, points=4, reference="o:1", actor="pos")
        await uow.commit()
    assert await scalar("SELECT count(*) FROM points_entries WHERE kind = 'REDEEM'") == 1
    assert await ledger_is_consistent(scalar, customer) == 6


async def test_redemption_joins_the_callers_unit_of_work_and_rolls_back_with_it(
    runtime, enrol, scalar
):
    customer = await enrol("+7 916 100-00-06")
    await give(runtime, customer, 10)
    uow = runtime.uow()
    async with uow:
        await services.redeem_points(uow, customer, points=5, reference="o:2", actor="pos")
        # the order then fails: no commit
    assert await ledger_is_consistent(scalar, customer) == 10
    assert await scalar("SELECT count(*) FROM points_entries WHERE kind = 'REDEEM'") == 0


async def test_a_redemption_replayed_with_its_key_is_taken_once(runtime, enrol, scalar):
    customer = await enrol("+7 916 100-00-07")
    await give(runtime, customer, 100)
    first = await services.redeem_points(
        runtime.uow(), customer, points=30, reference="o:3", actor="pos", idempotency_key="k1"
    )
    again = await services.redeem_points(
        runtime.uow(), customer, points=30, reference="o:3", actor="pos", idempotency_key="k1"
    )
    assert again.entry_id == first.entry_id and again.replayed and again.balance == 70
    with pytest.raises(IdempotencyKeyReused):
        await services.redeem_points(
            runtime.uow(), customer, points=31, reference="o:3", actor="pos", idempotency_key="k1"
        )
    assert await ledger_is_consistent(scalar, customer) == 70


async def test_fifty_concurrent_redemptions_never_overdraw_a_100_point_balance(
    runtime, enrol, scalar
):
    customer = await enrol("+7 916 100-00-08")
    await give(runtime, customer, 60, now=T0)
    await give(runtime, customer, 40, now=T0 + timedelta(days=1))

    async def redeem(i: int) -> bool:
        try:
            await services.redeem_points(
                runtime.uow(), customer, points=3, reference=f"order:{i}", actor="pos"
            )
            return True
        except InsufficientPoints:
            return False

    results = await asyncio.gather(*(redeem(i) for i in range(50)))
    assert sum(results) == 33  # 33 x 3 = 99 of 100
    assert await ledger_is_consistent(scalar, customer) == 1
    assert await scalar("SELECT count(*) FROM points_entries WHERE kind = 'REDEEM'") == 33
    assert (
        await scalar(
            "SELECT count(*) FROM outbox_events WHERE topic = 'loyalty' "
            "AND payload->>'entry_kind' = 'REDEEM'"
        )
        == 33
    )


async def test_a_return_takes_back_earned_points_up_to_what_is_left(runtime, enrol, scalar):
    customer = await enrol("+7 916 100-00-09")
    earned = await services.earn_points(
        runtime.uow(),
        customer,
        lines=[PurchaseLine(5_000_000)],
        reference="order:5",
        actor="system",
        now=T0,
    )
    assert earned.points == 500
    part = await services.reverse_points(
        runtime.uow(),
        customer,
        reference="order:5",
        of=PointsKind.EARN,
        points=200,
        actor="pos",
        now=T0,
    )
    assert (part.points, part.balance) == (-200, 300)
    with pytest.raises(NothingToReverse):
        await services.reverse_points(
            runtime.uow(),
            customer,
            reference="order:5",
            of=PointsKind.EARN,
            points=301,
            actor="pos",
            now=T0,
        )
    # the customer spent most of the rest: only the balance can be taken back
    await services.redeem_points(runtime.uow(), customer, points=250, reference="o:x", actor="p")
    rest = await services.reverse_points(
        runtime.uow(), customer, reference="order:5", of=PointsKind.EARN, actor="pos", now=T0
    )
    assert (rest.points, rest.balance) == (-50, 0)
    assert await ledger_is_consistent(scalar, customer) == 0


async def test_cancelling_a_points_tender_gives_the_points_back(runtime, enrol, scalar):
    customer = await enrol("+7 916 100-00-10")
    await give(runtime, customer, 100)
    await services.redeem_points(runtime.uow(), customer, points=80, reference="o:7", actor="p")
    back = await services.reverse_points(
        runtime.uow(), customer, reference="o:7", of=PointsKind.REDEEM, actor="pos"
    )
    assert (back.points, back.balance) == (80, 100)
    with pytest.raises(NothingToReverse):
        await services.reverse_points(
            runtime.uow(), customer, reference="o:7", of=PointsKind.REDEEM, actor="pos"
        )
    assert await ledger_is_consistent(scalar, customer) == 100


async def test_a_manual_deduction_cannot_take_the_balance_below_zero(runtime, enrol, scalar):
    customer = await enrol("+7 916 100-00-11")
    await give(runtime, customer, 20)
    with pytest.raises(InsufficientPoints):
        await give(runtime, customer, -21)
    taken = await give(runtime, customer, -20)
    assert (taken.points, taken.balance) == (-20, 0)
    assert await ledger_is_consistent(scalar, customer) == 0


async def test_expiry_takes_what_is_left_of_lots_older_than_12_months(runtime, enrol, rows, scalar):
    first = await enrol("+7 916 100-00-12")
    second = await enrol("+7 916 100-00-13")
    await give(runtime, first, 100, now=T0)
    await give(runtime, first, 50, now=T0 + timedelta(days=180))
    await give(runtime, second, 10, now=T0)
    await services.redeem_points(
        runtime.uow(), first, points=30, reference="o:1", actor="p", now=T0 + timedelta(days=200)
    )
    not_yet = await services.expire_points(runtime.uow, now=T0 + timedelta(days=364))
    assert not_yet == 0
    expired = await services.expire_points(
        runtime.uow, now=T0 + timedelta(days=366), batch_customers=1
    )
    assert expired == 70 + 10
    assert await ledger_is_consistent(scalar, first) == 50
    assert await ledger_is_consistent(scalar, second) == 0
    entries = await rows(
        "SELECT customer_id, points FROM points_entries WHERE kind = 'EXPIRE' ORDER BY customer_id"
    )
    assert [tuple(e) for e in entries] == [(first, -70), (second, -10)]
    assert await services.expire_points(runtime.uow, now=T0 + timedelta(days=367)) == 0
