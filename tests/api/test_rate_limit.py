"""Cost-based rate limiting per client: the cost of an operation, the budget per window in
real Redis (shared by every replica) and in process, refusal before execution, and other
clients untouched."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from graphql import parse

from api.ratelimit import MemoryBuckets, RateLimiter, RedisBuckets, query_cost
from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel

LOCATIONS = "query($n: Int) { locations(first: $n) { edges { node { code name } } } }"


def cost(doc: str, variables: dict[str, Any] | None = None) -> int:
    return query_cost(parse(doc), operation_name=None, variables=variables, max_page_size=100)


def test_cost_counts_fields_and_multiplies_pages() -> None:
    assert cost("{ viewer { kind role } }") == 3
    # locations(1) + first x (edges(1) + node(1) + code + name)
    assert cost(LOCATIONS, {"n": 10}) == 1 + 10 * 4
    assert cost(LOCATIONS, {"n": 100_000}) == 1 + 100 * 4  # capped at the page size
    assert cost("{ __typename }") == 1  # introspection is free, but nothing costs 0
    fragment = "query { viewer { ...V } } fragment V on Viewer { kind role channel }"
    assert cost(fragment) == 4


async def _key(runtime: Runtime, name: str) -> str:
    issued = await access.create_api_key(
        runtime.uow(), actor="test", name=name, channel=Channel.BACK_OFFICE, location_id=None
    )
    return issued.key


@pytest.mark.parametrize("store", ["redis", "memory"])
async def test_a_client_over_budget_is_refused_before_execution_and_others_go_on(
    runtime: Runtime, gql, monkeypatch: pytest.MonkeyPatch, store: str, count_queries
) -> None:
    buckets = (
        RedisBuckets(
            runtime.settings.redis_url or "redis://127.0.0.1:6379", prefix=secrets.token_hex(4)
        )
        if store == "redis"
        else MemoryBuckets()
    )
    monkeypatch.setattr(
        runtime, "rate_limiter", RateLimiter(buckets, points=100, window_seconds=3600)
    )
    greedy = gql.as_(x_api_key=await _key(runtime, "greedy"))
    modest = gql.as_(x_api_key=await _key(runtime, "modest"))
    try:
        # 41 points each: two fit in 100, the third does not
        for _ in range(2):
            assert "locations" in await greedy(LOCATIONS, {"n": 10})
        before = count_queries.count
        refused = (await greedy.raw(LOCATIONS, {"n": 10})).json()
        assert refused["data"] is None
        error = refused["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["cost"] == 41 and error["extensions"]["limit"] == 100
        assert 1 <= error["extensions"]["retryAfterSeconds"] <= 3601
        # refused before anything ran: no statement of the request's but authenticating the key
        # (the relay polls in the background, outside any request, and is not counted)
        ran = [q for q in count_queries.in_requests(before) if "FROM api_keys" not in q]
        assert ran == [], ran
        # another client has its own budget
        assert "locations" in await modest(LOCATIONS, {"n": 10})
        # a cheaper question still fits the greedy client's remaining 18 points
        assert "viewer" in await greedy("{ viewer { kind role } }")
    finally:
        await buckets.close()


async def test_without_redis_the_limiter_lets_requests_through() -> None:
    from tests.support.processes import free_port

    limiter = RateLimiter(
        RedisBuckets(f"redis://127.0.0.1:{free_port()}", prefix="x"), points=1, window_seconds=60
    )
    try:
        assert await limiter.take("key:1", 50) is None  # protects, never takes the API down
    finally:
        await limiter.close()
