"""Return mutations: returnCreate, returnReceive, returnCancel, returnWindowSet. Each one that
moves stock or money is idempotent (``idempotencyKey`` or the Idempotency-Key header)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.auth import allow
from api.errors import UserError, payload_or_errors
from api.mutations import idempotent
from api.relay import decode_id
from api.returns.types import Disposition, ReturnReason, ReturnType, load_return
from domain.access.model import Role
from domain.shared.uow import UnitOfWork
from fulfillment.returns import model
from fulfillment.returns import services as returns

RETURN_TAKERS = allow(Role.CUSTOMER, Role.CASHIER, Role.STORE_MANAGER, Role.WAREHOUSE)
RECEIVERS = allow(Role.CASHIER, Role.STORE_MANAGER, Role.WAREHOUSE)


@strawberry.input
class ReturnLineInput:
    order_line_id: relay.GlobalID
    quantity: int
    reason: ReturnReason
    note: str | None = None


@strawberry.input(description="Start a return of some lines of an order.")
class ReturnCreateInput:
    order_id: relay.GlobalID
    lines: list[ReturnLineInput]
    to_store_credit: bool = strawberry.field(
        default=False, description="Refund to the customer's store credit, not the tenders."
    )
    location_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Staff: the store taking the return (default: the device's)."
    )
    window_override_reason: str | None = strawberry.field(
        default=None,
        description="Staff only: why a return after the window is accepted (recorded).",
    )
    note: str | None = None
    idempotency_key: str | None = None


@strawberry.type
class ReturnPayload:
    user_errors: list[UserError]
    return_: ReturnType | None = strawberry.field(default=None, name="return")


@strawberry.input
class ReturnReceiveLineInput:
    return_line_id: relay.GlobalID
    disposition: Disposition
    quantity: int | None = strawberry.field(
        default=None, description="Units received; default: every unit of the line."
    )


@strawberry.input(description="The goods of a return arrive at a location.")
class ReturnReceiveInput:
    return_id: relay.GlobalID
    location_id: relay.GlobalID
    lines: list[ReturnReceiveLineInput]
    idempotency_key: str | None = None


@strawberry.input
class ReturnCancelInput:
    return_id: relay.GlobalID
    idempotency_key: str | None = None


@strawberry.input(description="Set the return window of a channel (or of every channel).")
class ReturnWindowSetInput:
    days: int
    channel: str | None = strawberry.field(
        default=None, description="WEB, APP, POS, STAFF, BACK_OFFICE; omitted: every channel."
    )


@strawberry.type
class ReturnWindow:
    channel: str
    days: int


@strawberry.type
class ReturnWindowSetPayload:
    user_errors: list[UserError]
    window: ReturnWindow | None = None


async def _payload(info: Info, result: dict[str, Any]) -> ReturnPayload:
    return ReturnPayload(user_errors=[], return_=await load_return(info, result["return_id"]))


@strawberry.type
class ReturnsMutationFields:
    @strawberry.mutation(
        permission_classes=[RETURN_TAKERS],
        description="Start a return: the customer in the app for their own order, staff at any "
        "store for any order. Handed-over units are to be received (returnReceive); units not "
        "handed over yet are cancelled and refunded at once.",
    )
    async def return_create(self, info: Info, input: ReturnCreateInput) -> ReturnPayload:
        async def run() -> ReturnPayload:
            order_id = decode_id(input.order_id, "Order", field="orderId")
            location_id = (
                decode_id(input.location_id, "Location", field="locationId")
                if input.location_id is not None
                else None
            )
            lines = [
                returns.ReturnLineRequest(
                    decode_id(ln.order_line_id, "OrderLine", field=f"lines[{i}].orderLineId"),
                    ln.quantity,
                    model.ReturnReason(ln.reason.value),
                    ln.note,
                )
                for i, ln in enumerate(input.lines)
            ]
            principal = info.context.principal

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                rid = await returns.create_return(
                    uow,
                    principal,
                    order_id=order_id,
                    lines=lines,
                    to_store_credit=input.to_store_credit,
                    window_override_reason=input.window_override_reason,
                    location_id=location_id,
                    note=input.note,
                )
                return {"return_id": rid}

            result = await idempotent(
                info,
                operation="returnCreate",
                key=input.idempotency_key,
                request={
                    "order": order_id,
                    "lines": [[ln.order_line_id, ln.quantity, ln.reason.value] for ln in lines],
                    "credit": input.to_store_credit,
                    "location": location_id,
                    "override": input.window_override_reason,
                },
                execute=execute,
            )
            return await _payload(info, result)

        return await payload_or_errors(ReturnPayload, run)

    @strawberry.mutation(
        permission_classes=[RECEIVERS],
        description="Receive a return at a location you work at, with a disposition per line; "
        "RESTOCK puts the units on the shelf there. The refund is paid on receipt.",
    )
    async def return_receive(self, info: Info, input: ReturnReceiveInput) -> ReturnPayload:
        async def run() -> ReturnPayload:
            return_id = decode_id(input.return_id, "Return", field="returnId")
            location_id = decode_id(input.location_id, "Location", field="locationId")
            lines = [
                returns.ReceiveLine(
                    decode_id(ln.return_line_id, "ReturnLine", field=f"lines[{i}].returnLineId"),
                    model.Disposition(ln.disposition.value),
                    ln.quantity,
                )
                for i, ln in enumerate(input.lines)
            ]
            principal = info.context.principal

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                rid = await returns.receive_return(
                    uow, principal, return_id=return_id, location_id=location_id, lines=lines
                )
                return {"return_id": rid}

            result = await idempotent(
                info,
                operation="returnReceive",
                key=input.idempotency_key,
                request={
                    "return": return_id,
                    "location": location_id,
                    "lines": [
                        [ln.return_line_id, ln.disposition.value, ln.quantity] for ln in lines
                    ],
                },
                execute=execute,
            )
            return await _payload(info, result)

        return await payload_or_errors(ReturnPayload, run)

    @strawberry.mutation(
        permission_classes=[allow(Role.CUSTOMER, Role.CASHIER, Role.STORE_MANAGER)],
        description="The customer keeps the goods: cancel a requested return.",
    )
    async def return_cancel(self, info: Info, input: ReturnCancelInput) -> ReturnPayload:
        async def run() -> ReturnPayload:
            return_id = decode_id(input.return_id, "Return", field="returnId")
            principal = info.context.principal

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                rid = await returns.cancel_return(uow, principal, return_id=return_id)
                return {"return_id": rid}

            result = await idempotent(
                info,
                operation="returnCancel",
                key=input.idempotency_key,
                request={"return": return_id},
                execute=execute,
            )
            return await _payload(info, result)

        return await payload_or_errors(ReturnPayload, run)

    @strawberry.mutation(
        permission_classes=[allow()],
        description="Admins: how many days after hand-over a return is accepted.",
    )
    async def return_window_set(
        self, info: Info, input: ReturnWindowSetInput
    ) -> ReturnWindowSetPayload:
        async def run() -> ReturnWindowSetPayload:
            days = await returns.set_window(
                info.context.uow(),
                channel=input.channel,
                days=input.days,
                actor=info.context.principal.actor,
            )
            return ReturnWindowSetPayload(
                user_errors=[],
                window=ReturnWindow(channel=(input.channel or "*").upper(), days=days),
            )

        return await payload_or_errors(ReturnWindowSetPayload, run)
