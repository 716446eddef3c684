"""Documents that expand through fragments (or repeat fields) are refused in milliseconds, before
graphql-core validates them, by a real server process that keeps answering everyone else."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
import pytest
from graphql import parse

from api.app import create_app
from api.complexity import analyse
from api.limits import validate_cached
from tests.conftest import GQL, REDIS_URL, TEST_SECRET
from tests.support.processes import ApiServer


def doubling(
    levels: int, *, on: str = "Query", leaf: str = "__typename", wrap: str = "{ %s }"
) -> str:
    """``fragment F1 { ...F0 ...F0 }`` ...: 2**(levels-1) copies of ``leaf``, ~40 bytes a line."""
    fragments = [f"fragment F0 on {on} {{ {leaf} }}"]
    fragments += [f"fragment F{i} on {on} {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels)]
    return wrap % f"...F{levels - 1}" + " " + " ".join(fragments)


FANOUT_25 = doubling(25)
VARIANTS = {
    # the issue's document: 1 KB, anonymous
    "fragments": FANOUT_25,
    # the same under a nested field
    "fragments on a nested field": doubling(25, on="Viewer", leaf="role", wrap="{ viewer { %s } }"),
    # every level through inline fragments
    "inline fragments": "{ ...F24 } fragment F0 on Query { __typename } "
    + " ".join(
        f"fragment F{i} on Query {{ ... on Query {{ ...F{i - 1} }} ... {{ ...F{i - 1} }} }}"
        for i in range(1, 25)
    ),
    # aliases multiplied by spreads
    "alias fan-out": doubling(
        20, leaf=" ".join(f"a{i}: __typename" for i in range(20)), wrap="{ %s }"
    ),
    # one wide fragment spread many times, no nesting at all
    "wide fragment": "{ viewer { "
    + " ".join(["...W"] * 60)
    + " } } fragment W on Viewer { "
    + " ".join(f"w{i}: kind" for i in range(20))
    + " }",
    # no fragments: the same field again and again (graphql-core compares every pair)
    "repeated field": "{ " + " ".join(["viewer { locations { code } }"] * 300) + " }",
}


def test_the_issue_document_is_measured_without_expanding_it() -> None:
    started = time.perf_counter()
    facts = analyse(parse(FANOUT_25))
    elapsed = time.perf_counter() - started
    assert facts.fields == 2**24 and facts.spreads == 49 and facts.aliases == 0
    assert elapsed < 0.05, elapsed


@pytest.mark.slow
async def test_fan_out_documents_are_refused_fast_while_others_are_served(
    runtime, database_url: str, redis_prefix: str
) -> None:
    server = ApiServer(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": redis_prefix,
            "SECRET_KEY": TEST_SECRET,
            "OMNI_DEV": "0",  # production, what `omnicommerce serve` runs
        }
    )
    await asyncio.to_thread(server.start)
    trivial = {"query": "{ viewer { role } }"}
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            assert (await http.post("/graphql", json=trivial)).json() == {
                "data": {"viewer": {"role": "ANONYMOUS"}}
            }

            async def timed(body: dict[str, str]) -> tuple[float, httpx.Response]:
                started = time.perf_counter()
                response = await http.post("/graphql", json=body)
                return time.perf_counter() - started, response

            others: list[float] = []
            for name, document in VARIANTS.items():
                (took, refused), (other, served) = await asyncio.gather(
                    timed({"query": document}), timed(trivial)
                )
                body = refused.json()
                assert refused.status_code == 200 and body["data"] is None, name
                assert body["errors"][0]["extensions"] == {"code": "DOCUMENT_TOO_COMPLEX"}, name
                assert took < 1.0, (name, took)
                assert served.json() == {"data": {"viewer": {"role": "ANONYMOUS"}}}
                others.append(other)
            first = (await http.post("/graphql", json={"query": FANOUT_25})).json()
    finally:
        await asyncio.to_thread(server.stop)
    # on a shared machine one request may be late; the typical one is not held up
    assert statistics.median(others) < 0.1, others
    assert [e["message"] for e in first["errors"]] == [
        "The document selects 16777216 fields once its fragments are expanded; at most 1000 "
        "are allowed. Spread fragments fewer times, or split the document into several "
        "requests.",
        "The document selects the same fields under the same names too many times (checking "
        "that they agree takes 328387447663275 comparisons; at most 10000 are allowed). Select "
        "each field once per selection set, and spread each fragment once.",
    ]


@pytest.fixture
async def prod(runtime):
    settings = runtime.settings.model_copy(update={"dev_mode": False})
    app = create_app(settings, runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield GQL(c)


async def test_fragment_spreads_are_capped_per_document(prod: GQL, count_queries) -> None:
    before = count_queries.count
    document = "{ viewer { " + " ".join(["...V"] * 101) + " } } fragment V on Viewer { role }"
    body = (await prod.raw(document)).json()
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "The document spreads fragments 101 times; at most 100 are allowed. "
                "Spread each fragment once, or split the document into several requests.",
                "extensions": {"code": "DOCUMENT_TOO_COMPLEX"},
            }
        ],
    }
    assert count_queries.in_requests(before) == []
    # 100 is fine (and one spread of a fragment would do)
    document = "{ viewer { " + " ".join(["...V"] * 100) + " } } fragment V on Viewer { role }"
    assert await prod(document) == {"viewer": {"role": "ANONYMOUS"}}


async def test_depth_and_aliases_count_through_fragments(runtime) -> None:
    settings = runtime.settings.model_copy(update={"max_query_depth": 2, "max_aliases": 3})
    app = create_app(settings, runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        gql = GQL(c)
        deep = (
            "query Deep { viewer { ...S } } "
            "fragment S on Viewer { staffUser { ... on StaffUser { locations { code } } } }"
        )
        body = (await gql.raw(deep)).json()
        assert [e["message"] for e in body["errors"]] == [
            "'Deep' exceeds maximum operation depth of 2"
        ]
        aliased = "{ ...A ...A } fragment A on Query { a: viewer { role } b: viewer { kind } }"
        body = (await gql.raw(aliased)).json()
        assert [e["message"] for e in body["errors"]] == [
            "4 aliases found (fragments counted each time they are spread). Allowed: 3; split "
            "the document into several requests."
        ]


async def test_a_repeated_document_is_validated_once(gql: GQL) -> None:
    document = "query Once { viewer { role kind } }"
    assert await gql(document) == {"viewer": {"role": "ANONYMOUS", "kind": "ANONYMOUS"}}
    misses = validate_cached.cache_info().misses
    for _ in range(3):
        assert await gql(document) == {"viewer": {"role": "ANONYMOUS", "kind": "ANONYMOUS"}}
    assert validate_cached.cache_info().misses == misses
