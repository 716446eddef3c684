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
from api.orders.mutations import TenderInput
from api.orders.types import OrderType, order_loader
from api.pricing.types import Money, money
from api.relay import decode_id
from api.returns.types import Disposition, ReturnReason, ReturnType, load_return
from domain.access.model import Role
from domain.shared.uow import UnitOfWork
from fulfillment.model import TenderKind
from fulfillment.returns import model
from fulfillment.returns import services as returns
from fulfillment.services.tenders import TenderRequest

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


@strawberry.input
class ExchangeReturnLineInput:
    order_line_id: relay.GlobalID
    quantity: int
    reason: ReturnReason
    disposition: Disposition = strawberry.field(
        description="What happens to the returned units at this store."
    )


@strawberry.input
class ExchangeNewLineInput:
    variant_id: relay.GlobalID
    quantity: int


@strawberry.input(
    description="Return lines and new lines in one operation at a store; the price difference "
    "is charged (tenders) or refunded to the original payment."
)
class ExchangeCreateInput:
    order_id: relay.GlobalID
    location_id: relay.GlobalID
    return_lines: list[ExchangeReturnLineInput]
    new_lines: list[ExchangeNewLineInput]
    tenders: list[TenderInput] = strawberry.field(
        default_factory=list, description="Pays the difference when the new goods cost more."
    )
    customer_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="Whose store credit carries the value when the order has no customer.",
    )
    window_override_reason: str | None = None
    idempotency_key: str | None = None


@strawberry.type
class ExchangeCreatePayload:
    user_errors: list[UserError]
    return_: ReturnType | None = strawberry.field(default=None, name="return")
    order: OrderType | None = strawberry.field(default=None, description="The new order.")
    returned_value: Money | None = None
    new_total: Money | None = None
    charged: Money | None = None
    refunded: Money | None = None


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

    @strawberry.mutation(
        permission_classes=[RECEIVERS],
        description="Exchange at a store: the returned goods are received here and pay for the "
        "new goods (sold here, priced today); the difference is charged or refunded.",
    )
    async def exchange_create(
        self, info: Info, input: ExchangeCreateInput
    ) -> ExchangeCreatePayload:
        async def run() -> ExchangeCreatePayload:
            order_id = decode_id(input.order_id, "Order", field="orderId")
            location_id = decode_id(input.location_id, "Location", field="locationId")
            customer_id = (
                decode_id(input.customer_id, "Customer", field="customerId")
                if input.customer_id is not None
                else None
            )
            back = [
                returns.ExchangeReturnLine(
                    decode_id(ln.order_line_id, "OrderLine", field=f"returnLines[{i}].orderLineId"),
                    ln.quantity,
                    model.ReturnReason(ln.reason.value),
                    model.Disposition(ln.disposition.value),
                )
                for i, ln in enumerate(input.return_lines)
            ]
            new = [
                returns.NewLine(
                    decode_id(ln.variant_id, "Variant", field=f"newLines[{i}].variantId"),
                    ln.quantity,
                )
                for i, ln in enumerate(input.new_lines)
            ]
            tenders = [
                TenderRequest(TenderKind(t.kind.value), t.amount, t.reference, t.tendered, t.points)
                for t in input.tenders
            ]
            principal = info.context.principal

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                done = await returns.create_exchange(
                    uow,
                    principal,
                    order_id=order_id,
                    location_id=location_id,
                    returning=back,
                    new_lines=new,
                    tenders=tenders,
                    customer_id=customer_id,
                    window_override_reason=input.window_override_reason,
                )
                return {
                    "return_id": done.return_id,
                    "order_id": done.order_id,
                    "value": done.returned_value,
                    "total": done.new_total,
                    "charged": done.charged,
                    "refunded": done.refunded,
                }

            result = await idempotent(
                info,
                operation="exchangeCreate",
                key=input.idempotency_key,
                request={
                    "order": order_id,
                    "location": location_id,
                    "back": [
                        [b.order_line_id, b.quantity, b.reason.value, b.disposition.value]
                        for b in back
                    ],
                    "new": [[n.variant_id, n.quantity] for n in new],
                    "tenders": [
                        [t.kind.value, t.amount, t.reference, t.tendered, t.points] for t in tenders
                    ],
                    "customer": customer_id,
                },
                execute=execute,
            )
            row = await order_loader(info).load(result["order_id"])
            ret = await load_return(info, result["return_id"])
            currency = ret.currency if ret is not None else "RUB"
            return ExchangeCreatePayload(
                user_errors=[],
                return_=ret,
                order=OrderType.from_row(row) if row is not None else None,
                returned_value=money(result["value"], currency),
                new_total=money(result["total"], currency),
                charged=money(result["charged"], currency),
                refunded=money(result["refunded"], currency),
            )

        return await payload_or_errors(ExchangeCreatePayload, run)
