"""The one place where domain errors become ``userErrors`` and unexpected ones are masked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
import structlog
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from api.limits import QuietSchema
from domain.shared.errors import DomainError, MultipleErrors, Unavailable, ValidationFailed
from domain.shared.outage import DB_UNAVAILABLE_MESSAGE, is_outage

log = structlog.get_logger(__name__)

P = TypeVar("P")


@strawberry.type(
    description="An expected failure: bad input, a rule that said no. Nothing was changed."
)
class UserError:
    code: str
    field: str | None
    message: str


def user_errors(exc: DomainError) -> list[UserError]:
    errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
    return [UserError(code=e.code, field=e.field, message=e.message) for e in errors]


def refused_data(exc: BaseException) -> DomainError | None:
    """PostgreSQL refused a value as data (SQLSTATE class 22: too long for its column, out of
    range, not valid text): the input was wrong, not the code. The edge guard
    (api/input_guard.py) catches these before any SQL; this is the net behind it."""
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if not (isinstance(sqlstate, str) and sqlstate.startswith("22")):
        return None
    detail = str(getattr(exc, "orig", exc)).splitlines()[0].split(": ", 1)[-1][:200]
    return ValidationFailed(
        f"A value in the request was refused ({detail}); shorten or correct it and send again."
    )


async def payload_or_errors(payload_cls: type[P], run: Callable[[], Awaitable[P]]) -> P:
    """Run a mutation body; a ``DomainError`` becomes the payload's ``userErrors``."""
    try:
        return await run()
    except Unavailable:
        raise  # not the caller's input: a top-level UNAVAILABLE error, HTTP 503
    except DomainError as exc:
        return payload_cls(user_errors=user_errors(exc))  # type: ignore[call-arg]
    except DBAPIError as exc:
        refused = refused_data(exc)
        if refused is None:
            raise
        return payload_cls(user_errors=user_errors(refused))  # type: ignore[call-arg]


def _is_public(error: GraphQLError) -> bool:
    original = error.original_error
    if original is not None and refused_data(original) is not None:
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        error.message = str(refused_data(original))
        return True
    return original is None or isinstance(original, GraphQLError | DomainError)


class MaskUnexpectedErrors(MaskErrors):
    """Masks bugs (anything that is not a GraphQL/validation/permission/domain error) and logs
    them with the request id, which the client gets back to quote."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _is_public(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context: Any = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        if error.original_error is not None and is_outage(error.original_error):
            log.warning(
                "graphql.database_unavailable",
                request_id=request_id,
                path=error.path,
                error=repr(error.original_error),
            )
            return GraphQLError(
                message=DB_UNAVAILABLE_MESSAGE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=None,
                extensions={"code": Unavailable.code, "requestId": request_id},
            )
        log.error(
            "graphql.unexpected_error",
            request_id=request_id,
            path=error.path,
            exc_info=error.original_error,
        )
        return GraphQLError(
            message=f"Unexpected error. Quote request id {request_id} to support.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for err in processed:
            original = err.original_error
            if isinstance(original, DomainError) and not (err.extensions or {}).get("code"):
                err.extensions = {**(err.extensions or {}), "code": original.code}
        return processed


class Schema(QuietSchema):
    """The schema (``QuietSchema``: no suggestions in production) whose error log tells client
    mistakes from bugs: an expected error (bad input, a rule that said no, a refused document)
    is one info line without a traceback; anything else keeps strawberry's error log with its
    traceback."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if not _is_public(error):
                super().process_errors([error], execution_context)
                continue
            original = error.original_error
            log.info(
                "graphql.client_error",
                code=(error.extensions or {}).get("code")
                or getattr(original, "code", None)
                or ("GRAPHQL_ERROR" if error.path else "GRAPHQL_VALIDATION_FAILED"),
                message=error.message,
                path=error.path,
            )
