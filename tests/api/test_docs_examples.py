"""Every GraphQL example in README.md and docs/*.md is valid against the schema: the documents
readers copy must parse and validate (field names, arguments, input types)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import DocumentNode, FragmentDefinitionNode, parse, validate

from api.schema import build_schema
from domain.shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```graphql\n(.*?)```", re.S)


def _examples() -> list[tuple[str, int, str]]:
    out = []
    for page in PAGES:
        text = page.read_text()
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            out.append((page.relative_to(ROOT).as_posix(), line, match.group(1)))
    return out


EXAMPLES = _examples()


@pytest.fixture(scope="module")
def graphql_schema():  # type: ignore[no-untyped-def]
    return build_schema(Settings(secret_key="x" * 32, dev=True))._schema


def test_the_pages_have_examples() -> None:
    pages = {page for page, _, _ in EXAMPLES}
    assert {"README.md", "docs/orders.md", "docs/returns.md", "docs/clienteling.md"} <= pages


@pytest.mark.parametrize("page,line,source", EXAMPLES, ids=[f"{p}:{n}" for p, n, _ in EXAMPLES])
def test_example_is_valid(graphql_schema, page: str, line: int, source: str) -> None:  # type: ignore[no-untyped-def]
    document = parse(source)
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    operations = [d for d in document.definitions if not isinstance(d, FragmentDefinitionNode)]
    # A block may show several anonymous operations one after another: check each on its own.
    for operation in operations:
        errors = validate(graphql_schema, DocumentNode(definitions=(operation, *fragments)))
        assert not errors, f"{page}:{line}: " + "; ".join(e.message for e in errors)
