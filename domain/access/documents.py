"""Trusted documents (persisted queries): the GraphQL documents client builds registered ahead of
time, found by the SHA-256 of their exact text.

Whether a document is valid GraphQL for the schema is the API's business: registering takes a
``check`` that lists what is wrong with a body, and stores nothing when any body has a problem.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Channel, Principal, PrincipalKind
from domain.access.tables import TrustedDocumentRow
from domain.shared.errors import DomainError, MultipleErrors, ValidationFailed
from domain.shared.uow import UnitOfWork

ID_PREFIX = "sha256:"
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_NAME = 200
MAX_DOCUMENTS = 500
REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"
#: Storefront visitors: no token, on a web or app key (or no key at all).
ANONYMOUS_CHANNELS = frozenset({Channel.WEB, Channel.APP})
_WHO = {"anonymous-only": "anonymous callers", "only": "every caller"}


def document_hash(body: str) -> str:
    """The SHA-256 (hex) of the exact UTF-8 text: the key of the document everywhere."""
    return hashlib.sha256(body.encode()).hexdigest()


def document_id(sha256: str) -> str:
    """The id clients send (GraphQL-over-HTTP trusted documents: ``sha256:<hex>``)."""
    return ID_PREFIX + sha256


@dataclass(frozen=True, slots=True)
class NewDocument:
    body: str
    name: str


async def register_documents(
    uow: UnitOfWork,
    *,
    documents: Sequence[NewDocument],
    actor: str,
    check: Callable[[str], list[str]],
) -> list[str]:
    """Store the documents (a body registered before keeps its first name); their ids in order.
    Nothing is stored when any document has a problem."""
    if not documents:
        raise ValidationFailed("Send at least one document to register.", field="documents")
    if len(documents) > MAX_DOCUMENTS:
        raise ValidationFailed(
            f"Register at most {MAX_DOCUMENTS} documents at once; split the manifest.",
            field="documents",
        )
    problems: list[DomainError] = []
    for i, doc in enumerate(documents):
        name = doc.name.strip()
        if not name or len(name) > MAX_NAME:
            problems.append(
                ValidationFailed(
                    f"Document {i + 1}: give it a name of 1 to {MAX_NAME} characters "
                    "(its operation name will do).",
                    field=f"documents.{i}.name",
                )
            )
        for problem in check(doc.body):
            problems.append(
                ValidationFailed(
                    f"Document {i + 1} ({name or 'unnamed'}): {problem} Fix the document and "
                    "register it again.",
                    field=f"documents.{i}.body",
                )
            )
    if problems:
        raise MultipleErrors(problems)
    async with uow:
        rows = [
            {
                "sha256": document_hash(d.body),
                "body": d.body,
                "name": d.name.strip(),
                "created_by": actor,
            }
            for d in documents
        ]
        await uow.session.execute(
            insert(TrustedDocumentRow)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        await uow.commit()
    return [document_id(row["sha256"]) for row in rows]


async def document_body(session: AsyncSession, sha256: str) -> str | None:
    """The registered text with this hash, or None."""
    return await session.scalar(
        select(TrustedDocumentRow.body).where(TrustedDocumentRow.sha256 == sha256)
    )


def must_send_id(mode: str, principal: Principal) -> bool:
    """Whether this caller may only run registered documents (TRUSTED_DOCUMENTS=``mode``)."""
    if mode == "only":
        return True
    if mode == "anonymous-only":
        return principal.kind is PrincipalKind.ANONYMOUS and principal.channel in ANONYMOUS_CHANNELS
    return False


def text_refused_message(mode: str) -> str:
    return (
        f"{REQUIRED}: this server runs only registered documents for {_WHO[mode]} "
        f'(TRUSTED_DOCUMENTS={mode}). Send `documentId` ("sha256:<hex>") of a document your '
        "build registered with `omnicommerce documents-register`."
    )
