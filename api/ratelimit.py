"""Per-client, cost-based rate limiting (DESIGN: API conventions, limits).

Each operation costs what it may make the server do, worked out from the document before it
runs: each field its weight (api/cost.py, 1 unless listed), and a list field's selection
counted ``first`` times (``first``/``last`` capped at the page-size limit). A client (its API
key, else the signed-in person, else the caller's address) spends points from a budget per
fixed window; an operation that would go over it is refused before execution with
``RATE_LIMITED`` and the seconds until the window turns. The buckets live in Redis, shared
by every replica; without Redis, in this process. If Redis cannot be reached the request is
let through (the limiter protects, it never takes the API down).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import structlog
from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema
from redis import asyncio as aioredis
from redis.exceptions import RedisError
from strawberry.extensions import SchemaExtension

from api.complexity import analyse

log = structlog.get_logger(__name__)


def query_cost(
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    max_page_size: int,
    schema: GraphQLSchema | None = None,
) -> int:
    """The points one operation of a (validated) document costs (api/complexity.py; with the
    schema, fields weigh what api/cost.py says, else 1 each)."""
    facts = analyse(
        document,
        schema=schema,
        operation_name=operation_name,
        variables=variables,
        max_page_size=max_page_size,
    )
    chosen = facts.operation(operation_name)
    return max(1, chosen.facts.cost) if chosen is not None else 0


class Buckets(Protocol):
    async def spend(self, key: str, points: int, ttl: int) -> int:
        """Add ``points`` to the bucket ``key`` (created with ``ttl`` seconds); the new total."""

    async def give_back(self, key: str, points: int) -> None:
        """Undo a ``spend`` that was refused: a refused operation costs nothing."""

    async def close(self) -> None: ...


class MemoryBuckets:
    """One process's buckets (no Redis configured: a single process)."""

    def __init__(self) -> None:
        self._spent: dict[str, tuple[int, float]] = {}

    async def spend(self, key: str, points: int, ttl: int) -> int:
        now = time.monotonic()
        if len(self._spent) > 10_000:  # forget windows that are over
            self._spent = {k: v for k, v in self._spent.items() if v[1] > now}
        spent, until = self._spent.get(key, (0, now + ttl))
        if until <= now:
            spent, until = 0, now + ttl
        self._spent[key] = (spent + points, until)
        return spent + points

    async def give_back(self, key: str, points: int) -> None:
        if key in self._spent:
            spent, until = self._spent[key]
            self._spent[key] = (spent - points, until)

    async def close(self) -> None:
        return None


class RedisBuckets:
    """Buckets every replica shares: INCRBY + EXPIRE in one round trip."""

    def __init__(self, url: str, *, prefix: str) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._prefix = prefix

    async def spend(self, key: str, points: int, ttl: int) -> int:
        full = f"{self._prefix}:rl:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incrby(full, points)
            pipe.expire(full, ttl)
            total, _ = await pipe.execute()
        return int(total)

    async def give_back(self, key: str, points: int) -> None:
        await self._redis.decrby(f"{self._prefix}:rl:{key}", points)

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimiter:
    def __init__(self, buckets: Buckets, *, points: int, window_seconds: int) -> None:
        self.buckets = buckets
        self.points = points
        self.window_seconds = window_seconds

    async def take(self, client: str, cost: int) -> int | None:
        """Spend ``cost`` for ``client``; None if within the budget, else the seconds until the
        current window ends (retry then). Redis unreachable: None (let it through)."""
        now = time.time()
        window = int(now // self.window_seconds)
        key = f"{client}:{window}"
        try:
            spent = await self.buckets.spend(key, cost, ttl=self.window_seconds * 2)
            if spent <= self.points:
                return None
            await self.buckets.give_back(key, cost)  # refused: it costs nothing
        except (RedisError, OSError) as exc:
            log.warning("rate_limit.unavailable", error=str(exc))
            return None
        return max(1, int((window + 1) * self.window_seconds - now) + 1)

    async def close(self) -> None:
        await self.buckets.close()


def make_rate_limiter(
    *, points: int, window_seconds: int, redis_url: str | None, prefix: str
) -> RateLimiter | None:
    if points <= 0:
        return None
    buckets: Buckets = RedisBuckets(redis_url, prefix=prefix) if redis_url else MemoryBuckets()
    return RateLimiter(buckets, points=points, window_seconds=window_seconds)


def client_key(context: Any) -> str:
    """Whose budget: the API key, else the signed-in person, else the caller's address."""
    scope = str(context.principal.idempotency_scope)
    if scope != "anonymous":
        return scope
    request = getattr(context, "request", None)
    host = getattr(getattr(request, "client", None), "host", None)
    return f"ip:{host or 'unknown'}"


class CostLimit(SchemaExtension):
    """Refuses an operation before it runs when it would take its client over budget."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context
        limiter: RateLimiter | None = getattr(ctx.context.runtime, "rate_limiter", None)
        if limiter is not None and ctx.graphql_document is not None:
            cost = query_cost(
                ctx.graphql_document,
                operation_name=ctx.operation_name,
                variables=ctx.variables,
                max_page_size=ctx.context.settings.max_page_size,
                schema=ctx.schema._schema,
            )
            retry = await limiter.take(client_key(ctx.context), cost)
            if retry is not None:
                ctx.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"Rate limit: this client spent its {limiter.points} points for "
                            f"this {limiter.window_seconds}-second window (this operation "
                            f"costs {cost}). Retry in {retry} s, or ask for fewer items.",
                            extensions={
                                "code": "RATE_LIMITED",
                                "retryAfterSeconds": retry,
                                "cost": cost,
                                "limit": limiter.points,
                            },
                        )
                    ],
                )
        yield
