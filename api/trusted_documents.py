"""Trusted documents (persisted queries): clients send a registered document's id instead of
its text, and the server runs the document it parsed and validated once per process.

Wire formats: Apollo's ``extensions.persistedQuery.sha256Hash`` (automatic persisted queries)
and the GraphQL-over-HTTP draft's ``documentId: "sha256:<hex>"``, by POST or, for queries, GET
(what a CDN caches; the id plus the variables make the cache key). The id is the SHA-256 of the
exact text, so a client build computes it without asking the server.

TRUSTED_DOCUMENTS says who may still send text: ``off`` (nobody sends ids), ``allow``,
``anonymous-only`` (storefront visitors must send ids), ``only``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
    specified_rules,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import ParserCache

from api.complexity import DocumentFacts, analyse
from api.limits import document_errors, validate_cached
from domain.access.documents import (
    HASH_RE,
    ID_PREFIX,
    NewDocument,
    document_body,
    document_hash,
    must_send_id,
    register_documents,
)
from domain.shared.settings import Settings
from domain.shared.uow import UnitOfWork

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
INVALID = "TRUSTED_DOCUMENT_INVALID"
MAX_FACTS_PER_DOCUMENT = 64
DOCUMENT_ID_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


class TrustedDocumentRefused(Exception):
    """The request names a document the wrong way: HTTP 400 with this message."""


@dataclass
class TrustedDocument:
    """A registered document, parsed and validated: requests naming it skip both."""

    sha256: str
    body: str
    document: DocumentNode
    # Measured facts per (operation, the variables the cost depends on): cost needs them.
    _facts: dict[tuple[Any, ...], DocumentFacts] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return ID_PREFIX + self.sha256

    def facts(
        self,
        *,
        schema: GraphQLSchema,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        max_page_size: int,
    ) -> DocumentFacts:
        key = (operation_name, *_cost_inputs(variables))
        facts = self._facts.get(key)
        if facts is None:
            facts = analyse(
                self.document,
                schema=schema,
                operation_name=operation_name,
                variables=variables,
                max_page_size=max_page_size,
            )
            if len(self._facts) < MAX_FACTS_PER_DOCUMENT:
                self._facts[key] = facts
        return facts


def _cost_inputs(variables: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """What of the variables a cost can depend on: page sizes (ints) and id list lengths."""
    out: list[Any] = []
    for name, value in sorted((variables or {}).items()):
        if isinstance(value, int) and not isinstance(value, bool):
            out.append((name, value))
        elif isinstance(value, list):
            out.append((name, len(value)))
    return tuple(out)


def validation_rules(settings: Settings) -> tuple[Any, ...]:
    """The rules a request's document is validated with (api.limits.limit_extensions adds the
    introspection rule in production the same way)."""
    extra = () if settings.dev_mode else (NoSchemaIntrospectionCustomRule,)
    return (*specified_rules, *extra)


def problems(body: str, *, schema: GraphQLSchema, settings: Settings) -> list[str]:
    """What stops ``body`` from running: syntax, the document limits, schema validation."""
    parsed = _parse(body, settings)
    if isinstance(parsed, str):
        return [parsed]
    return [error.message for error in _document_errors(parsed, schema=schema, settings=settings)]


def _parse(body: str, settings: Settings) -> DocumentNode | str:
    if not body.strip():
        return "The document is empty."
    try:
        return parse(body, max_tokens=settings.max_tokens)
    except GraphQLSyntaxError as exc:
        return f"Not valid GraphQL: {exc.message}."


def _document_errors(
    document: DocumentNode, *, schema: GraphQLSchema, settings: Settings
) -> list[GraphQLError]:
    facts = analyse(document, schema=schema, max_page_size=settings.max_page_size)
    if errors := document_errors(facts, settings):
        return errors
    # No "Did you mean" hints: a registered document is a build artefact, not a typing session.
    return validate_cached(schema, document, validation_rules(settings), True)


class TrustedDocuments:
    """This process's registered documents by hash, each parsed and validated once: filled from
    the table at first use (so a document registered through another replica works here), then
    kept. Only documents that pass are kept; they are few (one set per client build)."""

    def __init__(self, *, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self._documents: dict[str, TrustedDocument] = {}

    def prepare(self, sha256: str, body: str) -> TrustedDocument | None:
        """Parse and validate ``body`` once; None when it does not pass (the request then runs
        as text, so the client sees why)."""
        known = self._documents.get(sha256)
        if known is not None:
            return known
        parsed = _parse(body, self.settings)
        if isinstance(parsed, str) or _document_errors(
            parsed, schema=self.schema, settings=self.settings
        ):
            return None
        document = self._documents[sha256] = TrustedDocument(
            sha256=sha256, body=body, document=parsed
        )
        return document

    async def auto_register(
        self, sha256: str, body: str, *, uow: UnitOfWork
    ) -> TrustedDocument | None:
        """Apollo APQ: the client sent the hash with its text; register a valid one."""
        prepared = self.prepare(sha256, body)
        if prepared is not None:
            await register_documents(
                uow,
                documents=[NewDocument(body=body, name=_operation_name(prepared.document))],
                actor="apq",
                check=lambda _: [],
            )
        return prepared

    async def find(
        self, sha256: str, *, session: AsyncSession
    ) -> tuple[TrustedDocument | None, list[str] | None]:
        """The document with this hash: (prepared, None); (None, its problems) when it was
        registered but no longer passes (the schema or the limits changed); (None, None) when
        nobody registered it."""
        known = self._documents.get(sha256)
        if known is not None:
            return known, None
        body = await document_body(session, sha256)
        if body is None:
            return None, None
        prepared = self.prepare(sha256, body)
        if prepared is not None:
            return prepared, None
        return None, problems(body, schema=self.schema, settings=self.settings)


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """How a request names a document: its hash, and the text if it sent that too."""

    sha256: str
    apollo: bool  # named by extensions.persistedQuery (Apollo APQ)


def requested_ref(*, document_id: Any, extensions: Mapping[str, Any] | None) -> DocumentRef | None:
    """The document a request names by id (``documentId`` or Apollo's ``persistedQuery``)."""
    by_id = by_apq = None
    if document_id is not None:
        if not isinstance(document_id, str) or not DOCUMENT_ID_RE.match(document_id):
            raise TrustedDocumentRefused(
                '`documentId` must be "sha256:" followed by the 64 lowercase hex digits of the '
                "SHA-256 of the document's exact text."
            )
        by_id = document_id[len(ID_PREFIX) :]
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is not None:
        sha = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise TrustedDocumentRefused(
                "`extensions.persistedQuery` must be "
                '{"version": 1, "sha256Hash": "<64 hex digits>"}; only version 1 is supported.'
            )
        if not isinstance(sha, str) or not HASH_RE.match(sha):
            raise TrustedDocumentRefused(
                "`extensions.persistedQuery.sha256Hash` must be the 64 lowercase hex digits of "
                "the SHA-256 of the document's exact text."
            )
        by_apq = sha
    if by_id is not None and by_apq is not None and by_id != by_apq:
        raise TrustedDocumentRefused(
            "`documentId` and `extensions.persistedQuery.sha256Hash` name different documents; "
            "send one of them."
        )
    sha256 = by_id or by_apq
    return DocumentRef(sha256=sha256, apollo=by_id is None) if sha256 else None


def check_text_matches(ref: DocumentRef, query: str) -> None:
    if document_hash(query) != ref.sha256:
        raise TrustedDocumentRefused(
            "The document id does not match the SHA-256 of `query` (provided sha does not "
            "match query); hash the exact text you send."
        )


def may_auto_register(settings: Settings) -> bool:
    return settings.dev_mode or settings.trusted_documents_auto_register


def error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def not_found(ref: DocumentRef) -> GraphQLError:
    # Apollo clients resend the text on this code (APQ); others learn how to register.
    return error(
        NOT_FOUND,
        f"PersistedQueryNotFound: no document is registered as sha256:{ref.sha256}. Register it "
        "(`omnicommerce documents-register` or the trustedDocumentsRegister mutation) or send "
        "its text in `query`.",
    )


def not_supported() -> GraphQLError:
    # Apollo clients fall back to sending the text on this code.
    return error(
        NOT_SUPPORTED,
        "PersistedQueryNotSupported: this server does not take document ids "
        "(TRUSTED_DOCUMENTS=off); send the document's text in `query`.",
    )


def no_longer_valid(ref: DocumentRef, problems: list[str]) -> GraphQLError:
    return error(
        INVALID,
        f"The document sha256:{ref.sha256} is registered but no longer runs on this server: "
        f"{' '.join(problems)} Register the documents of a build made for this API version.",
    )


class TrustedParserCache(ParserCache):
    """ParserCache, except that a request running a trusted document takes its parsed document
    as it is (validation is skipped by api.limits.DocumentLimits for the same request)."""

    def on_parse(self) -> Iterator[None]:
        trusted = getattr(self.execution_context.context, "trusted_document", None)
        if isinstance(trusted, TrustedDocument):
            self.execution_context.graphql_document = trusted.document
            yield
            return
        yield from super().on_parse()


def _operation_name(document: DocumentNode) -> str:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None:
            return definition.name.value[:200]
    return "anonymous"


def problem_check(schema: GraphQLSchema, settings: Settings) -> Callable[[str], list[str]]:
    return lambda body: problems(body, schema=schema, settings=settings)


__all__ = [
    "NOT_FOUND",
    "DocumentRef",
    "TrustedDocument",
    "TrustedDocumentRefused",
    "TrustedDocuments",
    "TrustedParserCache",
    "must_send_id",
    "problem_check",
    "problems",
    "requested_ref",
]
