"""Transfers between locations: create (commits stock at the source) -> ship (leaves the
source, incoming at the destination) -> receive (partial receipts; closing records any
shortfall as a discrepancy) or cancel (before shipping)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select

from domain.shared.uow import UnitOfWork
from inventory import repository
from inventory.errors import (
    InsufficientStock,
    InvalidQuantity,
    ReceiptExceedsShipment,
    SameLocation,
    TransferState,
    positive,
)
from inventory.model import (
    HoldChannel,
    HoldStatus,
    MovementKind,
    ReceiptError,
    TransferLine,
    TransferStatus,
    plan_receipt,
    transfer_status_after_receipt,
)
from inventory.services import holds
from inventory.services.common import active_location, move
from inventory.tables import TransferLineRow, TransferRow


def owner(transfer_id: int) -> str:
    return f"transfer:{transfer_id}"


async def create_transfer(
    uow: UnitOfWork,
    *,
    from_location_id: int,
    to_location_id: int,
    lines: Sequence[tuple[int, int]],
    actor: str,
    expected_at: datetime | None = None,
    document_ref: str = "",
) -> int:
    """``lines``: (variant id, quantity). The units are committed at the source at once, so
    they cannot be sold while they wait for the truck."""
    if from_location_id == to_location_id:
        raise SameLocation("A transfer goes between two different locations.", field="toLocationId")
    if not lines:
        raise InvalidQuantity("Add at least one line.", field="lines")
    merged: dict[int, int] = {}
    for variant_id, quantity in lines:
        positive(quantity, field="lines")
        merged[variant_id] = merged.get(variant_id, 0) + quantity
    async with uow:
        await active_location(uow, from_location_id, field="fromLocationId")
        await active_location(uow, to_location_id, field="toLocationId")
        transfer = TransferRow(
            from_location_id=from_location_id,
            to_location_id=to_location_id,
            status=TransferStatus.CREATED,
            document_ref=document_ref,
            expected_at=expected_at,
            created_by=actor,
        )
        uow.session.add(transfer)
        await uow.session.flush()
        ref = document_ref or f"TR-{transfer.id}"
        if not document_ref:
            transfer.document_ref = ref
        for variant_id in sorted(merged):  # fixed order: no deadlock between two transfers
            quantity = merged[variant_id]
            try:
                hold = await holds.commit_direct(
                    uow,
                    variant_id=variant_id,
                    location_id=from_location_id,
                    quantity=quantity,
                    owner_ref=owner(transfer.id),
                    channel=HoldChannel.STAFF,
                    actor=actor,
                )
            except InsufficientStock as exc:
                raise InsufficientStock(
                    f"The source has fewer than {quantity} available of one line "
                    f"(variant {variant_id}); lower the quantity or pick another source.",
                    field="lines",
                ) from exc
            uow.session.add(
                TransferLineRow(
                    transfer_id=transfer.id,
                    variant_id=variant_id,
                    quantity=quantity,
                    hold_id=hold.hold_id,
                )
            )
        await uow.session.flush()
        await uow.commit()
    return transfer.id


async def _locked(uow: UnitOfWork, transfer_id: int) -> tuple[TransferRow, list[TransferLineRow]]:
    transfer = await uow.session.get(TransferRow, transfer_id, with_for_update=True)
    if transfer is None:
        from inventory.errors import UnknownLocation

        raise UnknownLocation("No such transfer.", field="transferId", code="NOT_FOUND")
    lines = list(
        await uow.session.scalars(
            select(TransferLineRow)
            .where(TransferLineRow.transfer_id == transfer_id)
            .order_by(TransferLineRow.variant_id)
        )
    )
    return transfer, lines


async def ship_transfer(uow: UnitOfWork, *, transfer_id: int, actor: str) -> None:
    async with uow:
        transfer, lines = await _locked(uow, transfer_id)
        if transfer.status is not TransferStatus.CREATED:
            raise TransferState(
                f"Transfer {transfer.document_ref} is {transfer.status.value}; only a created "
                "transfer can be shipped.",
                field="transferId",
            )
        await holds.ship(
            uow,
            owner_ref=owner(transfer_id),
            actor=actor,
            document_ref=transfer.document_ref,
            reason="TRANSFER_OUT",
        )
        for line in lines:
            await repository.ensure_level(
                uow.session, variant_id=line.variant_id, location_id=transfer.to_location_id
            )
            await move(
                uow,
                variant_id=line.variant_id,
                location_id=transfer.to_location_id,
                kind=MovementKind.TRANSFER_IN,
                reason="IN_TRANSIT",
                actor=actor,
                document_ref=transfer.document_ref,
                deltas={"incoming": line.quantity},
            )
        transfer.status = TransferStatus.SHIPPED
        transfer.shipped_at = func.now()
        await uow.session.flush()
        await uow.commit()


async def receive_transfer(
    uow: UnitOfWork,
    *,
    transfer_id: int,
    received: Mapping[int, int],
    complete: bool,
    actor: str,
) -> TransferStatus:
    """Count in what arrived (variant id -> units). Partial receipts leave the transfer open;
    ``complete`` closes it and records the shortfall of every line as a discrepancy (the
    missing units leave ``incoming``; the ledger keeps the trace)."""
    async with uow:
        transfer, lines = await _locked(uow, transfer_id)
        if transfer.status not in (TransferStatus.SHIPPED, TransferStatus.PARTIALLY_RECEIVED):
            raise TransferState(
                f"Transfer {transfer.document_ref} is {transfer.status.value}; only a shipped "
                "transfer can be received.",
                field="transferId",
            )
        if not received and not complete:
            raise InvalidQuantity("Enter what arrived, or close the transfer.", field="lines")
        model_lines = [
            TransferLine(r.variant_id, r.quantity, r.received, r.discrepancy) for r in lines
        ]
        try:
            new_lines, now, shortfall = plan_receipt(model_lines, received, complete=complete)
        except ReceiptError as exc:
            cls = ReceiptExceedsShipment if "too many" in exc.message else InvalidQuantity
            raise cls(f"Variant {exc.variant_id} {exc.message}.", field="lines") from exc
        for row, new in zip(lines, new_lines, strict=True):
            got, short = now.get(row.variant_id, 0), shortfall.get(row.variant_id, 0)
            if got:
                await move(
                    uow,
                    variant_id=row.variant_id,
                    location_id=transfer.to_location_id,
                    kind=MovementKind.TRANSFER_IN,
                    reason="RECEIVED",
                    actor=actor,
                    document_ref=transfer.document_ref,
                    deltas={"incoming": -got, "on_hand": got},
                )
            if short:
                await move(
                    uow,
                    variant_id=row.variant_id,
                    location_id=transfer.to_location_id,
                    kind=MovementKind.TRANSFER_IN,
                    reason="DISCREPANCY",
                    actor=actor,
                    document_ref=transfer.document_ref,
                    deltas={"incoming": -short},
                    note=f"{short} of {row.quantity} shipped never arrived",
                )
            row.received, row.discrepancy = new.received, new.discrepancy
        transfer.status = transfer_status_after_receipt(new_lines, complete=complete)
        if transfer.status is TransferStatus.RECEIVED:
            transfer.received_at = func.now()
        await uow.session.flush()
        await uow.commit()
    return transfer.status


async def cancel_transfer(uow: UnitOfWork, *, transfer_id: int, actor: str) -> None:
    async with uow:
        transfer, _ = await _locked(uow, transfer_id)
        if transfer.status is not TransferStatus.CREATED:
            raise TransferState(
                f"Transfer {transfer.document_ref} is {transfer.status.value}; only one not yet "
                "shipped can be cancelled.",
                field="transferId",
            )
        await holds.release(
            uow, owner_ref=owner(transfer_id), actor=actor, reason="TRANSFER_CANCELLED"
        )
        transfer.status = TransferStatus.CANCELLED
        await uow.session.flush()
        await uow.commit()


__all__ = [
    "HoldStatus",
    "cancel_transfer",
    "create_transfer",
    "receive_transfer",
    "ship_transfer",
]
