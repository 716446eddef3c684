"""The edge guard's rules on coerced arguments, without a server: whatever transport brought
the value (the HTTP body parser refuses a lone surrogate first; a websocket or an embedding
caller may not), the guard names the field."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from api.input_guard import Violation, find_violations
from api.schema import build_schema
from domain.shared.settings import Settings

SCHEMA = build_schema(Settings(dev_mode=True))._schema


def violations(document: str, variables: dict[str, Any]) -> list[Violation]:
    doc = parse(document)
    operation = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    return find_violations(SCHEMA, operation, fragments, variables)


@pytest.mark.parametrize("bad", ["a\ud800b", "a\udfffb", "a\x00b"])
def test_text_that_is_not_storable_is_refused_by_field_path(bad: str) -> None:
    found = violations(
        """mutation($i: CartLinesAddInput!) { cartLinesAdd(input: $i) { userErrors { code } } }""",
        {"i": {"token": "t", "lines": [{"sku": "HP-100"}, {"sku": bad, "quantity": 1}]}},
    )
    assert [(v.root, v.field) for v in found] == [("cartLinesAdd", "lines[1].sku")]


def test_fields_under_an_alias_and_in_fragments_belong_to_their_root_field() -> None:
    found = violations(
        """query($t: String!, $n: String!) { a: cart(token: $t) { id } ...F }
        fragment F on Query { order(number: $n) { id } }""",
        {"t": "x" * 65, "n": "ok"},
    )
    assert found == [
        Violation(
            root="a", field="token", message="`token` is 65 characters long; send at most 64."
        )
    ]


def test_clean_input_has_no_violation() -> None:
    assert (
        violations(
            "mutation($i: PointsAdjustInput!) { pointsAdjust(input: $i) { entry { id } } }",
            {"i": {"customerId": "Q3VzdG9tZXI6MQ==", "points": 1_000_000, "reason": "goodwill"}},
        )
        == []
    )
