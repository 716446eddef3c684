"""Who may see an object: declared once on its GraphQL type, applied wherever it is reached.

Every type implementing ``relay.Node`` declares a classmethod ``can_see(info, node) -> bool``
(sync or async; it may reload its row through the request's loaders, which are cached, so the
check costs no extra query). ``node`` / ``nodes`` always pass what they resolved through
``visible``, and fields that return another owner's object (an order's customer, a
consultation's consultant) do the same, so the rule cannot be skipped by the way an object is
reached. A Node type that declares no rule is never shown (fail closed), and
``tests/api/test_node_visibility.py`` fails for it.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable
from typing import Any, TypeVar

import structlog
from strawberry import relay
from strawberry.types import Info

POLICY = "can_see"

T = TypeVar("T")

log = structlog.get_logger(__name__)


def declares_policy(cls: type) -> bool:
    """The type states its own rule (an inherited one does not count)."""
    return POLICY in vars(cls)


async def may_see(info: Info, node: Any) -> bool:
    cls = type(node)
    if not declares_policy(cls):
        log.warning("node_type_without_visibility_rule", type=cls.__name__)
        return False
    verdict = getattr(cls, POLICY)(info, node)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    return bool(verdict)


async def visible(info: Info, node: T | None) -> T | None:
    """``node`` if the caller may see it, else None ("no such object")."""
    if node is None:
        return None
    return node if await may_see(info, node) else None


async def resolve_visible(info: Info, gid: relay.GlobalID) -> Any:
    """The object behind a global id, or None if there is none or the caller may not see it
    (the two are indistinguishable on purpose)."""
    try:
        node = gid.resolve_node(info, required=False)
        node = await node if inspect.isawaitable(node) else node
    except (KeyError, ValueError):  # GlobalIDValueError is a ValueError
        return None  # an id of no known type, or not ours: "no such object"
    return await visible(info, node)


async def visible_each(info: Info, nodes: Iterable[T | None]) -> list[T | None]:
    """Per position: the node or None (for ``nodes(ids:)``, which keeps the order asked)."""
    return list(await asyncio.gather(*(visible(info, n) for n in nodes)))


async def only_visible(info: Info, nodes: Iterable[T | None]) -> list[T]:
    """The visible ones, in order (for list fields)."""
    return [n for n in await visible_each(info, nodes) if n is not None]
