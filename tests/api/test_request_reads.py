"""One pool checkout per request: a request's loaders and read resolvers share one connection,
every per-item field is batched, so an expensive legal query cannot starve the pool."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.runtime import Runtime
from domain.pricing import services as pricing
from domain.pricing.services import PriceInput
from domain.shared.settings import Settings
from inventory import services as inv
from inventory.model import LocationKind
from tests.conftest import GQL

PAGE = """
fragment Page on ProductConnection {
  nodes { slug variants { sku price { price { amount } }
    availability { canShip stores { location { code } inStock } } } }
}
"""


def page_document(copies: int) -> str:
    fields = " ".join(
        f"a{i}: products(first: $first, sort: NAME) {{ ...Page }}" for i in range(copies)
    )
    return f"query($first: Int) {{ {fields} }}" + PAGE


@dataclass
class Shop:
    warehouse: int
    store: int
    variants: dict[str, int]


async def open_shop(runtime: Runtime, make_location: Any, *, products: int) -> Shop:
    """``products`` products P00.. with variants Pnn-A (priced) and Pnn-B (no price); the first
    three A variants have stock at the warehouse, P00-B and P01-B at store S01."""
    wh = await make_location(
        "WH01", LocationKind.WAREHOUSE, latitude=55.717, longitude=37.790, ships=True
    )
    s1 = await make_location("S01", latitude=55.7615, longitude=37.6085, offers_pickup=True)
    variants: dict[str, int] = {}
    async with runtime.engine.begin() as conn:
        ptype = (
            await conn.execute(
                text("INSERT INTO product_types (code, name) VALUES ('g', 'G') RETURNING id")
            )
        ).scalar_one()
        for n in range(products):
            pid = (
                await conn.execute(
                    text(
                        "INSERT INTO products (slug, title, description, product_type_id, "
                        "attributes, media, status, published_online, published_in_store, "
                        "keywords) VALUES (:s, :s, '', :t, '{}', '[]', 'ACTIVE', true, true, '') "
                        "RETURNING id"
                    ),
                    {"s": f"p{n:02}", "t": ptype},
                )
            ).scalar_one()
            for pos, suffix in enumerate("AB"):
                sku = f"P{n:02}-{suffix}"
                variants[sku] = (
                    await conn.execute(
                        text(
                            "INSERT INTO variants (product_id, sku, title, options, attributes, "
                            "effective_attributes, position) "
                            "VALUES (:p, :sku, :sku, '{}', '{}', '{}', :pos) RETURNING id"
                        ),
                        {"p": pid, "sku": sku, "pos": pos},
                    )
                ).scalar_one()
    await pricing.set_prices(
        runtime.uow(),
        actor="t",
        prices=[PriceInput(1000 * (n + 1), sku=f"P{n:02}-A") for n in range(products)],
    )
    for n in range(min(3, products)):
        await inv.receive_stock(
            runtime.uow(),
            variant_id=variants[f"P{n:02}-A"],
            location_id=wh,
            quantity=n + 1,
            actor="t",
        )
    for n in range(min(2, products)):
        await inv.receive_stock(
            runtime.uow(), variant_id=variants[f"P{n:02}-B"], location_id=s1, quantity=2, actor="t"
        )
    return Shop(wh, s1, variants)


def expected_page(products: int) -> dict[str, Any]:
    def variant(n: int, suffix: str) -> dict[str, Any]:
        in_store = suffix == "B" and n < 2
        return {
            "sku": f"P{n:02}-{suffix}",
            "price": {"price": {"amount": 1000 * (n + 1)}} if suffix == "A" else None,
            "availability": {
                "canShip": suffix == "A" and n < 3,
                "stores": [{"location": {"code": "S01"}, "inStock": in_store}],
            },
        }

    return {
        "nodes": [
            {"slug": f"p{n:02}", "variants": [variant(n, "A"), variant(n, "B")]}
            for n in range(products)
        ]
    }


class Checkouts:
    """Pool checkouts per request id (background work has none), and connections out now."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.by_request: Counter[str | None] = Counter()

    def _checkout(self, *args: Any) -> None:
        self.by_request[structlog.contextvars.get_contextvars().get("request_id")] += 1

    def __enter__(self) -> Checkouts:
        event.listen(self.engine.sync_engine, "checkout", self._checkout)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine.sync_engine, "checkout", self._checkout)

    def requests(self) -> dict[str, int]:
        return {rid: n for rid, n in self.by_request.items() if rid is not None}


@pytest.fixture
def checkouts(runtime: Runtime) -> Iterator[Checkouts]:
    with Checkouts(runtime.engine) as counter:
        yield counter


def statements_of(count_queries: Any, request_id: str) -> list[str]:
    return [q for rid, q in count_queries.tagged if rid == request_id]


async def test_a_page_with_prices_and_availability_takes_one_connection_and_constant_statements(
    runtime: Runtime, gql: GQL, make_location: Any, count_queries: Any, checkouts: Checkouts
):
    await open_shop(runtime, make_location, products=50)
    document = page_document(1)
    small = await gql.as_(x_request_id="reads-page-of-5")(document, {"first": 5})
    big = await gql.as_(x_request_id="reads-page-of-50")(document, {"first": 50})

    assert small["a0"] == expected_page(5)
    assert big["a0"] == expected_page(50)
    assert checkouts.requests() == {"reads-page-of-5": 1, "reads-page-of-50": 1}
    five = statements_of(count_queries, "reads-page-of-5")
    fifty = statements_of(count_queries, "reads-page-of-50")
    # page; variants; shelf prices (variants' tax classes, price entries, promotions, tax
    # rates); availability (shipping, stores, incoming transfers)
    assert len(five) == len(fifty) == 9, fifty


