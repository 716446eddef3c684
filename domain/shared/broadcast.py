"""Fan-out of committed events: Redis pub/sub across replicas, or in-process for one process.

Redis never owns data here: a message lost in transit is recovered from the outbox table by the
subscriber (see ``domain.shared.outbox.EventStream``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)


class BroadcastUnavailable(Exception):
    """The broker could not be reached; the caller keeps the message and retries."""


class Broadcaster(Protocol):
    name: str

    async def publish(self, channel: str, message: str) -> None: ...

    def listen(self, channel: str) -> AsyncIterator[str | None]:
        """Yields messages; yields ``None`` each time the subscription is (re)established, so the
        consumer can read what it may have missed from the outbox table."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryBroadcaster:
    """One process only: every listener gets its own queue."""

    name = "memory"

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[str]]] = {}

    async def publish(self, channel: str, message: str) -> None:
        for queue in list(self._queues.get(channel, ())):
            queue.put_nowait(message)

    async def listen(self, channel: str) -> AsyncIterator[str | None]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._queues.setdefault(channel, set()).add(queue)
        try:
            yield None  # subscribed: anything earlier must come from the table
            while True:
                yield await queue.get()
        finally:
            self._queues[channel].discard(queue)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._queues.clear()


class RedisBroadcaster:
    name = "redis"

    def __init__(self, url: str, *, prefix: str, reconnect_delay: float = 0.2) -> None:
        self._url = url
        self._prefix = prefix
        self._reconnect_delay = reconnect_delay
        self._redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=2.0, health_check_interval=10
        )

    def _channel(self, channel: str) -> str:
        return f"{self._prefix}:{channel}"

    async def publish(self, channel: str, message: str) -> None:
        try:
            await self._redis.publish(self._channel(channel), message)
        except (RedisError, OSError) as exc:
            raise BroadcastUnavailable(str(exc)) from exc

    async def listen(self, channel: str) -> AsyncIterator[str | None]:
        full = self._channel(channel)
        delay = self._reconnect_delay
        while True:
            # A dedicated connection per listener; socket_timeout=None so an idle listen waits.
            client = aioredis.Redis.from_url(self._url, socket_connect_timeout=1.0)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(full)
                yield None  # (re)subscribed: the consumer catches up from the outbox table
                delay = self._reconnect_delay
                async for msg in pubsub.listen():
                    if msg.get("type") == "message":
                        data = msg["data"]
                        yield data.decode() if isinstance(data, bytes) else data
            except (RedisError, OSError) as exc:
                log.warning("broadcast.listen_disconnected", channel=channel, error=str(exc))
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def make_broadcaster(redis_url: str | None, *, prefix: str) -> Broadcaster:
    if redis_url:
        return RedisBroadcaster(redis_url, prefix=prefix)
    log.info("broadcast.in_process", reason="REDIS_URL is not set; events reach this process only")
    return MemoryBroadcaster()
