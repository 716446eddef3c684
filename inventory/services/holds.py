"""Holds on stock for carts and orders, called inside the caller's unit of work.

- ``reserve`` / ``reserve_any``: a cart hold (``reserved``), with expiry.
- ``commit_hold``: a hold becomes an order commitment (``reserved`` -> ``committed``).
- ``commit_direct``: commit without a prior hold (checkout in one step, transfers).
- ``release``: give back holds or commitments (cart emptied, order cancelled).
- ``ship``: committed units leave (shipment or pickup handed over).
- ``record_sale``: a POS carry-out sale, a physical fact: never refused for stock.
- ``sweep_expired``: the sweeper behind lazy expiry.

No-oversell: promising stock is one conditional UPDATE (``repository.apply`` with
``condition="available"``). A lapsed hold never blocks a sale: when the UPDATE finds too little,
the level's lapsed holds are released in one statement and the UPDATE is tried once more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.shared.uow import UnitOfWork
from inventory import repository
from inventory.errors import HoldExpired, HoldNotFound, InsufficientStock, positive
from inventory.model import Figures, HoldChannel, HoldStatus, MovementKind
from inventory.repository import Applied, NewHold
from inventory.services.common import expire_at, move


async def lock_stock(uow: UnitOfWork, *, variant_ids: Sequence[int]) -> None:
    """Lock every level of these variants (all locations) in the global (variant, location)
    order, in one statement. A unit of work that writes several levels (re-holding a cart,
    checkout, cancel) calls this first with every variant it may touch: its later writes then
    take no new level locks out of order, so concurrent carts with the same items in any line
    order never deadlock."""
    await repository.lock_levels(uow.session, variant_ids=variant_ids)


@dataclass(frozen=True)
class Hold:
    hold_id: int
    variant_id: int
    location_id: int
    quantity: int
    status: HoldStatus
    figures: Figures  # the level right after


async def _promise(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    owner_ref: str,
    channel: str,
    status: HoldStatus,
    expires_at: datetime | None,
    actor: str,
) -> Applied | None:
    bucket = "reserved" if status is HoldStatus.ACTIVE else "committed"
    kind = MovementKind.RESERVE if status is HoldStatus.ACTIVE else MovementKind.COMMIT

    async def attempt() -> Applied | None:
        return await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=kind,
            reason=channel,
            actor=actor,
            document_ref=owner_ref,
            deltas={bucket: quantity},
            condition="available",
            need=quantity,
            new_hold=NewHold(owner_ref, channel, status, quantity, expires_at),
        )

    applied = await attempt()
    if applied is None:
        if await expire_at(uow, variant_id=variant_id, location_id=location_id):
            applied = await attempt()
    return applied


def _hold(applied: Applied, quantity: int, status: HoldStatus) -> Hold:
    assert applied.hold_id is not None
    return Hold(
        applied.hold_id, applied.variant_id, applied.location_id, quantity, status, applied.figures
    )


async def reserve(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    owner_ref: str,
    expires_at: datetime | None,
    channel: HoldChannel | str = HoldChannel.WEB,
    actor: str = "system",
) -> Hold:
    """Hold ``quantity`` units at one location until ``expires_at`` (``model.hold_expiry``).
    Raises InsufficientStock if fewer are available there."""
    positive(quantity)
    async with uow:
        applied = await _promise(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            quantity=quantity,
            owner_ref=owner_ref,
            channel=str(channel),
            status=HoldStatus.ACTIVE,
            expires_at=expires_at,
            actor=actor,
        )
        if applied is None:
            raise InsufficientStock(
                f"Fewer than {quantity} available at this location; try another or fewer.",
                field="quantity",
            )
        await uow.commit()
    return _hold(applied, quantity, HoldStatus.ACTIVE)


async def reserve_any(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_ids: Sequence[int],
    quantity: int,
    owner_ref: str,
    expires_at: datetime | None,
    channel: HoldChannel | str = HoldChannel.WEB,
    actor: str = "system",
) -> Hold:
    """Hold at the first of ``location_ids`` (in the caller's preference order) that has
    ``quantity`` available; each try is the same conditional UPDATE."""
    positive(quantity)
    async with uow:
        for location_id in location_ids:
            applied = await _promise(
                uow,
                variant_id=variant_id,
                location_id=location_id,
                quantity=quantity,
                owner_ref=owner_ref,
                channel=str(channel),
                status=HoldStatus.ACTIVE,
                expires_at=expires_at,
                actor=actor,
            )
            if applied is not None:
                await uow.commit()
                return _hold(applied, quantity, HoldStatus.ACTIVE)
        raise InsufficientStock(f"No location has {quantity} available.", field="quantity")


async def commit_direct(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    owner_ref: str,
    channel: HoldChannel | str = HoldChannel.WEB,
    actor: str = "system",
) -> Hold:
    """Commit units to an order (or transfer) without a prior cart hold."""
    positive(quantity)
    async with uow:
        applied = await _promise(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            quantity=quantity,
            owner_ref=owner_ref,
            channel=str(channel),
            status=HoldStatus.COMMITTED,
            expires_at=None,
            actor=actor,
        )
        if applied is None:
            raise InsufficientStock(
                f"Fewer than {quantity} available at this location.", field="quantity"
            )
        await uow.commit()
    return _hold(applied, quantity, HoldStatus.COMMITTED)


async def _open_holds(
    uow: UnitOfWork,
    *,
    hold_ids: Sequence[int],
    owner_ref: str | None,
    statuses: Sequence[HoldStatus],
) -> list[object]:
    if not hold_ids and owner_ref is None:
        raise HoldNotFound("Name the holds by id or by owner reference.", field="holdIds")
    return await repository.lock_holds(
        uow.session, hold_ids=hold_ids, owner_ref=owner_ref, statuses=statuses
    )


async def _settle(
    uow: UnitOfWork,
    row: object,
    *,
    kind: MovementKind,
    reason: str,
    deltas: dict[str, int],
    status: HoldStatus,
    actor: str,
    document_ref: str | None = None,
    flag: repository.Flag = "keep",
) -> Hold:
    r: object = row
    applied = await move(
        uow,
        variant_id=r.variant_id,  # type: ignore[attr-defined]
        location_id=r.location_id,  # type: ignore[attr-defined]
        kind=kind,
        reason=reason,
        actor=actor,
        document_ref=document_ref or r.owner_ref,  # type: ignore[attr-defined]
        deltas=deltas,
        hold_id=r.id,  # type: ignore[attr-defined]
        flag=flag,
    )
    assert applied is not None, "a hold without its level"
    await repository.close_hold(uow.session, hold_id=r.id, status=status)  # type: ignore[attr-defined]
    return Hold(r.id, r.variant_id, r.location_id, r.quantity, status, applied.figures)  # type: ignore[attr-defined]


async def release(
    uow: UnitOfWork,
    *,
    hold_ids: Sequence[int] = (),
    owner_ref: str | None = None,
    actor: str = "system",
    reason: str = "CANCELLED",
) -> list[Hold]:
    """Give back open holds (reserved) and commitments (committed), by id or by owner.
    Already closed holds are skipped, so a repeated release is harmless."""
    async with uow:
        rows = await _open_holds(
            uow,
            hold_ids=hold_ids,
            owner_ref=owner_ref,
            statuses=[HoldStatus.ACTIVE, HoldStatus.COMMITTED],
        )
        out = []
        for row in rows:
            bucket = "reserved" if row.status == HoldStatus.ACTIVE.value else "committed"  # type: ignore[attr-defined]
            out.append(
                await _settle(
                    uow,
                    row,
                    kind=MovementKind.RELEASE,
                    reason=reason,
                    deltas={bucket: -row.quantity},  # type: ignore[attr-defined]
                    status=HoldStatus.RELEASED,
                    actor=actor,
                )
            )
        await uow.commit()
    return out


async def commit_hold(
    uow: UnitOfWork,
    *,
    hold_ids: Sequence[int] = (),
    owner_ref: str | None = None,
    actor: str = "system",
) -> list[Hold]:
    """Turn cart holds into order commitments (checkout, POS tender). A hold that lapsed but
    was not yet swept still counts: its units were never offered to anyone else. A hold the
    sweeper already released raises HoldExpired; reserve again."""
    async with uow:
        rows = await _open_holds(
            uow, hold_ids=hold_ids, owner_ref=owner_ref, statuses=[HoldStatus.ACTIVE]
        )
        found = {r.id for r in rows}  # type: ignore[attr-defined]
        missing = [h for h in hold_ids if h not in found]
        if missing or not rows:
            raise HoldExpired(
                "The stock hold has expired or was released; reserve the items again.",
                field="holdIds",
            )
        out = [
            await _settle(
                uow,
                row,
                kind=MovementKind.COMMIT,
                reason="CHECKOUT",
                deltas={"reserved": -row.quantity, "committed": row.quantity},  # type: ignore[attr-defined]
                status=HoldStatus.COMMITTED,
                actor=actor,
            )
            for row in rows
        ]
        await uow.commit()
    return out


async def ship(
    uow: UnitOfWork,
    *,
    hold_ids: Sequence[int] = (),
    owner_ref: str | None = None,
    actor: str = "system",
    document_ref: str | None = None,
    reason: str = "SHIPPED",
) -> list[Hold]:
    """Committed units leave the location (parcel shipped, pickup handed over):
    on_hand and committed both go down."""
    async with uow:
        rows = await _open_holds(
            uow, hold_ids=hold_ids, owner_ref=owner_ref, statuses=[HoldStatus.COMMITTED]
        )
        if not rows:
            raise HoldNotFound("No committed stock for this reference.", field="holdIds")
        out = [
            await _settle(
                uow,
                row,
                kind=MovementKind.SHIP,
                reason=reason,
                deltas={"on_hand": -row.quantity, "committed": -row.quantity},  # type: ignore[attr-defined]
                status=HoldStatus.FULFILLED,
                actor=actor,
                document_ref=document_ref,
            )
            for row in rows
        ]
        await uow.commit()
    return out


@dataclass(frozen=True)
class Sale:
    movement_id: int
    figures: Figures
    needs_recount: bool


async def record_sale(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    actor: str,
    document_ref: str,
    hold_id: int | None = None,
) -> Sale:
    """A POS carry-out sale (also one replayed from an offline till) is recorded whatever the
    system count says (DESIGN invariant 2): on_hand may go negative and the level is flagged
    for a recount in the same statement. A POS basket hold (``hold_id``) is consumed."""
    positive(quantity)
    async with uow:
        deltas = {"on_hand": -quantity}
        if hold_id is not None:
            rows = await repository.lock_holds(
                uow.session, hold_ids=[hold_id], statuses=[HoldStatus.ACTIVE, HoldStatus.COMMITTED]
            )
            for row in rows:
                bucket = "reserved" if row.status == HoldStatus.ACTIVE.value else "committed"
                deltas[bucket] = -row.quantity
                await repository.close_hold(
                    uow.session, hold_id=row.id, status=HoldStatus.FULFILLED
                )
        await repository.ensure_level(uow.session, variant_id=variant_id, location_id=location_id)
        applied = await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=MovementKind.SALE,
            reason="CARRY_OUT",
            actor=actor,
            document_ref=document_ref,
            deltas=deltas,
            flag="raise",
            hold_id=hold_id,
        )
        assert applied is not None
        await uow.commit()
    return Sale(applied.movement_id, applied.figures, applied.needs_recount)


async def sweep_expired(new_uow: Callable[[], UnitOfWork], *, limit: int = 500) -> int:
    """Release lapsed holds, one short transaction per level; returns the levels swept.
    ``new_uow`` returns a fresh unit of work (``runtime.uow``)."""
    uow = new_uow()
    async with uow:
        levels = await repository.expired_levels(uow.session, limit=limit)
    swept = 0
    for variant_id, location_id in levels:
        uow = new_uow()
        async with uow:
            if await expire_at(uow, variant_id=variant_id, location_id=location_id):
                swept += 1
            await uow.commit()
    return swept
