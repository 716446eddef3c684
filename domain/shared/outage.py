"""Which failures mean "the database is not there right now" (connection lost, server
restarting or shutting down, failover to a read-only node, pool exhausted), by class, in one
place. The API answers them ``UNAVAILABLE`` (HTTP 503 + Retry-After): the client retries with
the same idempotency key. Anything else that is not a domain error stays a bug (INTERNAL).
"""

from __future__ import annotations

import errno

import asyncpg.exceptions as pg
import sqlalchemy.exc as sa

# Server-side states: the connection class (08xxx), operator intervention (admin/crash
# shutdown, cannot connect now: 57P01-57P04), too many connections, and a write that reached a
# standby during failover (25006). Statement cancels (57014) are not outages.
_PG_OUTAGES: tuple[type[BaseException], ...] = (
    pg.PostgresConnectionError,
    pg.AdminShutdownError,
    pg.CrashShutdownError,
    pg.CannotConnectNowError,
    pg.DatabaseDroppedError,
    pg.TooManyConnectionsError,
    pg.ReadOnlySQLTransactionError,
)
# Client-side: the socket went away or never came (TCP or the Unix socket of an embedded
# server that is stopped), or a connect timed out.
_NET_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ENOENT,
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ETIMEDOUT,
    }
)

DB_UNAVAILABLE_MESSAGE = (
    "The database is unavailable right now (restarting or failing over). Nothing was lost: "
    "retry in a few seconds with the same idempotency key."
)


def _is_outage_itself(exc: BaseException) -> bool:
    if isinstance(exc, sa.TimeoutError):  # the pool had no connection to give in time
        return True
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, _PG_OUTAGES):
        return True
    if isinstance(exc, pg.InterfaceError) and "connection is closed" in str(exc):
        return True
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    return isinstance(exc, OSError) and exc.errno in _NET_ERRNOS


def is_outage(exc: BaseException) -> bool:
    """True when ``exc``, or what it wraps (SQLAlchemy's ``orig``, ``raise ... from``), says
    the database cannot be reached right now. Not ``__context__``: a bug raised while handling
    an outage is still a bug."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _is_outage_itself(current):
            return True
        todo.extend([getattr(current, "orig", None), current.__cause__])
    return False
