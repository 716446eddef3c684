"""Relay plumbing: opaque global IDs and cursor connections with keyset cursors."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
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
        db_id = int(gid.node_id)
        if not 0 < db_id <= MAX_DB_ID:
            raise ValueError(gid.node_id)
        return db_id
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"'{value}' is not a {type_name} id.", field=field) from exc


def encode_id(type_name: str, db_id: int) -> relay.GlobalID:
    return relay.GlobalID(type_name, str(db_id))


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


MAX_DB_ID = 2**63 - 1
CURSOR_TEXT_CHARS = 1_000


def _cursor_part(value: Any, kind: type) -> bool:
    """Whether one decoded cursor element is of the kind this list encodes there."""
    if kind is int:
        return type(value) is int and 0 <= value <= MAX_DB_ID
    if kind is datetime:  # encoded as an ISO string with its UTC offset
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return False
        return parsed is not None and parsed.tzinfo is not None and _cursor_part(value, str)
    if kind is str:
        return (
            isinstance(value, str)
            and len(value) <= CURSOR_TEXT_CHARS
            and "\x00" not in value
            and _encodable(value)
        )
    return isinstance(value, kind)


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_cursor(cursor: str | None, *, types: Sequence[type] = (int,)) -> list[Any] | None:
    """The key a cursor from :func:`encode_cursor` carries, checked element by element against
    ``types`` (``int``: a database id, ``str``: text, ``datetime``: an ISO timestamp with its
    offset, left as the string). A cursor this API did not give out is a userError on `after`,
    never a query the database refuses."""
    if cursor is None:
        return None
    try:
        if len(cursor) > 4 * CURSOR_TEXT_CHARS:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        key = orjson.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(key, list) or len(key) != len(types):
            raise ValueError(cursor)
        if not all(_cursor_part(v, t) for v, t in zip(key, types, strict=True)):
            raise ValueError(cursor)
        return key
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise ValidationFailed(
            "The `after` cursor is not one this API gave out; use a page's `endCursor` "
            "as it came, or leave `after` out to start from the first page.",
            field="after",
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