@pytest.fixture
async def small_pool(settings: Settings) -> AsyncIterator[Runtime]:
    """The app on a pool of two connections (no overflow): more concurrent requests than
    connections, as in production under load."""
    rt = await Runtime.start(
        settings.model_copy(
            update={"db_pool_size": 2, "db_max_overflow": 0, "db_pool_timeout": 30}
        ),
        run_relay=False,
    )
    yield rt
    await rt.stop()


async def test_thirty_aliased_copies_take_one_connection_per_request_and_a_one_row_query_answers(
    runtime: Runtime, small_pool: Runtime, make_location: Any
):
    await open_shop(runtime, make_location, products=10)
    document = page_document(30)
    expected = {f"a{i}": expected_page(10) for i in range(30)}
    one_row = "{ locations(first: 1) { nodes { code } } }"

    app = create_app(runtime=small_pool)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:

        async def post(query: str, request_id: str, variables: dict[str, Any]) -> Any:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"x-request-id": request_id},
            )
            return response.status_code, response.json()

        with Checkouts(small_pool.engine) as counter:
            alone = await post(document, "reads-alone-0", {"first": 10})
            assert alone == (200, {"data": expected})
            assert counter.requests() == {"reads-alone-0": 1}

            heavy = [post(document, f"reads-heavy-{i:02}", {"first": 10}) for i in range(8)]
            light = post(one_row, "reads-one-row", {})
            *heavy_answers, light_answer = await asyncio.gather(*heavy, light)

            assert light_answer == (200, {"data": {"locations": {"nodes": [{"code": "S01"}]}}})
            assert heavy_answers == [(200, {"data": expected})] * 8
            assert counter.requests() == {
                "reads-alone-0": 1,
                "reads-one-row": 1,
                **{f"reads-heavy-{i:02}": 1 for i in range(8)},
            }
    # Every request gave its connection back when it ended.
    assert small_pool.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


HISTORIES = """{ customers(first: 50) { edges { node { phone
  pointsHistory(first: 2) { edges { node { points reason } } pageInfo { hasNextPage } } } } } }"""


async def test_customers_with_their_points_history_cost_the_same_statements_for_2_or_6(
    runtime: Runtime, gql: GQL, staff_token: Any, count_queries: Any, checkouts: Checkouts
):
    from domain.access.model import Role
    from loyalty import services as loyalty

    _, admin = await staff_token(Role.ADMIN)
    expected = []
    for n in range(6):
        phone = f"+7 916 556-01-{n:02d}"
        cid = await loyalty.enrol(
            runtime.uow(), phone=phone, actor="t", channel="POS", location_id=None
        )
        for k in range(n % 4):  # 0..3 entries: pages of 0, 1, 2 and 2 with more to come
            await loyalty.adjust_points(
                runtime.uow(), cid, points=10 * (k + 1), reason=f"r{n}-{k}", actor="t"
            )
        shown = [{"node": {"points": 10 * (k + 1), "reason": f"r{n}-{k}"}} for k in range(n % 4)]
        expected.append((n, shown[::-1][:2], n % 4 > 2))
    counts = []
    for size in (2, 6):
        rid = f"reads-histories-{size}"
        data = await gql.as_(authorization=admin, x_request_id=rid)(
            HISTORIES.replace("first: 50", f"first: {size}")
        )
        assert [e["node"]["pointsHistory"] for e in data["customers"]["edges"]] == [
            {"edges": edges, "pageInfo": {"hasNextPage": more}}
            for _, edges, more in expected[:size]
        ]
        counts.append(len(statements_of(count_queries, rid)))
    assert counts[0] == counts[1]
    assert checkouts.requests() == {"reads-histories-2": 1, "reads-histories-6": 1}


async def test_signed_in_mutations_on_a_small_pool_do_not_hold_a_read_connection_while_writing(
    runtime: Runtime, settings: Settings, staff_token: Any
):
    """The request's read connection (taken to authenticate) is given back before a mutation
    waits for its write connection: holding one while waiting for another would let as many
    concurrent mutations as the pool has connections block each other until the pool times out."""
    from domain.access.model import Role

    rt = await Runtime.start(
        settings.model_copy(update={"db_pool_size": 2, "db_max_overflow": 0, "db_pool_timeout": 5}),
        run_relay=False,
    )
    try:
        _, merchandiser = await staff_token(Role.MERCHANDISER)
        create = """mutation($n: String!) { brandCreate(input: {name: $n}) {
          userErrors { code } brand { name } } }"""
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime=rt)), base_url="http://test"
        ) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/graphql",
                        json={"query": create, "variables": {"n": f"Brand {i}"}},
                        headers={"authorization": merchandiser},
                    )
                    for i in range(6)
                )
            )
        assert [(a.status_code, a.json()) for a in answers] == [
            (200, {"data": {"brandCreate": {"userErrors": [], "brand": {"name": f"Brand {i}"}}}})
            for i in range(6)
        ]
        assert rt.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await rt.stop()
