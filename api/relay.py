"""Relay plumbing: opaque global IDs and cursor connections with keyset cursors."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from strawberry import relay

from domain.shared.errors import ValidationFailed

T = TypeVar("T")
R = TypeVar("R")


def decode_id(value: relay.GlobalID | str, type_name: str, *, field: str = "id") -> int:
    """A global ID of the expected type to its database id; anything else is a userError."""
    try:
        gid = value if isinstance(value, relay.GlobalID) else relay.GlobalID.from_id(value)
        if gid.type_name != type_name:
            raise ValueError(gid.type_name)
        return int(gid.node_id)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"'{value}' is not a {type_name} id.", field=field) from exc


def encode_id(type_name: str, db_id: int) -> relay.GlobalID:
    return relay.GlobalID(type_name, str(db_id))


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, arity: int = 1) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = orjson.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(key, list) or len(key) != arity:
            raise ValueError(cursor)
        return key
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise ValidationFailed(
            "The `after` cursor is not one this API gave out.", field="after"
        ) from exc


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        default=None, description="Filled where counting is cheap; null otherwise."
    )

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection(
    rows: Sequence[R],
    *,
    first: int,
    after: str | None,
    key: Callable[[R], Sequence[Any]],
    node: Callable[[R], T],
    total_count: int | None = None,
) -> Connection[T]:
    """Build a page from ``first + 1`` rows fetched after the cursor (the extra row only tells
    whether a next page exists)."""
    page = list(rows[:first])
    edges = [Edge(cursor=encode_cursor(key(r)), node=node(r)) for r in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total_count,
    )
