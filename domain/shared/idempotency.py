"""Exactly-once mutations: an idempotency key claimed in the mutation's own transaction.

The key row is inserted in the same transaction as the writes. A concurrent replay's INSERT
waits on the first transaction's uncommitted row (PostgreSQL's unique-index wait), then either
sees the committed response (and returns it) or, if the first rolled back, runs itself. So a
replay returns the first response, concurrent replays wait for it, and nothing runs twice.
A mutation that fails with userErrors commits nothing, so its key is free to be retried.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import String, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at
from domain.shared.errors import IdempotencyKeyReused, ValidationFailed
from domain.shared.uow import UnitOfWork

MAX_KEY_LENGTH = 200


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[datetime] = created_at()


def request_fingerprint(request: Any) -> str:
    return hashlib.sha256(
        orjson.dumps(request, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    ).hexdigest()


async def run_once(
    uow: UnitOfWork,
    *,
    scope: str,
    key: str | None,
    request: Any,
    execute: Callable[[], Awaitable[dict[str, Any]]],
    on_replay: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    earlier_scopes: Sequence[str] = (),
) -> dict[str, Any]:
    """Run ``execute`` (which writes through ``uow``) at most once per (scope, key).

    ``execute`` returns the JSON-able response that every replay gets back. ``on_replay`` sees
    a stored response before it is handed back (after the transaction) and may refuse it by
    raising. ``earlier_scopes``: where the same caller's keys were stored before the scope
    changed; a stored answer there to the very same request is still a replay (for as long as
    keys are kept), so a retry across an upgrade never runs twice.
    """
    if key is None:
        async with uow:
            result = await execute()
            await uow.commit()
        return result
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"An idempotency key must be 1 to {MAX_KEY_LENGTH} characters; use a UUID per attempt.",
            field="idempotencyKey",
        )
    fingerprint = request_fingerprint(request)
    async with uow:
        session = uow.session
        claimed = await session.scalar(
            insert(IdempotencyKey)
            .values(scope=scope, key=key, request_hash=fingerprint)
            .on_conflict_do_nothing(index_elements=["scope", "key"])
            .returning(IdempotencyKey.key)
        )
        if claimed is None:
            row = (
                await session.execute(
                    select(IdempotencyKey.request_hash, IdempotencyKey.response).where(
                        IdempotencyKey.scope == scope, IdempotencyKey.key == key
                    )
                )
            ).one()
            if row.request_hash != fingerprint:
                raise IdempotencyKeyReused(
                    f"Idempotency key '{key}' was already used for a different request; "
                    "send a new key for a new request.",
                    field="idempotencyKey",
                )
            replayed = dict(row.response or {})
        else:
            # Answered under an earlier scope: a replay (leaving uncommitted frees the claim).
            replayed = await _earlier_answer(
                session, earlier_scopes, key=key, fingerprint=fingerprint
            )
            if replayed is None:
                result = await execute()
                await session.execute(
                    update(IdempotencyKey)
                    .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
                    .values(response=result)
                )
                await uow.commit()
                return result
    if on_replay is not None:  # outside the transaction: the check may read through loaders
        await on_replay(replayed)
    return replayed


async def _earlier_answer(
    session: Any, scopes: Sequence[str], *, key: str, fingerprint: str
) -> dict[str, Any] | None:
    if not scopes:
        return None
    response = await session.scalar(
        select(IdempotencyKey.response)
        .where(
            IdempotencyKey.scope.in_(list(scopes)),
            IdempotencyKey.key == key,
            IdempotencyKey.request_hash == fingerprint,
            IdempotencyKey.response.is_not(None),
        )
        .limit(1)
    )
    return dict(response) if response is not None else None


async def purge_expired(uow: UnitOfWork, *, older_than_hours: int) -> int:
    async with uow:
        result = await uow.session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.created_at
                < func.now() - func.make_interval(0, 0, 0, 0, older_than_hours)
            )
        )
        await uow.commit()
    return int(result.rowcount or 0)
