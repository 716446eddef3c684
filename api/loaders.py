"""DataLoaders, created per request; each batch runs in its own short session.

Contexts add their loaders here as attributes built lazily, so a request pays only for what it
uses, and concurrent resolvers never share a session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from inventory.queries import locations_by_ids

K = TypeVar("K")
V = TypeVar("V")


class Loaders:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._loaders: dict[str, DataLoader[Any, Any]] = {}

    def by_key(
        self,
        name: str,
        fetch: Callable[[AsyncSession, Sequence[Any]], Awaitable[dict[Any, Any]]],
        default: Any = None,
    ) -> DataLoader[Any, Any]:
        """A loader for ``fetch(session, keys) -> {key: value}``, one per request and name."""
        loader = self._loaders.get(name)
        if loader is None:

            async def batch(keys: list[Any]) -> list[Any]:
                async with self._session_factory() as session:
                    found = await fetch(session, keys)
                return [found.get(k, default) for k in keys]

            loader = DataLoader(load_fn=batch)
            self._loaders[name] = loader
        return loader

    @property
    def location(self) -> DataLoader[int, Any]:
        return self.by_key("location", locations_by_ids)


class Preloaded:
    """What a mutation's response shows, read inside the mutation's own transaction and handed
    to the request's loaders once it committed. A committed mutation then answers from data
    in hand, even if no connection can be had afterwards (pool exhausted, database restarting):
    it never reports an error for work that was done."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._found: list[tuple[str, Any, Any, dict[Any, Any]]] = []

    async def fetch(
        self,
        name: str,
        fetch: Callable[[AsyncSession, Sequence[Any]], Awaitable[dict[Any, Any]]],
        keys: Iterable[Any],
        default: Any = None,
    ) -> dict[Any, Any]:
        """Like ``Loaders.by_key(name, fetch, default).load_many(keys)``, on this session."""
        wanted = list(dict.fromkeys(k for k in keys if k is not None))
        found = await fetch(self._session, wanted) if wanted else {}
        values = {k: found.get(k, default) for k in wanted}
        self._found.append((name, fetch, default, values))
        return values

    def prime(self, loaders: Loaders) -> None:
        for name, fetch, default, values in self._found:
            loaders.by_key(name, fetch, default).prime_many(values, force=True)
