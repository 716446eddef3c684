"""Plumbing shared by the stock services: one level change = one statement + its event."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from domain.shared.uow import UnitOfWork
from inventory import repository
from inventory.errors import UnknownLocation
from inventory.events import InventoryChanged
from inventory.model import Figures, MovementKind
from inventory.repository import Applied, Condition, Flag, NewHold
from inventory.tables import LocationRow

T = TypeVar("T")


def changed(applied: Applied, kind: MovementKind) -> InventoryChanged:
    f = applied.figures
    return InventoryChanged(
        location_id=applied.location_id,
        variant_id=applied.variant_id,
        kind=kind.value,
        movement_id=applied.movement_id,
        available=f.available,
        needs_recount=applied.needs_recount,
        **f.as_dict(),
    )


async def move(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    kind: MovementKind,
    reason: str,
    actor: str,
    document_ref: str = "",
    deltas: Mapping[str, int],
    condition: Condition | None = None,
    need: int = 0,
    flag: Flag = "keep",
    hold_id: int | None = None,
    new_hold: NewHold | None = None,
    note: str = "",
) -> Applied | None:
    """Apply one movement inside the caller's transaction and queue its event."""
    applied = await repository.apply(
        uow.session,
        variant_id=variant_id,
        location_id=location_id,
        kind=kind,
        reason=reason,
        actor=actor,
        document_ref=document_ref,
        deltas=deltas,
        condition=condition,
        need=need,
        flag=flag,
        hold_id=hold_id,
        new_hold=new_hold,
        note=note,
    )
    if applied is not None:
        uow.record(changed(applied, kind))
    return applied


async def expire_at(uow: UnitOfWork, *, variant_id: int, location_id: int) -> bool:
    """Release the lapsed holds of one level (one statement); True if any were."""
    after = await repository.expire_holds_at(
        uow.session, variant_id=variant_id, location_id=location_id
    )
    if after is None:
        return False
    applied = Applied(
        after.id,
        after.variant_id,
        after.location_id,
        Figures.of(after),
        after.needs_recount,
        after.movement_id,
        None,
    )
    uow.record(changed(applied, MovementKind.RELEASE))
    return True


async def active_location(uow: UnitOfWork, location_id: int, *, field: str) -> LocationRow:
    row = await uow.session.get(LocationRow, location_id)
    if row is None or not row.active:
        raise UnknownLocation(
            "No active location with this id; pick one from the locations list.", field=field
        )
    return row


def figures_text(f: Figures) -> str:
    return (
        f"on hand {f.on_hand}, reserved {f.reserved}, committed {f.committed}, "
        f"safety stock {f.safety_stock}"
    )


#: SQLSTATEs PostgreSQL uses for "try again": serialization failure, deadlock detected.
RETRYABLE = {"40001", "40P01"}


def is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig: Any = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )
    return code in RETRYABLE


async def retry_on_contention(run: Callable[[], Awaitable[T]], *, attempts: int = 5) -> T:
    """Re-run a whole unit of work when PostgreSQL chose it as a deadlock victim or failed it on
    serialization; such errors must not reach a client. ``run`` opens its own unit of work."""
    for attempt in range(attempts):
        try:
            return await run()
        except DBAPIError as exc:
            if not is_retryable(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * (2**attempt)))
    raise AssertionError("unreachable")
