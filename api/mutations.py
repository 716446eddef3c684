"""Shared mutation plumbing: idempotency keys (input field or ``Idempotency-Key`` header)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types import Info

from domain.shared.idempotency import run_once
from domain.shared.uow import UnitOfWork


async def idempotent(
    info: Info,
    *,
    operation: str,
    key: str | None,
    request: Any,
    execute: Callable[[UnitOfWork], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Run ``execute`` once per (client, operation, key); replays get the first response.

    The input field wins over the header, so one document may carry several keyed mutations.
    """
    ctx = info.context
    uow = ctx.uow()
    return await run_once(
        uow,
        scope=f"{ctx.principal.idempotency_scope}:{operation}",
        key=key if key is not None else ctx.idempotency_key_header,
        request=request,
        execute=lambda: execute(uow),
    )
