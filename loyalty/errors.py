"""Expected failures of the loyalty context, each with a stable code."""

from domain.shared.errors import Conflict, DomainError, NotFound


class CustomerNotFound(NotFound):
    code = "CUSTOMER_NOT_FOUND"


class CustomerNotActive(DomainError):
    """Merged into another profile, or erased."""

    code = "CUSTOMER_NOT_ACTIVE"


class IdentifierTaken(Conflict):
    code = "IDENTIFIER_TAKEN"


class InsufficientPoints(DomainError):
    code = "INSUFFICIENT_POINTS"


class QrTokenExpired(DomainError):
    code = "QR_TOKEN_EXPIRED"


class QrTokenInvalid(DomainError):
    code = "QR_TOKEN_INVALID"


class QrTokenReplaced(DomainError):
    code = "QR_TOKEN_REPLACED"


class MergeConflict(DomainError):
    code = "MERGE_CONFLICT"


class NothingToReverse(DomainError):
    code = "NOTHING_TO_REVERSE"
