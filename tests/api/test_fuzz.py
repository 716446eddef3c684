"""Fuzz every root query and mutation field: whatever the arguments, no error is INTERNAL.

hypothesis-graphql writes documents from the schema for one root field at a time, with hostile
scalars (NUL, huge strings, lone surrogates sent through variables, extreme numbers,
non-finite decimals, odd dates, nested JSON) mixed with the real ids, SKUs, slugs, tokens and
codes of a seeded world, so resolvers get past "not found". Each document is posted through the
ASGI app as an admin and as an anonymous caller. Generation is derandomized (the same
documents on every run) and bounded (FUZZ_EXAMPLES per field and caller); raise the
``OMNI_FUZZ_EXAMPLES`` environment variable for a longer hunt.

Documents are drawn first and then sent: the app runs on the test's event loop, which a
hypothesis test function cannot await. A failure prints the document and its variables.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

import graphql
import hypothesis_graphql
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from api.relay import encode_id
from api.runtime import Runtime
from api.schema import build_schema
from domain.access.model import Role
from domain.shared.settings import Settings
from tests.conftest import GQL
from tests.support.orders import enrol_customer, make_world, place_order

FUZZ_EXAMPLES = int(os.environ.get("OMNI_FUZZ_EXAMPLES", "3"))
SURROGATE_MARK = "\ue000"  # replaced by a lone surrogate once the string is a variable
SCHEMA = build_schema(Settings(dev_mode=True))._schema


def _real_values() -> dict[str, list[Any]]:
    return {"strings": ["HP-100", "S01", "WH", "RUB", "RU"], "ids": []}


REAL: dict[str, list[Any]] = _real_values()

HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            "a\x00b",
            f"a{SURROGATE_MARK}b",
            "x" * 5_000,
            "' OR 1=1 --",
            "Infinity",
            "1e999",
            "-1",
            "2024-01-01T00:00:00",
            "+79161234567",
            "a@b.ru",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
)


def _strings() -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(st.sampled_from(REAL["strings"]), HOSTILE_TEXT).map(nodes.String)


def _ids() -> st.SearchStrategy[graphql.ValueNode]:
    forged = st.builds(
        _gid,
        st.sampled_from(["Customer", "Order", "Location", "Variant", "Product", "Cart", "Nope"]),
        st.sampled_from(["0", "-1", "9" * 25, "abc", "1\x00", ""]),
    )
    return st.one_of(st.sampled_from(REAL["ids"] or ["x"]), forged, HOSTILE_TEXT).map(nodes.String)


def _gid(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


INTS = st.one_of(
    st.sampled_from([0, 1, -1, 2, 100, 2**31 - 1, -(2**31), 1_000_001]),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
).map(nodes.Int)
FLOATS = st.one_of(
    st.sampled_from([0.0, -90.5, 181.0, 1e308, -1e308, 5e-324]),
    st.floats(allow_nan=False, allow_infinity=False),
).map(nodes.Float)
DECIMALS = st.sampled_from(
    [
        "Infinity",
        "-Infinity",
        "NaN",
        "sNaN",
        "1e999",
        "-1e999",
        "1e-999999",
        "12.5",
        "0",
        "-5",
        "100",
        "100.01",
        "abc",
        "0.333333333333333333333",
    ]
).map(nodes.String)
DATETIMES = st.sampled_from(
    [
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-14:00",
        "not a date",
        "2026-02-30T00:00:00Z",
        "",
    ]
).map(nodes.String)


def _json_node(value: Any) -> graphql.ValueNode:
    if isinstance(value, dict):
        return graphql.ObjectValueNode(
            fields=tuple(
                graphql.ObjectFieldNode(name=graphql.NameNode(value=f"k{i}"), value=_json_node(v))
                for i, v in enumerate(value.values())
            )
        )
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_json_node(v) for v in value))
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if value is None:
        return graphql.NullValueNode()
    return nodes.String(value)


JSONS = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        HOSTILE_TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
).map(_json_node)

CUSTOM_SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "String": st.deferred(_strings),
    "ID": st.deferred(_ids),
    "Int": INTS,
    "Float": FLOATS,
    "Decimal": DECIMALS,
    "DateTime": DATETIMES,
    "JSON": JSONS,
}


class _StringsToVariables(graphql.Visitor):
    """String and ID literals become variables, so hostile text (a lone surrogate cannot be
    written in a GraphQL literal) reaches the server the way a client's variables do."""

    def __init__(self, type_info: graphql.TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.variables: dict[str, Any] = {}
        self.definitions: list[graphql.VariableDefinitionNode] = []

    def enter_string_value(self, node: graphql.StringValueNode, *_: Any) -> Any:
        input_type = self.type_info.get_input_type()
        named = graphql.get_named_type(input_type) if input_type else None
        if named is None or named.name not in ("String", "ID"):
            return None
        name = f"v{len(self.variables)}"
        self.variables[name] = node.value.replace(SURROGATE_MARK, "\ud800")
        self.definitions.append(
            graphql.VariableDefinitionNode(
                variable=graphql.VariableNode(name=graphql.NameNode(value=name)),
                type=graphql.parse_type(str(input_type)),
            )
        )
        return graphql.VariableNode(name=graphql.NameNode(value=name))


def as_request(document: graphql.DocumentNode) -> tuple[str, dict[str, Any]]:
    type_info = graphql.TypeInfo(SCHEMA)
    visitor = _StringsToVariables(type_info)
    edited = graphql.visit(document, graphql.TypeInfoVisitor(type_info, visitor))
    operation = edited.definitions[0]
    operation = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(visitor.definitions),
        directives=operation.directives,
        selection_set=operation.selection_set,
    )
    return graphql.print_ast(graphql.DocumentNode(definitions=(operation,))), visitor.variables


