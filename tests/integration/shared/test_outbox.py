"""Events commit with data: rolled back -> nothing; broker down -> delayed, never lost."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlalchemy import func, select, text

from api.runtime import Runtime
from domain.shared.broadcast import RedisBroadcaster
from domain.shared.events import Event
from domain.shared.outbox import EventStream, OutboxEvent, OutboxRelay
from domain.shared.uow import UnitOfWork
from tests.support.processes import PrivateRedis


@dataclass(frozen=True, kw_only=True)
class Pinged(Event):
    topic: ClassVar[str] = "test.pinged"
    n: int


async def outbox_rows(runtime: Runtime) -> list[tuple[int, dict, bool]]:
    async with runtime.session_factory() as s:
        rows = await s.execute(
            select(
                OutboxEvent.id, OutboxEvent.payload, OutboxEvent.published_at.is_not(None)
            ).order_by(OutboxEvent.id)
        )
        return [tuple(r) for r in rows]


async def collect(stream, count: int, timeout: float = 10.0) -> list:
    got = []

    async def run() -> None:
        async for env in stream:
            got.append(env)
            if len(got) == count:
                return

    await asyncio.wait_for(run(), timeout)
    return got


async def test_a_rolled_back_unit_of_work_writes_and_publishes_nothing(runtime: Runtime):
    uow = runtime.uow()
    with pytest.raises(RuntimeError):
        async with uow:
            await uow.session.execute(text("SELECT 1"))
            uow.record(Pinged(n=1))
            raise RuntimeError("the use case failed")
    async with uow:  # and one that never calls commit()
        uow.record(Pinged(n=2))
    await asyncio.sleep(0.2)
    assert await outbox_rows(runtime) == []


async def test_a_committed_event_reaches_a_subscriber_through_redis(runtime: Runtime):
    stream = runtime.events.subscribe("test.pinged")
    waiter = asyncio.create_task(collect(stream, 1))
    await asyncio.sleep(0.3)  # let the subscription connect
    uow = runtime.uow()
    async with uow:
        uow.record(Pinged(n=7))
        await uow.commit()
    [env] = await waiter
    assert env.topic == "test.pinged"
    assert env.payload == {"n": 7}
    for _ in range(50):
        if all(published for _, _, published in await outbox_rows(runtime)):
            break
        await asyncio.sleep(0.05)
    assert [(p, pub) for _, p, pub in await outbox_rows(runtime)] == [({"n": 7}, True)]


@pytest.fixture
async def paused_main_relay(runtime: Runtime):
    """The suite's relay publishes every row; stop it so the test's relay owns the outbox."""
    await runtime.relay.stop()
    yield
    await runtime.relay.start()


async def test_events_wait_while_redis_is_down_and_arrive_once_in_order(
    runtime: Runtime, paused_main_relay, redis_prefix: str
):
    redis = PrivateRedis()
    redis.start()
    broadcaster = RedisBroadcaster(redis.url, prefix=redis_prefix)
    relay = OutboxRelay(runtime.engine, broadcaster, poll_seconds=0.05)
    await relay.start()
    stream = EventStream(runtime.engine, broadcaster).subscribe("test.pinged")
    waiter = asyncio.create_task(collect(stream, 6, timeout=30))
    try:
        await asyncio.sleep(0.3)
        uow = UnitOfWork(runtime.session_factory, after_commit=relay.wake)
        async with uow:
            uow.record(Pinged(n=0))
            await uow.commit()
        for _ in range(100):
            if relay.published == 1:
                break
            await asyncio.sleep(0.05)
        assert relay.published == 1

        redis.stop()
        for n in range(1, 6):
            async with uow:
                uow.record(Pinged(n=n))
                await uow.commit()
        await asyncio.sleep(0.5)
        rows = await outbox_rows(runtime)
        assert [(p["n"], pub) for _, p, pub in rows] == [
            (0, True),
            (1, False),
            (2, False),
            (3, False),
            (4, False),
            (5, False),
        ]

        redis.start()
        got = await waiter
        assert [e.payload["n"] for e in got] == [0, 1, 2, 3, 4, 5]
        for _ in range(200):
            if relay.published == 6:
                break
            await asyncio.sleep(0.05)
        assert relay.published == 6
        assert all(pub for _, _, pub in await outbox_rows(runtime))
        await asyncio.sleep(0.3)  # a duplicate would show up here
        assert not waiter.cancelled()
    finally:
        waiter.cancel()
        with contextlib.suppress(BaseException):
            await waiter
        await relay.stop()
        await broadcaster.close()
        redis.close()


async def test_two_relays_never_publish_the_same_row_twice(runtime: Runtime, paused_main_relay):
    published: list[str] = []

    class Recording:
        name = "recording"

        async def publish(self, channel: str, message: str) -> None:
            published.append(message)
            await asyncio.sleep(0)

    uow = runtime.uow()
    async with uow:
        uow.record(*[Pinged(n=n) for n in range(300)])
        await uow.commit()
    relays = [OutboxRelay(runtime.engine, Recording(), batch_size=50) for _ in range(4)]

    async def drain(relay: OutboxRelay) -> None:
        for _ in range(40):
            await relay.publish_batch()

    await asyncio.gather(*(drain(r) for r in relays))
    assert len(published) == 300
    assert len(set(published)) == 300
    async with runtime.session_factory() as s:
        unpublished = await s.scalar(select(func.count()).where(OutboxEvent.published_at.is_(None)))
    assert unpublished == 0


async def test_a_subscription_never_receives_events_committed_before_it_started(
    runtime: Runtime, paused_main_relay
):
    uow = runtime.uow()
    async with uow:
        uow.record(Pinged(n=1))  # committed, not yet published: the relay is paused
        await uow.commit()
    stream = runtime.events.subscribe("test.pinged")
    waiter = asyncio.create_task(collect(stream, 1))
    await asyncio.sleep(0.3)
    await runtime.relay.publish_batch()  # the old event reaches Redis only now
    async with uow:
        uow.record(Pinged(n=2))
        await uow.commit()
    await runtime.relay.publish_batch()
    [env] = await waiter
    assert env.payload == {"n": 2}
