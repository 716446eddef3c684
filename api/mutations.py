"""Shared mutation plumbing: idempotency keys (input field or ``Idempotency-Key`` header)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types import Info

from api.relay import encode_id
from api.visibility import resolve_visible
from domain.shared.errors import IdempotencyKeyReused
from domain.shared.idempotency import run_once
from domain.shared.uow import UnitOfWork

#: Response keys that name an object, and its Node type. A stored response is handed back only
#: to a caller who may see every object it names, by the types' own rules (api.visibility).
REPLAY_OBJECTS = {
    "orderId": "Order",
    "cartId": "Cart",
    "return_id": "Return",
    "customer_id": "Customer",
    "staff_user_id": "StaffUser",
    "transfer_id": "Transfer",
    "location_id": "Location",
    "level_id": "StockLevel",
    "movement_id": "StockMovement",
    "entry_id": "PointsEntry",
    "reviewId": "PosSaleReview",
}

ReplayCheck = Callable[[Info, dict[str, Any]], Awaitable[bool]]


async def sees_named_objects(info: Info, response: dict[str, Any]) -> bool:
    """The default replay check: every object the response names is visible to the caller."""
    ids = [
        encode_id(type_name, int(response[k]))
        for k, type_name in REPLAY_OBJECTS.items()
        if response.get(k) is not None
    ]
    found = await asyncio.gather(*(resolve_visible(info, gid) for gid in ids))
    return all(node is not None for node in found)


async def idempotent(
    info: Info,
    *,
    operation: str,
    key: str | None,
    request: Any,
    execute: Callable[[UnitOfWork], Awaitable[dict[str, Any]]],
    secret: str | None = None,
    may_replay: ReplayCheck = sees_named_objects,
) -> dict[str, Any]:
    """Run ``execute`` once per (acting principal, operation, key); replays get the first
    response.

    Keys belong to whoever acts (``Principal.idempotency_owner``): a signed-in person, a till,
    or an anonymous shopper told apart by ``secret`` (the cart token they hold). A replay is
    checked again before it is returned (``may_replay``; by default the caller must be able to
    see the objects it names), so a stored answer never reaches someone who may not see it.
    The input field wins over the header, so one document may carry several keyed mutations.
    """
    ctx = info.context
    uow = ctx.uow()
    key = key if key is not None else ctx.idempotency_key_header

    async def check(response: dict[str, Any]) -> None:
        if not await may_replay(info, response):
            raise IdempotencyKeyReused(
                f"Idempotency key '{key}' belongs to a request whose result you may not see; "
                "send a new key (a fresh UUID) for your own request.",
                field="idempotencyKey",
            )

    scope = f"{ctx.principal.idempotency_owner(secret=secret)}:{operation}"
    # Until keys stored before keys had owners age out (idempotency_retention_hours), a retry of a
    # request answered under the client-wide scope still replays (and is checked like any).
    before_owners = f"{ctx.principal.idempotency_scope}:{operation}"
    return await run_once(
        uow,
        scope=scope,
        key=key,
        request=request,
        execute=lambda: execute(uow),
        on_replay=check,
        earlier_scopes=[before_owners] if before_owners != scope else [],
    )
