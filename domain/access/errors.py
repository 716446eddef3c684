from domain.shared.errors import DomainError


class AuthenticationFailed(DomainError):
    """Bad credentials. Deliberately does not say whether the email exists."""

    code = "INVALID_CREDENTIALS"


class InvalidToken(DomainError):
    code = "INVALID_TOKEN"


class InvalidApiKey(DomainError):
    code = "INVALID_API_KEY"
