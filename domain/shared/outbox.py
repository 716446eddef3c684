"""Transactional outbox: events are rows written in the mutation's own transaction.

The relay publishes committed rows to the broadcaster in id order and marks them published.
Only one relay publishes at a time across all replicas (a transaction-scoped advisory lock), so
order holds. While the broker is down rows stay unpublished and go out when it returns.
Subscribers recover anything they missed during a broker gap by reading the table
(``EventStream``), so a Redis outage delays events and never loses them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import BigInteger, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.broadcast import Broadcaster, BroadcastUnavailable
from domain.shared.db import Base, created_at
from domain.shared.events import Envelope

log = structlog.get_logger(__name__)

NOTIFY_CHANNEL = "omni_outbox"
RELAY_LOCK_KEY = 0x0A11_0B0C  # pg advisory lock id held while one relay publishes a batch


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(100), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = created_at()
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        Index("ix_outbox_events_unpublished", "id", postgresql_where=text("published_at IS NULL")),
        Index("ix_outbox_events_topic_id", "topic", "id"),
    )


def channel_for(topic: str) -> str:
    return f"events:{topic}"


def encode(envelope: Envelope) -> str:
    return orjson.dumps(
        {
            "id": envelope.id,
            "topic": envelope.topic,
            "payload": envelope.payload,
            "occurred_at": envelope.occurred_at,
        }
    ).decode()


def decode(message: str) -> Envelope:
    data = orjson.loads(message)
    return Envelope(
        id=data["id"], topic=data["topic"], payload=data["payload"], occurred_at=data["occurred_at"]
    )


class OutboxRelay:
    """Publishes committed outbox rows. Woken by NOTIFY on commit, and by a poll as a fallback."""

    def __init__(
        self,
        engine: AsyncEngine,
        broadcaster: Broadcaster,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 200,
        retention_hours: int = 72,
    ) -> None:
        self._engine = engine
        self._broadcaster = broadcaster
        self._poll = poll_seconds
        self._batch = batch_size
        self._retention_hours = retention_hours
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        await self._listen_for_notifications()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    async def _listen_for_notifications(self) -> None:
        # A raw asyncpg connection outside the pool: LISTEN must stay on one connection.
        import asyncpg

        url = self._engine.url.set(drivername="postgresql")
        try:
            self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
            await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self.wake())
        except Exception as exc:  # the poll still delivers; log and go on
            log.warning("outbox.listen_failed", error=str(exc))
            self._listener = None

    async def _run(self) -> None:
        backoff = self._poll
        while True:
            try:
                while await self.publish_batch() == self._batch:
                    pass
                backoff = self._poll
            except BroadcastUnavailable as exc:
                log.warning("outbox.broker_unavailable", error=str(exc), retry_in=backoff)
                backoff = min(backoff * 2, 5.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox.relay_failed")
                backoff = min(backoff * 2, 5.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were published."""
        async with self._engine.begin() as conn:
            if not await conn.scalar(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RELAY_LOCK_KEY}
            ):
                return 0
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, topic, payload, created_at FROM outbox_events "
                        "WHERE published_at IS NULL ORDER BY id LIMIT :n"
                    ),
                    {"n": self._batch},
                )
            ).all()
            done: list[int] = []
            failure: BroadcastUnavailable | None = None
            for row in rows:
                envelope = Envelope(
                    id=row.id,
                    topic=row.topic,
                    payload=row.payload,
                    occurred_at=row.created_at.isoformat(),
                )
                try:
                    await self._broadcaster.publish(channel_for(row.topic), encode(envelope))
                except BroadcastUnavailable as exc:
                    failure = exc
                    break
                done.append(row.id)
            if done:
                await conn.execute(
                    text("UPDATE outbox_events SET published_at = now() WHERE id = ANY(:ids)"),
                    {"ids": done},
                )
        self.published += len(done)
        if failure is not None:
            raise failure
        return len(done)

    async def cleanup(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                text(
                    "DELETE FROM outbox_events WHERE published_at < now() - make_interval(hours => :h)"
                ),
                {"h": self._retention_hours},
            )


class EventStream:
    """Committed events of one topic for a subscriber, with gap recovery from the outbox table."""

    def __init__(self, engine: AsyncEngine, broadcaster: Broadcaster) -> None:
        self._engine = engine
        self._broadcaster = broadcaster

    async def _last_id(self, topic: str) -> int:
        async with self._engine.connect() as conn:
            value = await conn.scalar(
                text("SELECT coalesce(max(id), 0) FROM outbox_events WHERE topic = :t"),
                {"t": topic},
            )
        return int(value or 0)

    async def _since(self, topic: str, after_id: int) -> list[Envelope]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, topic, payload, created_at FROM outbox_events "
                        "WHERE topic = :t AND id > :after ORDER BY id LIMIT 1000"
                    ),
                    {"t": topic, "after": after_id},
                )
            ).all()
        return [
            Envelope(
                id=r.id, topic=r.topic, payload=r.payload, occurred_at=r.created_at.isoformat()
            )
            for r in rows
        ]

    async def subscribe(
        self, topic: str, *, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> AsyncIterator[Envelope]:
        seen: deque[int] = deque(maxlen=10_000)
        seen_set: set[int] = set()
        high_water = await self._last_id(topic)
        started_after = high_water  # events committed before the subscription are not its own

        def fresh(env: Envelope) -> bool:
            if env.id <= started_after or env.id in seen_set:
                return False
            if len(seen) == seen.maxlen:
                seen_set.discard(seen[0])
            seen.append(env.id)
            seen_set.add(env.id)
            return True

        async for message in self._broadcaster.listen(channel_for(topic)):
            if message is None:  # (re)subscribed: read what committed meanwhile from the table
                missed = await self._since(topic, high_water)
                for env in missed:
                    high_water = max(high_water, env.id)
                    if fresh(env) and (where is None or where(env.payload)):
                        yield env
                continue
            env = decode(message)
            high_water = max(high_water, env.id)
            if fresh(env) and (where is None or where(env.payload)):
                yield env
