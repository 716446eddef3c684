"""Staff stock operations: receive, adjust, count, state moves, safety stock, returns."""

from __future__ import annotations

from dataclasses import dataclass

from domain.shared.uow import UnitOfWork
from inventory import repository
from inventory.errors import InsufficientStock, InvalidQuantity, not_negative, positive
from inventory.model import (
    ADJUST_SIGN,
    STATE_COLUMN,
    AdjustReason,
    Figures,
    MovementKind,
    StockState,
)
from inventory.repository import Applied
from inventory.services.common import active_location, move


@dataclass(frozen=True)
class StockResult:
    level_id: int
    movement_id: int
    figures: Figures


def _result(applied: Applied) -> StockResult:
    return StockResult(applied.level_id, applied.movement_id, applied.figures)


async def receive_stock(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    actor: str,
    document_ref: str = "",
    reason: str = "SUPPLIER_DELIVERY",
    note: str = "",
) -> StockResult:
    """Goods in from a supplier: on_hand up."""
    positive(quantity)
    async with uow:
        await active_location(uow, location_id, field="locationId")
        await repository.ensure_level(uow.session, variant_id=variant_id, location_id=location_id)
        applied = await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=MovementKind.RECEIVE,
            reason=reason,
            actor=actor,
            document_ref=document_ref,
            deltas={"on_hand": quantity},
            note=note,
        )
        assert applied is not None
        await uow.commit()
    return _result(applied)


async def adjust_stock(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    reason: AdjustReason,
    actor: str,
    document_ref: str = "",
    note: str = "",
) -> StockResult:
    """Shrinkage and damage write-offs take sellable units nobody has claimed (a promise can
    only be broken by a count, which flags it); found units go back on the shelf."""
    positive(quantity)
    delta = ADJUST_SIGN[reason] * quantity
    async with uow:
        await active_location(uow, location_id, field="locationId")
        await repository.ensure_level(uow.session, variant_id=variant_id, location_id=location_id)
        applied = await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=MovementKind.ADJUST,
            reason=reason.value,
            actor=actor,
            document_ref=document_ref,
            deltas={"on_hand": delta},
            condition="unpromised" if delta < 0 else None,
            need=-delta,
            note=note,
        )
        if applied is None:
            level = await repository.lock_level(
                uow.session, variant_id=variant_id, location_id=location_id
            )
            f = Figures.of(level)
            raise InsufficientStock(
                f"Only {max(f.unpromised, 0)} unclaimed units here (on hand {f.on_hand}, "
                f"reserved {f.reserved}, committed {f.committed}); {quantity} requested. "
                "Record a cycle count if the shelf really holds fewer.",
                field="quantity",
            )
        await uow.commit()
    return _result(applied)


async def count_stock(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    counted: int,
    actor: str,
    document_ref: str = "",
    reason: str = "CYCLE_COUNT",
    note: str = "",
) -> StockResult:
    """A cycle count states what is on the shelf: on_hand becomes ``counted`` and the movement
    records the difference (zero too, so the count itself is on file). The recount flag
    is recomputed: cleared if the shelf covers its promises, raised if it does not."""
    not_negative(counted, field="countedQuantity")
    async with uow:
        await active_location(uow, location_id, field="locationId")
        level = await repository.lock_level(
            uow.session, variant_id=variant_id, location_id=location_id
        )
        applied = await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=MovementKind.COUNT,
            reason=reason,
            actor=actor,
            document_ref=document_ref,
            deltas={"on_hand": counted - level.on_hand},
            flag="recompute",
            note=note,
        )
        assert applied is not None
        await uow.commit()
    return _result(applied)


async def move_stock_state(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    from_state: StockState,
    to_state: StockState,
    actor: str,
    document_ref: str = "",
    note: str = "",
) -> StockResult:
    """Between sellable, damaged and quality control. Leaving ``SELLABLE`` takes unclaimed
    units only."""
    positive(quantity)
    if from_state is to_state:
        raise InvalidQuantity("Pick two different states to move between.", field="toState")
    source, target = STATE_COLUMN[from_state], STATE_COLUMN[to_state]
    async with uow:
        await active_location(uow, location_id, field="locationId")
        await repository.ensure_level(uow.session, variant_id=variant_id, location_id=location_id)
        applied = await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=MovementKind.STATE,
            reason=f"{from_state.value}_TO_{to_state.value}",
            actor=actor,
            document_ref=document_ref,
            deltas={source: -quantity, target: quantity},
            condition="unpromised" if from_state is StockState.SELLABLE else source,  # type: ignore[arg-type]
            need=quantity,
            note=note,
        )
        if applied is None:
            level = await repository.lock_level(
                uow.session, variant_id=variant_id, location_id=location_id
            )
            f = Figures.of(level)
            have = f.unpromised if from_state is StockState.SELLABLE else getattr(f, source)
            raise InsufficientStock(
                f"Only {max(have, 0)} units are {from_state.value.lower().replace('_', ' ')} "
                f"and unclaimed here; {quantity} requested.",
                field="quantity",
            )
        await uow.commit()
    return _result(applied)


async def set_safety_stock(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    actor: str,
    document_ref: str = "",
) -> StockResult:
    """Units kept back from online promises at this location (the store still sells them)."""
    not_negative(quantity)
    async with uow:
        await active_location(uow, location_id, field="locationId")
        level = await repository.lock_level(
            uow.session, variant_id=variant_id, location_id=location_id
        )
        applied = await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=MovementKind.SAFETY_STOCK,
            reason="SET",
            actor=actor,
            document_ref=document_ref,
            deltas={"safety_stock": quantity - level.safety_stock},
        )
        assert applied is not None
        await uow.commit()
    return _result(applied)


async def return_stock(
    uow: UnitOfWork,
    *,
    variant_id: int,
    location_id: int,
    quantity: int,
    disposition: StockState,
    actor: str,
    document_ref: str,
) -> StockResult:
    """A customer return received at ``location_id``: RESTOCK (SELLABLE) goes back on the
    shelf, DAMAGED and QUALITY_CONTROL into those buckets. For the returns issue."""
    positive(quantity)
    async with uow:
        await active_location(uow, location_id, field="locationId")
        await repository.ensure_level(uow.session, variant_id=variant_id, location_id=location_id)
        applied = await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=MovementKind.RETURN,
            reason="RESTOCK" if disposition is StockState.SELLABLE else disposition.value,
            actor=actor,
            document_ref=document_ref,
            deltas={STATE_COLUMN[disposition]: quantity},
        )
        assert applied is not None
        await uow.commit()
    return _result(applied)
