"""Expected failures of returns, each with a stable code."""

from __future__ import annotations

from domain.shared.errors import Conflict, DomainError, NotFound


class ReturnNotFound(NotFound):
    code = "RETURN_NOT_FOUND"


class ReturnWindowClosed(DomainError):
    code = "RETURN_WINDOW_CLOSED"


class ReturnQuantityExceeded(DomainError):
    """More units than were handed over and not yet returned (or cancellable)."""

    code = "RETURN_QUANTITY_EXCEEDED"


class ReturnState(Conflict):
    code = "RETURN_STATE"
