"""Exchanges at a store: return lines and new lines in one operation.

One transaction: the returned units are received at the store (stock in, per disposition),
their refund ``C`` is computed by the refund rules, the new goods are sold through the one
checkout (``place_order``, carry-out at the store: stock out, priced by the pricing engine
today, points earned) and paid with the value of the returned goods first:

- ``C`` >= new total ``N``: ``N`` goes to the customer's store credit and straight back out as
  the new order's STORE_CREDIT tender; the difference ``C - N`` is refunded to the original
  tenders (the refund rules' tender order).
- ``C`` < ``N``: all of ``C`` pays the new order the same way; the caller's tenders pay the
  difference ``N - C`` (an open-ended card or cash tender takes exactly that).

Store credit carries the value between the two orders, so an exchange needs a customer: the
original order's, or one named for the exchange (looked up at the till).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from domain.access.model import Principal
from domain.shared.clock import utcnow
from domain.shared.errors import ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.model import FulfillmentMethod, TenderKind
from fulfillment.returns.model import Disposition, ReturnReason
from fulfillment.returns.services.common import lock_order
from fulfillment.returns.services.create import ReturnLineRequest, create_return
from fulfillment.returns.services.receive import ReceiveLine, receive
from fulfillment.returns.tables import ReturnLineRow
from fulfillment.services import carts
from fulfillment.services.checkout import Draft, DraftLine, place_order
from fulfillment.services.tenders import TenderRequest


@dataclass(frozen=True)
class ExchangeReturnLine:
    order_line_id: int
    quantity: int
    reason: ReturnReason
    disposition: Disposition


@dataclass(frozen=True)
class NewLine:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class Exchanged:
    return_id: int
    order_id: int  # the new order
    returned_value: int  # C: what the returned goods are worth back
    new_total: int  # N
    charged: int  # paid by the caller's tenders (N - C when positive)
    refunded: int  # back to the original tenders (C - N when positive)


async def create_exchange(
    uow: UnitOfWork,
    principal: Principal,
    *,
    order_id: int,
    location_id: int,
    returning: Sequence[ExchangeReturnLine],
    new_lines: Sequence[NewLine],
    tenders: Sequence[TenderRequest] = (),
    customer_id: int | None = None,
    window_override_reason: str | None = None,
    now: datetime | None = None,
) -> Exchanged:
    now = now or utcnow()
    if not new_lines:
        raise ValidationFailed(
            "Add the new goods (newLines); to give goods back only, use returnCreate.",
            field="newLines",
        )
    async with uow:
        session = uow.session
        order = await lock_order(session, order_id)
        customer = order.customer_id or customer_id
        if customer is None:
            raise ValidationFailed(
                f"Order {order.number} has no customer. Look the customer up (or enrol them) "
                "and give customerId: the returned value is carried as store credit.",
                field="customerId",
            )
        return_id = await create_return(
            uow,
            principal,
            order_id=order_id,
            lines=[ReturnLineRequest(r.order_line_id, r.quantity, r.reason) for r in returning],
            window_override_reason=window_override_reason,
            location_id=location_id,
            note="exchange",
            now=now,
        )
        rows = {
            r.order_line_id: r
            for r in await session.scalars(
                select(ReturnLineRow).where(ReturnLineRow.return_id == return_id)
            )
        }
        if any(r.cancelled_quantity for r in rows.values()):
            raise ValidationFailed(
                "Only goods the customer has can be exchanged; cancel units not handed over "
                "yet with returnCreate.",
                field="returnLines",
            )
        quote = await carts.quote_lines(
            session,
            channel=principal.channel.value,
            lines=[(n.variant_id, n.quantity, FulfillmentMethod.CARRY_OUT) for n in new_lines],
            location_id=location_id,
            customer_id=customer,
            voucher_codes=(),
            shipping_code=None,
            currency=order.currency,
            at=now,
        )
        new_total = quote.total
        ret = await receive(
            uow,
            principal,
            return_id=return_id,
            location_id=location_id,
            lines=[ReceiveLine(rows[r.order_line_id].id, r.disposition) for r in returning],
            now=now,
            store_credit_up_to=new_total,
            credit_customer_id=customer,
        )
        value = ret.refund_total
        from_credit = min(value, new_total)
        pay: list[TenderRequest] = []
        if from_credit:
            pay.append(TenderRequest(TenderKind.STORE_CREDIT, amount=from_credit))
        if new_total > value:
            if not tenders:
                raise ValidationFailed(
                    f"The new goods cost {(new_total - value) / 100:.2f} more than the returned "
                    "ones; add a tender for the difference.",
                    field="tenders",
                )
            pay += list(tenders)
        elif tenders:
            raise ValidationFailed(
                "The returned goods cover the new ones; send no tenders (the difference is "
                "refunded to the original payment).",
                field="tenders",
            )
        placed = await place_order(
            uow,
            Draft(
                channel=principal.channel.value,
                lines=tuple(
                    DraftLine(i, n.variant_id, n.quantity, FulfillmentMethod.CARRY_OUT)
                    for i, n in enumerate(new_lines)
                ),
                tenders=tuple(pay),
                actor=principal.actor,
                location_id=location_id,
                customer_id=customer,
                staff_user_id=principal.staff_user_id,
                currency=order.currency,
            ),
            now=now,
        )
        ret.exchange_order_id = placed.order_id
        await session.flush()
        await uow.commit()
    return Exchanged(
        return_id=return_id,
        order_id=placed.order_id,
        returned_value=value,
        new_total=new_total,
        charged=max(0, new_total - value),
        refunded=max(0, value - new_total),
    )
