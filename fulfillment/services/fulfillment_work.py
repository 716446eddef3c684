"""A location works its fulfillment orders (the store's queue).

States: OPEN -> IN_PROGRESS -> READY_FOR_PICKUP | SHIPPED -> PICKED_UP | DELIVERED, plus
CANCELLED (``release_order_lines``) and REJECTED (the location cannot fulfil; its lines are
re-sourced elsewhere at once).

- SHIP: start -> ship (carrier + tracking number; the committed units leave: inventory ``ship``)
  -> deliver.
- PICKUP at the store holding the goods: start -> mark ready (pickup code + deadline) -> pick up
  with the customer's code (inventory ``ship``: the units leave the store).
- PICKUP by transfer (``location_id`` = source, ``pickup_location_id`` = the store): the source
  starts and ships it (an inventory transfer to the store is created and shipped: the units
  leave the source and are incoming at the store; status SHIPPED = on its way to the store);
  the store marks it ready when it arrives (the transfer is received and the units committed
  at the store for the order) -> pick up as above.

Every step is one transaction, locks the fulfillment order row first, and refuses a step that
does not fit the current status (``INVALID_TRANSITION``, naming the status) without writing.
``may_act(location_id)`` is the caller's store scope (None: the system, e.g. the sweeper).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from sqlalchemy import select, update

from domain.shared.errors import Conflict, Forbidden, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment import sourcing
from fulfillment.model import FulfillmentMethod, FulfillmentStatus
from fulfillment.services import profiles
from fulfillment.services.fulfillment_orders import (
    FulfillmentOrderNotFound,
    InvalidTransition,
    PickupCodeInvalid,
    fo_event,
    lines_of,
    lock_order,
    order_event,
    order_owner,
    refresh_order_status,
)
from fulfillment.tables import FulfillmentOrderLineRow, FulfillmentOrderRow, OrderLineRow, OrderRow
from inventory import queries as inventory
from inventory.errors import InsufficientStock
from inventory.model import HoldChannel
from inventory.services import holds, transfers

log = structlog.get_logger(__name__)

MayAct = Callable[[int], bool] | None

PICKUP_CODE_DIGITS = 6


class PickupCodeLocked(Conflict):
    code = "PICKUP_CODE_LOCKED"


def _locked(fo_id: int, max_attempts: int) -> PickupCodeLocked:
    return PickupCodeLocked(
        f"The pickup code of fulfillment order {fo_id} is locked after {max_attempts} tries. "
        "A store manager of this store must check the customer's ID and release it "
        "(pickupCodeUnlock); then enter the code from the customer's app again.",
        field="code",
    )


def new_pickup_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_DIGITS))


async def lock_fo(uow: UnitOfWork, fulfillment_order_id: int) -> FulfillmentOrderRow:
    """Lock the order, then the fulfillment order: the same order as ``release_order_lines``
    and checkout, so a cancel and a store step on one order never deadlock."""
    order_id = await uow.session.scalar(
        select(FulfillmentOrderRow.order_id).where(FulfillmentOrderRow.id == fulfillment_order_id)
    )
    if order_id is not None:
        await lock_order(uow.session, order_id)
    fo = await uow.session.scalar(
        select(FulfillmentOrderRow)
        .where(FulfillmentOrderRow.id == fulfillment_order_id)
        .with_for_update()
    )
    if fo is None:
        raise FulfillmentOrderNotFound(
            "No such fulfillment order; refresh the queue.", field="fulfillmentOrderId"
        )
    return fo


def require(fo: FulfillmentOrderRow, allowed: set[FulfillmentStatus], action: str) -> None:
    if fo.status not in allowed:
        names = " or ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"Fulfillment order {fo.id} is {fo.status.value}; it can be {action} only when it "
            f"is {names}.",
            field="fulfillmentOrderId",
        )


def check_scope(location_id: int, may_act: MayAct) -> None:
    if may_act is not None and not may_act(location_id):
        raise Forbidden(
            f"This fulfillment order is worked at location {location_id}; you can act only "
            "at your own stores. Ask a colleague there.",
            field="fulfillmentOrderId",
        )


def is_transfer(fo: FulfillmentOrderRow) -> bool:
    return (
        fo.method is FulfillmentMethod.PICKUP
        and fo.pickup_location_id is not None
        and fo.pickup_location_id != fo.location_id
    )


async def _move(
    uow: UnitOfWork, fo: FulfillmentOrderRow, status: FulfillmentStatus, now: datetime
) -> None:
    previous = fo.status
    fo.status = status
    fo.version += 1
    fo.updated_at = now
    uow.record(fo_event(fo, previous))
    order = await uow.session.get(OrderRow, fo.order_id)
    assert order is not None
    uow.record(order_event(order, "FULFILLMENT"))


def _open_lines(lines: list[FulfillmentOrderLineRow]) -> list[FulfillmentOrderLineRow]:
    return [ln for ln in lines if ln.quantity > ln.cancelled_quantity]


async def _add_fulfilled(uow: UnitOfWork, lines: list[FulfillmentOrderLineRow]) -> None:
    per_line: dict[int, int] = {}
    for ln in lines:
        per_line[ln.order_line_id] = (
            per_line.get(ln.order_line_id, 0) + ln.quantity - ln.cancelled_quantity
        )
    rows = await uow.session.scalars(
        select(OrderLineRow)
        .where(OrderLineRow.id.in_(list(per_line)))
        .order_by(OrderLineRow.id)
        .with_for_update()
    )
    for row in rows:
        row.fulfilled_quantity += per_line[row.id]


# -- steps -----------------------------------------------------------------------------------


async def start(
    uow: UnitOfWork,
    *,
    fulfillment_order_id: int,
    actor: str,
    may_act: MayAct = None,
    now: datetime | None = None,
) -> None:
    """OPEN -> IN_PROGRESS: someone is picking the goods."""
    now = now or datetime.now(UTC)
    async with uow:
        fo = await lock_fo(uow, fulfillment_order_id)
        check_scope(fo.location_id, may_act)
        require(fo, {FulfillmentStatus.OPEN}, "started")
        await _move(uow, fo, FulfillmentStatus.IN_PROGRESS, now)
        await uow.session.flush()
        await uow.commit()


async def mark_ready(
    uow: UnitOfWork,
    *,
    fulfillment_order_id: int,
    actor: str,
    may_act: MayAct = None,
    now: datetime | None = None,
) -> None:
    """The goods are on the pickup shelf: a pickup code for the customer's app and a pickup
    deadline (the profile's pickup window, to the store's closing time). For a transfer the
    goods arrived: the transfer is received and the units committed at the store."""
    now = now or datetime.now(UTC)
    async with uow:
        fo = await lock_fo(uow, fulfillment_order_id)
        if fo.method is not FulfillmentMethod.PICKUP:
            raise InvalidTransition(
                f"Fulfillment order {fo.id} is a {fo.method.value} order; only pickups are "
                "made ready for pickup. Ship it instead.",
                field="fulfillmentOrderId",
            )
        store_id = fo.pickup_location_id or fo.location_id
        check_scope(store_id, may_act)
        if is_transfer(fo):
            require(fo, {FulfillmentStatus.SHIPPED}, "made ready (after the transfer arrives)")
            await _receive_at_store(uow, fo, actor=actor)
        else:
            require(fo, {FulfillmentStatus.OPEN, FulfillmentStatus.IN_PROGRESS}, "made ready")
        store = (await inventory.locations_by_ids(uow.session, [store_id]))[store_id]
        profile = await profiles.active_profile(uow.session)
        fo.pickup_code = new_pickup_code()
        fo.pickup_code_attempts = 0
        fo.pickup_deadline = sourcing.pickup_deadline(
            ready=now,
            days=profile.pickup_window_days,
            opening_hours=dict(store.opening_hours or {}),
            timezone=store.timezone or "UTC",
        )
        fo.ready_since = now
        await _move(uow, fo, FulfillmentStatus.READY_FOR_PICKUP, now)
        await uow.session.flush()
        await uow.commit()


async def _receive_at_store(uow: UnitOfWork, fo: FulfillmentOrderRow, *, actor: str) -> None:
    assert fo.transfer_id is not None and fo.pickup_location_id is not None
    lines = _open_lines(await lines_of(uow.session, [fo.id], lock=True))
    received: dict[int, int] = {}
    for ln in lines:
        received[ln.variant_id] = (
            received.get(ln.variant_id, 0) + ln.quantity - ln.cancelled_quantity
        )
    await transfers.receive_transfer(
        uow, transfer_id=fo.transfer_id, received=received, complete=True, actor=actor
    )
    order = await uow.session.get(OrderRow, fo.order_id)
    assert order is not None
    for ln in sorted(lines, key=lambda x: x.variant_id):
        try:
            hold = await holds.commit_direct(
                uow,
                variant_id=ln.variant_id,
                location_id=fo.pickup_location_id,
                quantity=ln.quantity - ln.cancelled_quantity,
                owner_ref=order_owner(order.number),
                channel=HoldChannel.CLICK_AND_COLLECT,
                actor=actor,
            )
        except InsufficientStock as exc:
            raise InsufficientStock(
                "The transfer arrived but the store cannot set the units aside (its safety "
                "stock or other promises exceed its shelf); count the stock and try again.",
                field="fulfillmentOrderId",
            ) from exc
        ln.hold_id = hold.hold_id


async def ship(
    uow: UnitOfWork,
    *,
    fulfillment_order_id: int,
    carrier: str | None,
    tracking_number: str | None,
    actor: str,
    may_act: MayAct = None,
    now: datetime | None = None,
) -> None:
    """OPEN/IN_PROGRESS -> SHIPPED. A SHIP order needs carrier and tracking number and its
    units leave the location (they count as fulfilled). A transfer pickup ships to the pickup
    store through an inventory transfer."""
    now = now or datetime.now(UTC)
    carrier = (carrier or "").strip() or None
    tracking_number = (tracking_number or "").strip() or None
    async with uow:
        fo = await lock_fo(uow, fulfillment_order_id)
        check_scope(fo.location_id, may_act)
        if fo.method is FulfillmentMethod.PICKUP and not is_transfer(fo):
            raise InvalidTransition(
                f"Fulfillment order {fo.id} is collected at this store; mark it ready for "
                "pickup instead of shipping it.",
                field="fulfillmentOrderId",
            )
        require(fo, {FulfillmentStatus.OPEN, FulfillmentStatus.IN_PROGRESS}, "shipped")
        if fo.method is FulfillmentMethod.SHIP and (carrier is None or tracking_number is None):
            raise ValidationFailed(
                "Enter the carrier and the tracking number from the parcel label.",
                field="trackingNumber" if carrier else "carrier",
            )
        lines = _open_lines(await lines_of(uow.session, [fo.id], lock=True))
        hold_ids = [ln.hold_id for ln in lines if ln.hold_id is not None]
        order = await uow.session.get(OrderRow, fo.order_id)
        assert order is not None
        if is_transfer(fo):
            assert fo.pickup_location_id is not None
            await holds.release(uow, hold_ids=hold_ids, actor=actor, reason="TRANSFER")
            merged: dict[int, int] = {}
            for ln in lines:
                merged[ln.variant_id] = (
                    merged.get(ln.variant_id, 0) + ln.quantity - ln.cancelled_quantity
                )
            fo.transfer_id = await transfers.create_transfer(
                uow,
                from_location_id=fo.location_id,
                to_location_id=fo.pickup_location_id,
                lines=sorted(merged.items()),
                actor=actor,
                expected_at=fo.ready_at,
                document_ref=f"{order.number}-FO{fo.id}",
            )
            await transfers.ship_transfer(uow, transfer_id=fo.transfer_id, actor=actor)
            for ln in lines:
                ln.hold_id = None
        else:
            await holds.ship(
                uow,
                hold_ids=hold_ids,
                actor=actor,
                document_ref=order_owner(order.number),
                reason="SHIPPED",
            )
            await _add_fulfilled(uow, lines)
        fo.carrier, fo.tracking_number, fo.shipped_at = carrier, tracking_number, now
        await _move(uow, fo, FulfillmentStatus.SHIPPED, now)
        await uow.session.flush()
        await uow.commit()


async def deliver(
    uow: UnitOfWork,
    *,
    fulfillment_order_id: int,
    actor: str,
    may_act: MayAct = None,
    now: datetime | None = None,
) -> None:
    """SHIPPED -> DELIVERED (carrier confirmation). Completes the order when nothing is left."""
    now = now or datetime.now(UTC)
    async with uow:
        fo = await lock_fo(uow, fulfillment_order_id)
        check_scope(fo.location_id, may_act)
        if fo.method is not FulfillmentMethod.SHIP:
            raise InvalidTransition(
                f"Fulfillment order {fo.id} is a {fo.method.value} order; a pickup is "
                "completed when the customer collects it.",
                field="fulfillmentOrderId",
            )
        require(fo, {FulfillmentStatus.SHIPPED}, "delivered")
        fo.completed_at = now
        await _move(uow, fo, FulfillmentStatus.DELIVERED, now)
        await uow.session.flush()
        await refresh_order_status(uow, fo.order_id)
        await uow.commit()


async def take_pickup_attempt(
    attempts: UnitOfWork,
    *,
    fulfillment_order_id: int,
    max_attempts: int,
    may_act: MayAct = None,
) -> int | None:
    """Count one pickup-code try against a READY_FOR_PICKUP order, before the code is compared:
    one conditional UPDATE (``attempts < max``) committed in its own short transaction, so
    concurrent tries count exactly, a wrong code's count survives the pick-up's rollback, and
    the lock holds on every replica and after restarts. Raises PICKUP_CODE_LOCKED when no try
    is left. An order that is not ready, unknown or out of the caller's scope is not counted
    (None): ``pick_up`` then gives the precise error, and a replayed pick-up its first answer.
    Run it before the pick-up's own unit of work, never inside it (one connection at a time).
    Returns the tries left after this one."""
    async with attempts:
        fo = await attempts.session.get(FulfillmentOrderRow, fulfillment_order_id)
        if fo is None or fo.status is not FulfillmentStatus.READY_FOR_PICKUP:
            return None
        if may_act is not None and not may_act(fo.pickup_location_id or fo.location_id):
            return None
        taken = await attempts.session.scalar(
            update(FulfillmentOrderRow)
            .where(
                FulfillmentOrderRow.id == fulfillment_order_id,
                FulfillmentOrderRow.status == FulfillmentStatus.READY_FOR_PICKUP,
                FulfillmentOrderRow.pickup_code_attempts < max_attempts,
            )
            .values(pickup_code_attempts=FulfillmentOrderRow.pickup_code_attempts + 1)
            .returning(FulfillmentOrderRow.pickup_code_attempts)
            .execution_options(synchronize_session=False)
        )
        if taken is None:
            current = await attempts.session.scalar(
                select(FulfillmentOrderRow.status).where(
                    FulfillmentOrderRow.id == fulfillment_order_id
                )
            )
            if current is FulfillmentStatus.READY_FOR_PICKUP:
                raise _locked(fulfillment_order_id, max_attempts)
            return None  # picked up or cancelled meanwhile: pick_up says so
        await attempts.commit()
    return max(0, max_attempts - int(taken))


async def unlock_pickup_code(
    uow: UnitOfWork, *, fulfillment_order_id: int, actor: str, may_act: MayAct = None
) -> None:
    """A store manager releases a pickup code locked by wrong tries (after checking the
    customer's ID): the count starts again; the code stays the one in the customer's app."""
    async with uow:
        fo = await lock_fo(uow, fulfillment_order_id)
        check_scope(fo.pickup_location_id or fo.location_id, may_act)
        require(fo, {FulfillmentStatus.READY_FOR_PICKUP}, "released for pickup")
        log.info(
            "fulfillment.pickup_code_unlocked",
            fulfillment_order_id=fo.id,
            actor=actor,
            attempts=fo.pickup_code_attempts,
        )
        fo.pickup_code_attempts = 0
        fo.version += 1
        fo.updated_at = datetime.now(UTC)
        await uow.session.flush()
        await uow.commit()


async def pick_up(
    uow: UnitOfWork,
    *,
    fulfillment_order_id: int,
    code: str,
    actor: str,
    may_act: MayAct = None,
    max_attempts: int | None = None,
    now: datetime | None = None,
) -> None:
    """READY_FOR_PICKUP -> PICKED_UP when ``code`` matches the one in the customer's app; a
    wrong code changes nothing (PICKUP_CODE_INVALID). The units leave the store.

    With ``max_attempts`` the try must have been counted by ``take_pickup_attempt`` first; a
    locked code (more tries than allowed) is refused even when it is right."""
    now = now or datetime.now(UTC)
    async with uow:
        fo = await lock_fo(uow, fulfillment_order_id)
        check_scope(fo.pickup_location_id or fo.location_id, may_act)
        require(fo, {FulfillmentStatus.READY_FOR_PICKUP}, "picked up")
        if max_attempts is not None and fo.pickup_code_attempts > max_attempts:
            raise _locked(fo.id, max_attempts)
        given = "".join((code or "").split())
        if fo.pickup_code is None or not hmac.compare_digest(given, fo.pickup_code):
            # nothing is written for a wrong code here (take_pickup_attempt counted the try)
            log.warning("fulfillment.pickup_code_invalid", fulfillment_order_id=fo.id, actor=actor)
            left = ""
            if max_attempts is not None:
                n = max(0, max_attempts - fo.pickup_code_attempts)
                left = (
                    f" {n} tries left before the code locks."
                    if n
                    else " That was the last try: the code is now locked until a store "
                    "manager releases it (pickupCodeUnlock)."
                )
            raise PickupCodeInvalid(
                "That pickup code does not match this order; ask the customer to open the "
                "order in their app and read the code again." + left,
                field="code",
            )
        lines = _open_lines(await lines_of(uow.session, [fo.id], lock=True))
        order = await uow.session.get(OrderRow, fo.order_id)
        assert order is not None
        hold_ids = [ln.hold_id for ln in lines if ln.hold_id is not None]
        if hold_ids:
            await holds.ship(
                uow,
                hold_ids=hold_ids,
                actor=actor,
                document_ref=order_owner(order.number),
                reason="PICKED_UP",
            )
        await _add_fulfilled(uow, lines)
        fo.completed_at = now
        await _move(uow, fo, FulfillmentStatus.PICKED_UP, now)
        await uow.session.flush()
        await refresh_order_status(uow, fo.order_id)
        await uow.commit()