def draw(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """``n`` derandomized examples of ``strategy`` (no shrinking: nothing fails in here)."""
    out: list[Any] = []

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(document: Any) -> None:
        out.append(document)

    collect()
    return out


ROOT_FIELDS = [("query", name) for name in SCHEMA.query_type.fields] + [  # type: ignore[union-attr]
    ("mutation", name)
    for name in SCHEMA.mutation_type.fields  # type: ignore[union-attr]
]


async def seed(runtime: Runtime, staff_token: Any) -> tuple[str, dict[str, str]]:
    world = await make_world(runtime, stock={("HP-100", "WH"): 20, ("HP-100", "S01"): 5})
    customer = await enrol_customer(runtime)
    placed = await place_order(runtime, world, lines=[("HP-100", 1, "SHIP")], customer_id=customer)
    _, admin = await staff_token(Role.ADMIN, list(world.locations.values()))
    ids = [str(encode_id("Customer", customer)), str(encode_id("Order", placed.order_id))]
    ids += [str(encode_id("Location", i)) for i in world.locations.values()]
    ids += [str(encode_id("Variant", i)) for i in world.variants.values()]
    REAL["ids"] = ids
    REAL["strings"] = [*_real_values()["strings"], placed.number, *world.variants]
    return admin, world.pos_keys


async def test_no_root_field_answers_internal_whatever_its_arguments(
    runtime: Runtime, gql: GQL, staff_token: Any
) -> None:
    admin, _ = await seed(runtime, staff_token)
    callers = {"admin": gql.as_(authorization=admin), "anonymous": gql}
    failures: list[str] = []
    sent = 0
    started = time.monotonic()
    for kind, field in ROOT_FIELDS:
        make = hypothesis_graphql.queries if kind == "query" else hypothesis_graphql.mutations
        strategy = make(
            SCHEMA, fields=[field], custom_scalars=CUSTOM_SCALARS, print_ast=lambda d: d
        )
        for document in draw(strategy, FUZZ_EXAMPLES * len(callers)):
            query, variables = as_request(document)
            caller = callers["admin" if sent % 2 == 0 else "anonymous"]
            sent += 1
            try:
                response = await caller.client.post(
                    "/graphql",
                    content=json.dumps({"query": query, "variables": variables}),
                    headers={**caller.headers, "content-type": "application/json"},
                )
            except Exception as exc:  # the app let an exception escape: a 500
                failures.append(f"{field}: {query} {variables!r} -> raised {exc!r}"[:1500])
                continue
            try:
                errors = response.json().get("errors") or []
            except ValueError:  # a 4xx with a plain message (e.g. a body that is not JSON)
                errors = [] if 400 <= response.status_code < 500 and response.text else [{}]
            internal = response.status_code >= 500 or any(
                e == {} or (e.get("extensions") or {}).get("code") == "INTERNAL" for e in errors
            )
            if internal:
                failures.append(f"{field}: {query} {variables!r} -> {response.text[:300]}"[:1500])
    timing = f"{sent} requests in {time.monotonic() - started:.0f} s"
    assert failures == [], "\n".join([timing, *failures])
    assert sent >= len(ROOT_FIELDS) * 2
