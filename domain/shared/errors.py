"""Expected failures. Each has a stable ``code``; ``api`` turns them into ``userErrors``."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. The message tells the user what to do next."""

    code: str = "INVALID"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class ValidationFailed(DomainError):
    code = "INVALID"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class Forbidden(DomainError):
    """The caller may use the operation, but not on this object (e.g. another store)."""

    code = "FORBIDDEN"


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"


class MultipleErrors(DomainError):
    """Several independent input problems reported together; nothing was written."""

    code = "INVALID"

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class Unavailable(DomainError):
    """A service this request needs is not there right now (database restarting, failover, no
    pooled connection). Not a userError: the API answers HTTP 503 with Retry-After and the
    client retries with the same idempotency key."""

    code = "UNAVAILABLE"
