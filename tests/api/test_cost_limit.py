"""The cost model (weights declared per field in api/cost.py) and the per-operation cost limit:
an expensive legal document is refused in production before anything runs, while every
documented storefront query and every benchmark scenario stays well under it."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    OperationDefinitionNode,
    parse,
)

import bench.scenarios
from api.complexity import analyse
from api.cost import FIELD_COSTS
from api.ratelimit import query_cost
from api.schema import build_schema
from domain.shared.settings import Settings
from tests.conftest import GQL

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = build_schema(Settings(secret_key="x" * 32, dev_mode=True))._schema
LIMIT = Settings().max_query_cost

AVAILABILITY = "edges { node { variants { availability { canShip stores { inStock } } } } }"
# 5 + 20 x (edges 1 + node 1 + variants (2 + 5 x (availability 10 + canShip 1 + stores
# (1 + 10 x inStock 1)))) = 5 + 20 x 114 = 2285 per alias
HEAVY = (
    "query Heavy { "
    + " ".join(f"a{i}: products(first: 20) {{ {AVAILABILITY} }}" for i in range(5))
    + " }"
)


def cost(document: str, variables: dict[str, Any] | None = None) -> int:
    return query_cost(
        parse(document), operation_name=None, variables=variables, max_page_size=100, schema=SCHEMA
    )


def test_every_weighted_field_is_a_field_of_the_schema() -> None:
    for key in FIELD_COSTS:
        type_name, field_name = key.split(".")
        type_ = SCHEMA.get_type(type_name)
        assert isinstance(type_, GraphQLObjectType), key
        assert field_name in type_.fields, key


def test_weights_pages_and_lists_make_the_cost() -> None:
    # availability 10 + canShip 1 + stores (1 + 10 stores x inStock 1)
    assert cost('{ availability(variantId: "x") { canShip stores { inStock } } }') == 22
    # a page: the items `first` times, totalCount (5) and pageInfo once
    page = (
        "{ products(first: 10) { totalCount pageInfo { hasNextPage } edges { node { title } } } }"
    )
    assert cost(page) == 5 + 5 + 2 + 10 * 3
    # no `first`: the default page of 20; a declared default of the variable counts
    assert cost("{ locations { edges { node { code } } } }") == 1 + 20 * 3
    assert cost("query($n: Int = 50) { locations(first: $n) { edges { node { code } } } }") == 151
    assert (
        cost("query($n: Int = 50) { locations(first: $n) { edges { node { code } } } }", {"n": 2})
        == 7
    )
    # nodes(ids:) counts each id
    assert cost('{ nodes(ids: ["a", "b", "c"]) { id } }') == 1 + 3
    # a fragment costs what its fields cost, each time it is spread
    assert (
        cost(
            "{ ...F a: viewer { ...V } } fragment F on Query { viewer { ...V } } "
            "fragment V on Viewer { role }"
        )
        == 4
    )
    assert cost(HEAVY) == 5 * 2285


def _examples() -> list[tuple[str, DocumentNode]]:
    """Every operation in README.md and docs/*.md, and every benchmark scenario's document."""
    out = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text()
        for match in re.finditer(r"```graphql\n(.*?)```", text, re.S):
            document = parse(match.group(1))
            fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
            line = text.count("\n", 0, match.start()) + 1
            for operation in document.definitions:
                if isinstance(operation, OperationDefinitionNode):
                    out.append(
                        (f"{page.name}:{line}", DocumentNode(definitions=(operation, *fragments)))
                    )
    for module in pkgutil.iter_modules(bench.scenarios.__path__):
        loaded = importlib.import_module(f"bench.scenarios.{module.name}")
        for name, value in vars(loaded).items():
            if isinstance(value, str) and re.match(r"\s*(query|mutation|\{)", value):
                out.append((f"bench {module.name}.{name}", parse(value)))
    return out


def test_documented_queries_and_benchmark_scenarios_stay_well_under_the_limit() -> None:
    examples = _examples()
    assert len(examples) > 80
    costs = {
        where: analyse(document, schema=SCHEMA, max_page_size=100).operations[0].facts.cost
        for where, document in examples
    }
    assert max(costs.values()) <= LIMIT // 2, sorted(costs.items(), key=lambda kv: -kv[1])[:3]


async def test_an_expensive_document_is_refused_before_it_runs_in_production(
    prod: GQL, count_queries
) -> None:
    before = count_queries.count
    body = (await prod.raw(HEAVY)).json()
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "This operation costs 11425 points; at most 10000 are allowed per "
                "request. Ask for smaller pages (`first`), fewer aliases or fewer availability "
                "and price fields, or split it into several requests.",
                "extensions": {"code": "QUERY_TOO_EXPENSIVE", "cost": 11425, "limit": 10000},
            }
        ],
    }
    assert count_queries.in_requests(before) == []
    # the same through variables: a page size given as a variable counts the same
    paged = "query($n: Int!) { products(first: $n) { " + AVAILABILITY + " } }"
    body = (await prod.raw(paged, {"n": 100})).json()
    assert body["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_EXPENSIVE",
        "cost": 5 + 100 * 114,
        "limit": 10000,
    }
    assert count_queries.in_requests(before) == []


async def test_the_documented_storefront_page_runs_in_production(prod: GQL) -> None:
    browse = (ROOT / "docs" / "catalog.md").read_text().split("query Headphones")[1]
    document = "query Headphones" + browse.split("```")[0]
    assert await prod(document) == {
        "products": {
            "totalCount": 0,
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "edges": [],
        }
    }
    # one alias of the heavy document is a legitimate (if large) page: it runs
    one = "{ products(first: 20) { " + AVAILABILITY + " } }"
    assert await prod(one) == {"products": {"edges": []}}
