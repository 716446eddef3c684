"""Which failures are an outage (UNAVAILABLE, HTTP 503) and which stay bugs (INTERNAL)."""

from __future__ import annotations

import errno

import asyncpg.exceptions as pg
import pytest
import sqlalchemy.exc as sa

from domain.shared.outage import is_outage


def wrapped(orig: BaseException, *, invalidated: bool = False) -> sa.DBAPIError:
    """What SQLAlchemy raises: a DBAPIError whose ``orig`` is the driver's error."""
    try:
        raise orig
    except BaseException as cause:
        error = sa.DBAPIError("SELECT 1", None, cause, connection_invalidated=invalidated)
        error.__cause__ = cause
        return error


OUTAGES = [
    pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    pg.ConnectionFailureError("connection failure"),
    pg.CannotConnectNowError("the database system is starting up"),
    pg.AdminShutdownError("terminating connection due to administrator command"),
    pg.CrashShutdownError("terminating connection because of crash of another server process"),
    pg.TooManyConnectionsError("sorry, too many clients already"),
    pg.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"),
    pg.InterfaceError("connection is closed"),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
    ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    FileNotFoundError(errno.ENOENT, "No such file or directory"),  # embedded server's socket
    OSError(errno.EHOSTUNREACH, "No route to host"),
    TimeoutError("connect timed out"),
    sa.TimeoutError("QueuePool limit of size 1 overflow 0 reached"),
]


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_connection_loss_shutdown_failover_and_pool_timeout_are_outages(error: BaseException):
    assert is_outage(error)
    assert is_outage(wrapped(error))


BUGS = [
    ValueError("bad"),
    KeyError("x"),
    pg.UniqueViolationError("duplicate key value"),
    pg.QueryCanceledError("canceling statement due to statement timeout"),
    pg.InterfaceError("cannot perform operation: another operation is in progress"),
    OSError(errno.EACCES, "Permission denied"),
    sa.IntegrityError("INSERT", None, Exception("duplicate")),
]


@pytest.mark.parametrize("error", BUGS, ids=lambda e: type(e).__name__)
def test_everything_else_stays_a_bug(error: BaseException):
    assert not is_outage(error)
    assert not is_outage(wrapped(error))


def test_a_connection_sqlalchemy_invalidated_is_an_outage_whatever_the_driver_said():
    assert is_outage(wrapped(pg.InternalClientError("cannot switch to state 12"), invalidated=True))


def test_a_bug_raised_while_handling_an_outage_is_still_a_bug():
    try:
        try:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "refused")
        except ConnectionRefusedError:
            raise KeyError("typo in the handler")  # noqa: B904 (the point of the test)
    except KeyError as bug:
        assert not is_outage(bug)
