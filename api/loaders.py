"""DataLoaders, created per request; each batch runs in its own short session.

Contexts add their loaders here as attributes built lazily, so a request pays only for what it
uses, and concurrent resolvers never share a session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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
