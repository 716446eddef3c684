"""Production leaks no schema: no "Did you mean" from validation or from coercing variables, for
any kind of name; development keeps the hints. Unknown directives are one error."""

from __future__ import annotations

from typing import Any

import pytest

from domain.access.model import Role
from tests.conftest import GQL

LOCATIONS = "{ edges { node { code } } }"

# kind -> (document, variables, *the production messages, exactly)
PROBES: dict[str, tuple[Any, ...]] = {
    "field": ("{ viewer { rol } }", None, "Cannot query field 'rol' on type 'Viewer'."),
    "argument": (
        "{ locations(frist: 5) " + LOCATIONS + " }",
        None,
        "Unknown argument 'frist' on field 'Query.locations'.",
    ),
    "type": (
        "{ ... on Qery { viewer { role } } }",
        None,
        "Unknown type 'Qery'.",
    ),
    "variable type": (
        "query($k: LocationKnd) { locations(kind: $k) " + LOCATIONS + " }",
        None,
        "Unknown type 'LocationKnd'.",
    ),
    "enum value": (
        "{ locations(kind: STOR) " + LOCATIONS + " }",
        None,
        "Value 'STOR' does not exist in 'LocationKind' enum.",
    ),
    "input field": (
        'mutation { apiKeyCreate(input: {nam: "web", channel: WEB}) { userErrors { code } } }',
        None,
        "Expected value of type 'ApiKeyCreateInput' to include required field 'name', found: "
        '{ nam: "web", channel: WEB }.',
        "Expected value of type 'ApiKeyCreateInput' not to include unknown field 'nam', found: "
        '{ nam: "web", channel: WEB }.',
    ),
    "directive argument": (
        "{ viewer @include(iff: true) { role } }",
        None,
        "Unknown argument 'iff' on directive '@include'.",
        "Argument '@include(if:)' of type 'Boolean!' is required, but it was not provided.",
    ),
    "enum value in a variable": (
        "query($k: LocationKind) { locations(kind: $k) " + LOCATIONS + " }",
        {"k": "STOR"},
        "Variable '$k' has invalid value: Value 'STOR' does not exist in 'LocationKind' enum.",
    ),
    "input field in a variable": (
        "mutation($i: ApiKeyCreateInput!) { apiKeyCreate(input: $i) { userErrors { code } } }",
        {"i": {"nam": "web", "channel": "WEB"}},
        "Variable '$i' has invalid value: Expected value of type 'ApiKeyCreateInput' to include "
        "required field 'name', found: {'nam': 'web', 'channel': 'WEB'}.",
        "Variable '$i' has invalid value: Expected value of type 'ApiKeyCreateInput' not to "
        "include unknown field 'nam', found: {'nam': 'web', 'channel': 'WEB'}.",
    ),
}


@pytest.mark.parametrize("kind", list(PROBES))
async def test_production_suggests_no_names(prod: GQL, staff_token, kind: str) -> None:
    _, admin = await staff_token(Role.ADMIN)
    document, variables, *messages = PROBES[kind]
    response = await prod.as_(authorization=admin).raw(document, variables)
    assert "Did you mean" not in response.text
    body = response.json()
    assert [e["message"] for e in body["errors"]] == messages
    assert body.get("data") is None


@pytest.mark.parametrize("kind", ["argument", "enum value", "enum value in a variable"])
async def test_development_keeps_the_hints(gql: GQL, staff_token, kind: str) -> None:
    _, admin = await staff_token(Role.ADMIN)
    document, variables, message = PROBES[kind]
    body = (await gql.as_(authorization=admin).raw(document, variables)).json()
    [error] = body["errors"]
    assert error["message"].startswith(message + " Did you mean "), error["message"]


async def test_ten_unknown_directives_are_one_error(prod: GQL) -> None:
    document = "{ viewer " + " ".join(f"@d{i}" for i in range(10)) + " { role } }"
    body = (await prod.raw(document)).json()
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "Unknown directives '@d0', '@d1', '@d2', '@d3', '@d4' and 5 more (10 uses); remove them."
    ]


async def test_a_repeated_unknown_directive_is_named_once(prod: GQL) -> None:
    document = "{ viewer @cached { role @cached kind @cached } }"
    body = (await prod.raw(document)).json()
    assert [e["message"] for e in body["errors"]] == [
        "Unknown directives '@cached' (3 uses); remove them."
    ]
