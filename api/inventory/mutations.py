"""Inventory mutations. Every one takes an idempotencyKey; a userError writes nothing.
Stock mutations: WAREHOUSE and STORE_MANAGER at their own locations, ADMIN anywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from api.auth import allow
from api.errors import UserError, payload_or_errors
from api.inventory.types import (
    AdjustReason,
    LocationKind,
    LocationType,
    StockLevelType,
    StockMovementType,
    StockState,
    TransferType,
    level_loader,
    movement_loader,
    transfer_loader,
)
from api.mutations import idempotent
from api.relay import decode_id
from domain.access.model import Principal, Role
from domain.shared.errors import Forbidden, MultipleErrors
from domain.shared.uow import UnitOfWork
from inventory import queries as q
from inventory import services as inv
from inventory.model import AdjustReason as DomainAdjustReason
from inventory.model import LocationKind as DomainLocationKind
from inventory.model import StockState as DomainStockState

STOCK_ROLES = allow(Role.WAREHOUSE, Role.STORE_MANAGER)
ADMIN = allow()


def _can_act(principal: Principal, location_id: int, *, field: str = "locationId") -> None:
    if not principal.can_act_at(location_id):
        raise Forbidden(
            "You can change stock at your own locations only; ask that location's manager.",
            field=field,
        )


async def _variant_id(info: Info, item: Any) -> int:
    vid = decode_id(item.variant_id, "Variant", field="variantId") if item.variant_id else None
    async with info.context.read() as session:
        row = await q.resolve_variant(session, variant_id=vid, sku=item.sku, barcode=item.barcode)
    return int(row.id)


# -- payloads ---------------------------------------------------------------------------------


def _stock_payload(name: str) -> type:
    @strawberry.type(name=name)
    class Payload:
        user_errors: list[UserError]
        level: StockLevelType | None = None
        movement: StockMovementType | None = None

    Payload.__name__ = name
    return Payload


StockReceivePayload = _stock_payload("StockReceivePayload")
StockAdjustPayload = _stock_payload("StockAdjustPayload")
StockCountPayload = _stock_payload("StockCountPayload")
StockStateMovePayload = _stock_payload("StockStateMovePayload")
SafetyStockSetPayload = _stock_payload("SafetyStockSetPayload")


@strawberry.type
class LocationCreatePayload:
    user_errors: list[UserError]
    location: LocationType | None = None


@strawberry.type
class LocationUpdatePayload:
    user_errors: list[UserError]
    location: LocationType | None = None


@strawberry.type
class LocationDeactivatePayload:
    user_errors: list[UserError]
    location: LocationType | None = None


def _transfer_payload(name: str) -> type:
    @strawberry.type(name=name)
    class Payload:
        user_errors: list[UserError]
        transfer: TransferType | None = None

    Payload.__name__ = name
    return Payload


TransferCreatePayload = _transfer_payload("TransferCreatePayload")
TransferShipPayload = _transfer_payload("TransferShipPayload")
TransferReceivePayload = _transfer_payload("TransferReceivePayload")
TransferCancelPayload = _transfer_payload("TransferCancelPayload")


# -- inputs -----------------------------------------------------------------------------------


@strawberry.input(description="Name the item by exactly one of sku, barcode or variantId.")
class ItemInput:
    sku: str | None = None
    barcode: str | None = None
    variant_id: relay.GlobalID | None = None


@strawberry.input
class StockReceiveInput(ItemInput):
    location_id: relay.GlobalID
    quantity: int
    document_ref: str = strawberry.field(description="Supplier delivery note or PO number.")
    note: str = ""
    idempotency_key: str | None = None


@strawberry.input
class StockAdjustInput(ItemInput):
    location_id: relay.GlobalID
    quantity: int = strawberry.field(description="Units, 1 or more; the reason gives the sign.")
    reason: AdjustReason
    document_ref: str = ""
    note: str = ""
    idempotency_key: str | None = None


@strawberry.input
class StockCountInput(ItemInput):
    location_id: relay.GlobalID
    counted_quantity: int
    document_ref: str = ""
    note: str = ""
    idempotency_key: str | None = None


@strawberry.input
class StockStateMoveInput(ItemInput):
    location_id: relay.GlobalID
    quantity: int
    from_state: StockState
    to_state: StockState
    document_ref: str = ""
    note: str = ""
    idempotency_key: str | None = None


@strawberry.input
class SafetyStockSetInput(ItemInput):
    location_id: relay.GlobalID
    quantity: int
    idempotency_key: str | None = None


@strawberry.input
class LocationCreateInput:
    code: str
    name: str
    kind: LocationKind
    address: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    ships: bool = False
    offers_pickup: bool = False
    sells_in_store: bool = False
    opening_hours: JSON | None = None
    pickup_lead_minutes: int = 120
    priority: int = 100
    timezone: str = "UTC"
    idempotency_key: str | None = None


@strawberry.input(description="Only the fields given change.")
class LocationUpdateInput:
    id: relay.GlobalID
    name: str | None = None
    address: str | None = None
    city: str | None = None
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
    ships: bool | None = None
    offers_pickup: bool | None = None
    sells_in_store: bool | None = None
    opening_hours: JSON | None = None
    pickup_lead_minutes: int | None = None
    priority: int | None = None
    timezone: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class LocationDeactivateInput:
    id: relay.GlobalID
    idempotency_key: str | None = None


@strawberry.input
class TransferLineInput(ItemInput):
    quantity: int


@strawberry.input
class TransferCreateInput:
    from_location_id: relay.GlobalID
    to_location_id: relay.GlobalID
    lines: list[TransferLineInput]
    expected_at: datetime | None = None
    document_ref: str = ""
    idempotency_key: str | None = None


@strawberry.input
class TransferShipInput:
    transfer_id: relay.GlobalID
    idempotency_key: str | None = None


@strawberry.input
class TransferReceiveInput:
    transfer_id: relay.GlobalID
    lines: list[TransferLineInput] = strawberry.field(default_factory=list)
    complete: bool = strawberry.field(
        default=False,
        description="Close the transfer: anything shipped and not received is recorded as a "
        "discrepancy.",
    )
    idempotency_key: str | None = None


@strawberry.input
class TransferCancelInput:
    transfer_id: relay.GlobalID
    idempotency_key: str | None = None


# -- bodies -----------------------------------------------------------------------------------


async def _stock(
    info: Info,
    payload_cls: type,
    input: Any,
    *,
    operation: str,
    request: dict[str, Any],
    call: Callable[[UnitOfWork, int, int, str], Awaitable[inv.StockResult]],
) -> Any:
    async def run() -> Any:
        principal = info.context.principal
        location_id = decode_id(input.location_id, "Location", field="locationId")
        _can_act(principal, location_id)
        variant_id = await _variant_id(info, input)

        async def execute(uow: UnitOfWork) -> dict[str, Any]:
            result = await call(uow, variant_id, location_id, principal.actor)
            return {"level_id": result.level_id, "movement_id": result.movement_id}

        out = await idempotent(
            info,
            operation=operation,
            key=input.idempotency_key,
            request={**request, "variant_id": variant_id, "location_id": location_id},
            execute=execute,
        )
        level = await level_loader(info).load(out["level_id"])
        movement = await movement_loader(info).load(out["movement_id"])
        return payload_cls(
            user_errors=[],
            level=StockLevelType.from_row(level),
            movement=StockMovementType.from_row(movement),
        )

    return await payload_or_errors(payload_cls, run)


async def _location_payload(info: Info, payload_cls: type, location_id: int) -> Any:
    async with info.context.read() as session:
        row = (await q.locations_by_ids(session, [location_id]))[location_id]
    return payload_cls(user_errors=[], location=LocationType.from_row(row))


async def _transfer_payload_of(info: Info, payload_cls: type, transfer_id: int) -> Any:
    # Not through the loader: this request may have read the transfer before changing it.
    async with info.context.read() as session:
        row = (await q.transfers_by_ids(session, [transfer_id]))[transfer_id]
    return payload_cls(user_errors=[], transfer=TransferType.from_row(row))


async def _transfer_lines(info: Info, lines: list[TransferLineInput]) -> list[tuple[int, int]]:
    out, errors = [], []
    for line in lines:
        try:
            out.append((await _variant_id(info, line), line.quantity))
        except Exception as exc:
            from domain.shared.errors import DomainError

            if not isinstance(exc, DomainError):
                raise
            exc.field = f"lines.{exc.field}"
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return out


async def _transfer_at(info: Info, gid: relay.GlobalID, *, side: str) -> int:
    transfer_id = decode_id(gid, "Transfer", field="transferId")
    row = await transfer_loader(info).load(transfer_id)
    if row is None:
        from inventory.errors import TransferState

        raise TransferState("No such transfer.", field="transferId", code="NOT_FOUND")
    loc = row.from_location_id if side == "from" else row.to_location_id
    if not info.context.principal.can_act_at(loc):
        raise Forbidden(
            f"Only staff of the {'source' if side == 'from' else 'destination'} location can do "
            "this.",
            field="transferId",
        )
    return transfer_id


@strawberry.type
class InventoryMutation:
    # -- locations ---------------------------------------------------------------------------

    @strawberry.mutation(permission_classes=[ADMIN], description="Open a location (admin).")
    async def location_create(
        self, info: Info, input: LocationCreateInput
    ) -> LocationCreatePayload:
        async def run() -> LocationCreatePayload:
            fields = {
                k: getattr(input, k)
                for k in (
                    "code",
                    "name",
                    "address",
                    "city",
                    "latitude",
                    "longitude",
                    "ships",
                    "offers_pickup",
                    "sells_in_store",
                    "opening_hours",
                    "pickup_lead_minutes",
                    "priority",
                    "timezone",
                )
            }
            kind = DomainLocationKind(input.kind.value)

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                location_id = await inv.create_location(
                    uow, kind=kind, actor=info.context.principal.actor, **fields
                )
                return {"location_id": location_id}

            out = await idempotent(
                info,
                operation="locationCreate",
                key=input.idempotency_key,
                request={**fields, "kind": kind.value},
                execute=execute,
            )
            return await _location_payload(info, LocationCreatePayload, out["location_id"])

        return await payload_or_errors(LocationCreatePayload, run)

    @strawberry.mutation(permission_classes=[ADMIN], description="Change a location (admin).")
    async def location_update(
        self, info: Info, input: LocationUpdateInput
    ) -> LocationUpdatePayload:
        async def run() -> LocationUpdatePayload:
            location_id = decode_id(input.id, "Location")
            fields = {
                k: getattr(input, k)
                for k in (
                    "name",
                    "address",
                    "city",
                    "ships",
                    "offers_pickup",
                    "sells_in_store",
                    "opening_hours",
                    "pickup_lead_minutes",
                    "priority",
                    "timezone",
                )
            }
            for k in ("latitude", "longitude"):
                if getattr(input, k) is not strawberry.UNSET:
                    fields[k] = getattr(input, k)

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                await inv.update_location(
                    uow, location_id=location_id, actor=info.context.principal.actor, **fields
                )
                return {"location_id": location_id}

            await idempotent(
                info,
                operation="locationUpdate",
                key=input.idempotency_key,
                request={**fields, "id": location_id},
                execute=execute,
            )
            return await _location_payload(info, LocationUpdatePayload, location_id)

        return await payload_or_errors(LocationUpdatePayload, run)

    @strawberry.mutation(
        permission_classes=[ADMIN],
        description="Take a location out of stock checks, availability and sourcing (admin). "
        "Refused while it has reserved or committed units.",
    )
    async def location_deactivate(
        self, info: Info, input: LocationDeactivateInput
    ) -> LocationDeactivatePayload:
        async def run() -> LocationDeactivatePayload:
            location_id = decode_id(input.id, "Location")

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                await inv.deactivate_location(
                    uow, location_id=location_id, actor=info.context.principal.actor
                )
                return {"location_id": location_id}

            await idempotent(
                info,
                operation="locationDeactivate",
                key=input.idempotency_key,
                request={"id": location_id},
                execute=execute,
            )
            return await _location_payload(info, LocationDeactivatePayload, location_id)

        return await payload_or_errors(LocationDeactivatePayload, run)

    # -- stock -------------------------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES], description="Goods received from a supplier."
    )
    async def stock_receive(self, info: Info, input: StockReceiveInput) -> StockReceivePayload:  # type: ignore[valid-type]
        return await _stock(
            info,
            StockReceivePayload,
            input,
            operation="stockReceive",
            request={"q": input.quantity, "doc": input.document_ref, "note": input.note},
            call=lambda uow, v, loc, actor: inv.receive_stock(
                uow,
                variant_id=v,
                location_id=loc,
                quantity=input.quantity,
                actor=actor,
                document_ref=input.document_ref,
                note=input.note,
            ),
        )

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES],
        description="Shrinkage or damage (units out, unclaimed ones only) or found (units in).",
    )
    async def stock_adjust(self, info: Info, input: StockAdjustInput) -> StockAdjustPayload:  # type: ignore[valid-type]
        reason = DomainAdjustReason(input.reason.value)
        return await _stock(
            info,
            StockAdjustPayload,
            input,
            operation="stockAdjust",
            request={"q": input.quantity, "r": reason.value, "doc": input.document_ref},
            call=lambda uow, v, loc, actor: inv.adjust_stock(
                uow,
                variant_id=v,
                location_id=loc,
                quantity=input.quantity,
                reason=reason,
                actor=actor,
                document_ref=input.document_ref,
                note=input.note,
            ),
        )

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES],
        description="Cycle count: on hand becomes the counted quantity; the ledger records "
        "the difference.",
    )
    async def stock_count(self, info: Info, input: StockCountInput) -> StockCountPayload:  # type: ignore[valid-type]
        return await _stock(
            info,
            StockCountPayload,
            input,
            operation="stockCount",
            request={"c": input.counted_quantity, "doc": input.document_ref},
            call=lambda uow, v, loc, actor: inv.count_stock(
                uow,
                variant_id=v,
                location_id=loc,
                counted=input.counted_quantity,
                actor=actor,
                document_ref=input.document_ref,
                note=input.note,
            ),
        )

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES],
        description="Move units between sellable, damaged and quality control.",
    )
    async def stock_state_move(
        self, info: Info, input: StockStateMoveInput
    ) -> StockStateMovePayload:  # type: ignore[valid-type]
        src, dst = DomainStockState(input.from_state.value), DomainStockState(input.to_state.value)
        return await _stock(
            info,
            StockStateMovePayload,
            input,
            operation="stockStateMove",
            request={"q": input.quantity, "f": src.value, "t": dst.value},
            call=lambda uow, v, loc, actor: inv.move_stock_state(
                uow,
                variant_id=v,
                location_id=loc,
                quantity=input.quantity,
                from_state=src,
                to_state=dst,
                actor=actor,
                document_ref=input.document_ref,
                note=input.note,
            ),
        )

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES],
        description="Units kept back from online promises at this location.",
    )
    async def safety_stock_set(
        self, info: Info, input: SafetyStockSetInput
    ) -> SafetyStockSetPayload:  # type: ignore[valid-type]
        return await _stock(
            info,
            SafetyStockSetPayload,
            input,
            operation="safetyStockSet",
            request={"q": input.quantity},
            call=lambda uow, v, loc, actor: inv.set_safety_stock(
                uow, variant_id=v, location_id=loc, quantity=input.quantity, actor=actor
            ),
        )

    # -- transfers ---------------------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES],
        description="Plan a transfer; its units are committed at the source at once. "
        "Staff of the source location.",
    )
    async def transfer_create(
        self, info: Info, input: TransferCreateInput
    ) -> TransferCreatePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            principal = info.context.principal
            src = decode_id(input.from_location_id, "Location", field="fromLocationId")
            dst = decode_id(input.to_location_id, "Location", field="toLocationId")
            _can_act(principal, src, field="fromLocationId")
            lines = await _transfer_lines(info, input.lines)

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                tid = await inv.create_transfer(
                    uow,
                    from_location_id=src,
                    to_location_id=dst,
                    lines=lines,
                    actor=principal.actor,
                    expected_at=input.expected_at,
                    document_ref=input.document_ref,
                )
                return {"transfer_id": tid}

            out = await idempotent(
                info,
                operation="transferCreate",
                key=input.idempotency_key,
                request={
                    "src": src,
                    "dst": dst,
                    "lines": lines,
                    "expected_at": input.expected_at,
                    "doc": input.document_ref,
                },
                execute=execute,
            )
            return await _transfer_payload_of(info, TransferCreatePayload, out["transfer_id"])

        return await payload_or_errors(TransferCreatePayload, run)

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES],
        description="The transfer leaves the source; it shows as incoming at the destination.",
    )
    async def transfer_ship(self, info: Info, input: TransferShipInput) -> TransferShipPayload:  # type: ignore[valid-type]
        async def run() -> Any:
            tid = await _transfer_at(info, input.transfer_id, side="from")

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                await inv.ship_transfer(uow, transfer_id=tid, actor=info.context.principal.actor)
                return {"transfer_id": tid}

            await idempotent(
                info,
                operation="transferShip",
                key=input.idempotency_key,
                request={"id": tid},
                execute=execute,
            )
            return await _transfer_payload_of(info, TransferShipPayload, tid)

        return await payload_or_errors(TransferShipPayload, run)

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES],
        description="Count in what arrived (partial receipts allowed); complete: true closes "
        "the transfer and records any shortfall. Staff of the destination.",
    )
    async def transfer_receive(
        self, info: Info, input: TransferReceiveInput
    ) -> TransferReceivePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            tid = await _transfer_at(info, input.transfer_id, side="to")
            lines = await _transfer_lines(info, input.lines)
            received: dict[int, int] = {}
            for vid, qty in lines:
                received[vid] = received.get(vid, 0) + qty

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                await inv.receive_transfer(
                    uow,
                    transfer_id=tid,
                    received=received,
                    complete=input.complete,
                    actor=info.context.principal.actor,
                )
                return {"transfer_id": tid}

            await idempotent(
                info,
                operation="transferReceive",
                key=input.idempotency_key,
                request={"id": tid, "lines": sorted(received.items()), "c": input.complete},
                execute=execute,
            )
            return await _transfer_payload_of(info, TransferReceivePayload, tid)

        return await payload_or_errors(TransferReceivePayload, run)

    @strawberry.mutation(
        permission_classes=[STOCK_ROLES],
        description="Cancel a transfer not yet shipped; its units are released at the source.",
    )
    async def transfer_cancel(
        self, info: Info, input: TransferCancelInput
    ) -> TransferCancelPayload:  # type: ignore[valid-type]
        async def run() -> Any:
            tid = await _transfer_at(info, input.transfer_id, side="from")

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                await inv.cancel_transfer(uow, transfer_id=tid, actor=info.context.principal.actor)
                return {"transfer_id": tid}

            await idempotent(
                info,
                operation="transferCancel",
                key=input.idempotency_key,
                request={"id": tid},
                execute=execute,
            )
            return await _transfer_payload_of(info, TransferCancelPayload, tid)

        return await payload_or_errors(TransferCancelPayload, run)
