"""Cancelling a whole order, or some units, before they are handed over. In one transaction:

- stock: ``release_order_lines`` releases the committed units (raises
  NOT_CANCELLABLE for units already shipped, picked up or carried out);
- money: the cancelled units' share of what was paid (each line's ``total`` split per unit with
  largest remainder, so cancelling every unit gives back exactly the line total), plus the
  delivery charge once nothing is left to deliver, refunded over the tenders by
  ``refunds.refund`` (points and store credit go back to the customer);
- vouchers: their uses are given back when the whole order is cancelled;
- loyalty: earned points taken back pro rata (all that is left when the whole order goes), and
  the spend reduced by the refund.

So a full cancellation returns every counter (stock levels, voucher uses, points balance, store
credit) exactly to where it was before the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from domain.access.model import Principal
from domain.pricing.services.vouchers import release_vouchers
from domain.shared.errors import Forbidden, NotFound, ValidationFailed
from domain.shared.money import allocate
from domain.shared.uow import UnitOfWork
from fulfillment.events import OrderUpdated
from fulfillment.model import OrderStatus, RefundReason
from fulfillment.services import refunds
from fulfillment.services.fulfillment_orders import refresh_order_status, release_order_lines
from fulfillment.tables import OrderLineRow, OrderRow
from loyalty.errors import NothingToReverse
from loyalty.model import PointsKind
from loyalty.services import record_spend, reverse_points


@dataclass(frozen=True)
class Cancelled:
    order_id: int
    number: str
    quantities: dict[int, int]  # order line id -> units cancelled now
    refunded: int
    points_reversed: int
    order_cancelled: bool


def may_manage(principal: Principal, order: OrderRow) -> bool:
    """The customer (own orders), staff of the selling store or of a fulfilling store is
    checked by the caller; admins and back office anywhere."""
    if principal.customer_id is not None and principal.customer_id == order.customer_id:
        return True
    if order.location_id is not None and (
        principal.client_location_id == order.location_id or principal.can_act_at(order.location_id)
    ):
        return True
    return principal.acts_everywhere


def unit_share(line: OrderLineRow, already: int, now: int) -> int:
    """What ``now`` more units of the line cost, after ``already`` were cancelled."""
    units = allocate(line.total, [1] * line.quantity)
    return sum(units[already : already + now])


async def cancel_order(
    uow: UnitOfWork,
    principal: Principal,
    *,
    order_id: int,
    quantities: Mapping[int, int] | None,
    reason: str,
    now: datetime | None = None,
) -> Cancelled:
    now = now or datetime.now(UTC)
    if quantities is not None:
        if not quantities:
            raise ValidationFailed(
                "Name the lines to cancel, or leave lines out for all.", field="lines"
            )
        if any(q <= 0 for q in quantities.values()):
            raise ValidationFailed("Cancel 1 or more units per line.", field="lines")
    async with uow:
        session = uow.session
        order = await session.scalar(
            select(OrderRow).where(OrderRow.id == order_id).with_for_update()
        )
        if order is None or not may_manage(principal, order):
            raise NotFound("There is no such order.", field="orderId")
        if order.status is not OrderStatus.PLACED:
            raise ValidationFailed(
                f"Order {order.number} is {order.status.value.lower()}; nothing to cancel.",
                field="orderId",
                code="NOT_CANCELLABLE",
            )
        lines = {
            r.id: r
            for r in await session.scalars(
                select(OrderLineRow)
                .where(OrderLineRow.order_id == order_id)
                .order_by(OrderLineRow.id)
            )
        }
        if quantities is not None:
            unknown = [lid for lid in quantities if lid not in lines]
            if unknown:
                raise NotFound("That line is not on this order.", field="lines")
        before = {lid: r.cancelled_quantity for lid, r in lines.items()}
        released = await release_order_lines(
            uow,
            order_id=order_id,
            quantities=quantities,
            actor=principal.actor,
            reason=reason or "CANCELLED",
        )
        released = {k: v for k, v in released.items() if v}
        if not released:
            raise ValidationFailed(
                f"Order {order.number} has nothing left to cancel.",
                field="lines",
                code="NOT_CANCELLABLE",
            )
        goods = sum(unit_share(lines[lid], before[lid], q) for lid, q in released.items())
        for r in lines.values():
            await session.refresh(r)
        everything = all(r.cancelled_quantity == r.quantity for r in lines.values())
        nothing_to_ship = all(
            r.cancelled_quantity + r.fulfilled_quantity == r.quantity for r in lines.values()
        )
        shipping = (
            order.shipping - order.shipping_discount
            if (everything or nothing_to_ship) and not _shipping_refunded(order)
            else 0
        )
        amount = goods + shipping
        order.version += 1
        reference = f"cancel:{order.number}:{order.version}"
        await session.flush()  # the refund re-reads the order row (populate_existing)
        await refunds.refund(
            uow,
            order_id=order.id,
            amount=amount,
            reason=RefundReason.CANCELLATION,
            reference=reference,
            actor=principal.actor,
        )
        if shipping:
            order.sourcing = {**order.sourcing, "shippingRefunded": True}
            await session.flush()
        points = 0
        if order.customer_id is not None:
            points = await _reverse_earned(
                uow,
                order,
                goods=goods,
                everything=everything,
                actor=principal.actor,
                reference=reference,
            )
            if amount:
                await record_spend(
                    uow,
                    order.customer_id,
                    amount_minor=-amount,
                    currency=order.currency,
                    occurred_at=now,
                    order_ref=reference,
                )
        if everything:
            await release_vouchers(uow, order_ref=order.number)
        order.updated_at = now
        await session.flush()
        await refresh_order_status(uow, order.id)
        await session.refresh(order)
        uow.record(
            OrderUpdated(
                order_id=order.id,
                number=order.number,
                status=order.status.value,
                change="CANCELLED" if everything else "LINES_CANCELLED",
                channel=order.channel,
                customer_id=order.customer_id,
                location_id=order.location_id,
                total=order.total,
                currency=order.currency,
            )
        )
        await uow.commit()
    return Cancelled(order.id, order.number, released, amount, points, everything)


def _shipping_refunded(order: OrderRow) -> bool:
    return bool((order.sourcing or {}).get("shippingRefunded"))


async def _reverse_earned(
    uow: UnitOfWork, order: OrderRow, *, goods: int, everything: bool, actor: str, reference: str
) -> int:
    """Points earned on the cancelled goods go back: pro rata, all that is left at the end."""
    if order.points_earned <= 0 or order.customer_id is None:
        return 0
    goods_total = order.total - (order.shipping - order.shipping_discount)
    wanted = (
        None if everything else (order.points_earned * goods // goods_total if goods_total else 0)
    )
    if wanted == 0:
        return 0
    try:
        result = await reverse_points(
            uow,
            order.customer_id,
            reference=order.number,
            of=PointsKind.EARN,
            actor=actor,
            points=wanted,
            idempotency_key=f"{reference}:earn",
        )
    except NothingToReverse:
        return 0
    return -result.points if result.points < 0 else result.points


async def forbid_unless(principal: Principal, order: OrderRow) -> None:
    if not may_manage(principal, order):
        raise Forbidden("You cannot change this order.", field="orderId")
