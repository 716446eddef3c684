"""Unit of work: one transaction per mutation; leaving it without ``commit()`` rolls back.

Re-entrant: a service that opens ``async with uow`` inside a caller's unit of work (the
idempotency guard, a service calling another) joins the caller's transaction, and its
``commit()`` is deferred to the outermost level. So a mutation never commits half its writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.shared.events import Event
from domain.shared.outbox import NOTIFY_CHANNEL, OutboxEvent


class UnitOfWork:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self._factory = session_factory
        self._after_commit = after_commit
        self._depth = 0
        self._session: AsyncSession | None = None
        self._events: list[Event] = []
        self.committed = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with uow:'")
        return self._session

    async def __aenter__(self) -> Self:
        if self._depth == 0:
            self._session = self._factory()
            self._events = []
            self.committed = False
        self._depth += 1
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        session, self._session = self._session, None
        assert session is not None
        try:
            if not self.committed:
                await session.rollback()
        finally:
            await session.close()
            self._events = []

    def record(self, *events: Event) -> None:
        """Queue events; they are written to the outbox in this transaction at commit."""
        self._events.extend(events)

    async def commit(self) -> None:
        if self._depth > 1:
            return  # the outermost level commits
        session = self.session
        if self._events:
            session.add_all(OutboxEvent(topic=e.topic, payload=e.payload()) for e in self._events)
            await session.flush()
            # Delivered by PostgreSQL only if this transaction commits: wakes every relay.
            await session.execute(text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})
        await session.commit()
        self.committed = True
        had_events, self._events = bool(self._events), []
        if had_events and self._after_commit is not None:
            self._after_commit()
