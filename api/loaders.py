"""The request's read connection and its DataLoaders.

A request reads through at most one pool connection: taken on the first read, shared by every
loader batch and read resolver of the request, and given back when the request ends (so five
aliased copies of an expensive list cost five connections, not one per item). Statements on
one connection cannot overlap, so batches take turns under a lock; each batch still runs in a
short session (and transaction) of its own, so no batch sees another's cached objects.

Contexts add their loaders here as attributes built lazily, so a request pays only for what it
uses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from domain.shared.uow import UnitOfWork
from inventory.queries import locations_by_ids

K = TypeVar("K")
V = TypeVar("V")


class RequestReads:
    """One pool checkout for a request's reads (see the module docstring).

    ``sticky=False`` (a websocket, which lives for hours) gives the connection back after every
    use instead of at the end; so does any use after :meth:`release`.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        sticky: bool = True,
    ) -> None:
        self._engine = engine
        self._session_factory = session_factory
        self._sticky = sticky
        self._lock = asyncio.Lock()
        self._conn: AsyncConnection | None = None
        self._owner: asyncio.Task[Any] | None = None
        self._current: AsyncSession | None = None
        self.checkouts = 0

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A short session on the request's connection; one at a time per request.

        Hold it only around query calls: awaiting a loader inside would wait for this very
        lock. A nested use in the same task gets the session already open."""
        task = asyncio.current_task()
        if self._current is not None and self._owner is task:
            yield self._current
            return
        async with self._lock:
            self._owner = task
            try:
                if self._conn is None:
                    self._conn = await self._engine.connect()
                    self.checkouts += 1
                async with self._session_factory(bind=self._conn) as session:
                    self._current = session
                    yield session
            except BaseException:
                if self._conn is not None and self._conn.invalidated:
                    await self._drop()
                raise
            finally:
                self._current = None
                self._owner = None
                if not self._sticky:
                    await self._drop()

    async def release(self) -> None:
        """Give the connection back to the pool (end of request, or a write is about to take
        a connection of its own); later uses are short."""
        if self._current is not None and self._owner is asyncio.current_task():
            self._sticky = False  # inside this task's own read: it is given back on leaving
            return
        async with self._lock:
            self._sticky = False
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()


class RequestUnitOfWork(UnitOfWork):
    """A mutation's unit of work that first gives back the request's read connection: a
    request holding an idle connection while it waits for a second one could, with as many
    such requests as the pool has connections, block every one of them until the pool times
    out."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        reads: RequestReads,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(session_factory, after_commit=after_commit)
        self._reads = reads

    async def __aenter__(self) -> Self:
        if self._depth == 0:
            await self._reads.release()
        return await super().__aenter__()


class Loaders:
    def __init__(self, reads: RequestReads) -> None:
        self._reads = reads
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
                async with self._reads.session() as session:
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
