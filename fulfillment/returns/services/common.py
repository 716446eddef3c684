"""What the return services share: locking in a fixed order (order, its lines, then the
return), the snapshot lines, the refund of a set of units (``settle``), events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from fractions import Fraction
from math import floor

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Principal
from domain.pricing.queries import items_by_variant_ids, promotions_by_ids, to_promotion
from domain.shared.errors import Forbidden, NotFound
from domain.shared.uow import UnitOfWork
from fulfillment.events import OrderUpdated, ReturnChanged
from fulfillment.model import RefundReason
from fulfillment.returns import refund_rules
from fulfillment.returns.errors import ReturnNotFound
from fulfillment.returns.model import ReturnStatus
from fulfillment.returns.repricing import kept_discount_for
from fulfillment.returns.tables import ReturnLineRow, ReturnRow
from fulfillment.services import refunds
from fulfillment.tables import OrderLineRow, OrderRow, RefundRow, TenderRow
from loyalty.model import PointsKind, category_bonus
from loyalty.queries import variant_category_paths
from loyalty.repository import LoyaltyRepository
from loyalty.services import active_customer_id, record_spend, reverse_points


async def lock_order(session: AsyncSession, order_id: int) -> OrderRow:
    order = await session.scalar(
        select(OrderRow)
        .where(OrderRow.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.", field="orderId", code="ORDER_NOT_FOUND")
    return order


async def lock_order_lines(session: AsyncSession, order_id: int) -> dict[int, OrderLineRow]:
    rows = await session.scalars(
        select(OrderLineRow)
        .where(OrderLineRow.order_id == order_id)
        .order_by(OrderLineRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {r.id: r for r in rows}


async def lock_return(
    session: AsyncSession, return_id: int
) -> tuple[ReturnRow, list[ReturnLineRow]]:
    """Order first, then the return (as ``create`` does): no deadlock between them."""
    order_id = await session.scalar(select(ReturnRow.order_id).where(ReturnRow.id == return_id))
    if order_id is None:
        raise ReturnNotFound(f"Return {return_id} does not exist.", field="returnId")
    await lock_order(session, order_id)
    ret = await session.scalar(
        select(ReturnRow)
        .where(ReturnRow.id == return_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert ret is not None
    lines = list(
        await session.scalars(
            select(ReturnLineRow)
            .where(ReturnLineRow.return_id == return_id)
            .order_by(ReturnLineRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    return ret, lines


async def customer_may_use(session: AsyncSession, principal: Principal, order: OrderRow) -> bool:
    """A signed-in customer acts on their own orders (after a merge: the survivor's)."""
    if principal.customer_id is None or order.customer_id is None:
        return False
    mine = await active_customer_id(session, principal.customer_id)
    theirs = await active_customer_id(session, order.customer_id)
    return mine is not None and mine == theirs


async def check_access(
    session: AsyncSession, principal: Principal, order: OrderRow, *, location_id: int | None
) -> None:
    """Staff of any store may start a return (scoped to the store they act at); a customer only
    for their own order."""
    if principal.is_staff:
        if location_id is not None and not principal.can_act_at(location_id):
            raise Forbidden(
                f"You cannot act for location {location_id}; choose one of your stores.",
                field="locationId",
            )
        return
    if not await customer_may_use(session, principal, order):
        raise NotFound(f"Order {order.id} does not exist.", field="orderId", code="ORDER_NOT_FOUND")


def snapshot_lines(lines: Sequence[OrderLineRow]) -> list[refund_rules.SnapshotLine]:
    return [
        refund_rules.snapshot_line(
            line_id=r.id,
            variant_id=r.variant_id,
            quantity=r.quantity,
            unit_price=r.unit_price,
            total=r.total,
            discounts=r.discounts,
        )
        for r in sorted(lines, key=lambda r: r.id)
    ]


async def _kept_discount(
    session: AsyncSession, order: OrderRow, snap: Sequence[refund_rules.SnapshotLine]
) -> refund_rules.KeptDiscount:
    deal_ids = sorted(refund_rules.multi_buy_deals(snap))
    rows = await promotions_by_ids(session, deal_ids) if deal_ids else {}
    items = await items_by_variant_ids(session, sorted({s.variant_id for s in snap}))
    return kept_discount_for(
        snap,
        promotions={i: to_promotion(r) for i, r in rows.items()},
        items=items,
        channel=order.channel,
        currency=order.currency,
        at=order.placed_at,
    )


async def refunded_goods(session: AsyncSession, order: OrderRow) -> tuple[int, bool]:
    """(money refunded for goods so far by returns, exchanges and cancellations; whether
    delivery was refunded by a return already)."""
    refunded = int(
        await session.scalar(
            select(func.coalesce(func.sum(RefundRow.amount), 0)).where(
                RefundRow.order_id == order.id
            )
        )
        or 0
    )
    shipping = int(
        await session.scalar(
            select(func.coalesce(func.sum(ReturnRow.refund_shipping), 0)).where(
                ReturnRow.order_id == order.id
            )
        )
        or 0
    )
    return refunded - shipping, shipping > 0


async def plan(
    session: AsyncSession,
    order: OrderRow,
    order_lines: Mapping[int, OrderLineRow],
    returning: Mapping[int, int],
    *,
    store_fault: bool,
) -> refund_rules.RefundPlan:
    snap = snapshot_lines(list(order_lines.values()))
    done, shipping_refunded = await refunded_goods(session, order)
    left = int(
        await session.scalar(
            select(func.coalesce(func.sum(TenderRow.amount - TenderRow.refunded), 0)).where(
                TenderRow.order_id == order.id
            )
        )
        or 0
    )
    planned = refund_rules.plan_refund(
        snap,
        gone_before={i: r.cancelled_quantity + r.returned_quantity for i, r in order_lines.items()},
        returning=returning,
        refunded_goods=done,
        kept_discount=await _kept_discount(session, order, snap),
        shipping_paid=max(0, order.shipping - order.shipping_discount),
        shipping_refunded=shipping_refunded,
        store_fault=store_fault,
    )
    return refund_rules.capped(planned, left)


async def settle(
    uow: UnitOfWork,
    *,
    order: OrderRow,
    ret: ReturnRow,
    lines: Sequence[ReturnLineRow],
    refund_plan: refund_rules.RefundPlan,
    reference: str,
    reason: RefundReason,
    actor: str,
    now: datetime,
    to_store_credit: bool | None = None,
    store_credit_up_to: int | None = None,
    credit_customer_id: int | None = None,
) -> list[refunds.RefundLine]:
    """Pay ``refund_plan`` (goods + delivery) to the tenders or store credit, take back the
    points earned on it, count the spend back, and book it on the return and its lines.
    ``store_credit_up_to`` (an exchange): that much goes to store credit first (to pay the new
    goods), the rest to the tenders."""
    session = uow.session
    amount = refund_plan.goods + refund_plan.shipping
    credit = 0 if store_credit_up_to is None else min(store_credit_up_to, amount)
    paid: list[refunds.RefundLine] = []
    if credit:
        paid += await refunds.refund(
            uow,
            order_id=order.id,
            amount=credit,
            reason=RefundReason.EXCHANGE,
            reference=f"{reference}:exchange",
            actor=actor,
            to_store_credit=True,
            store_credit_customer_id=credit_customer_id,
        )
    paid += await refunds.refund(
        uow,
        order_id=order.id,
        amount=amount - credit,
        reason=reason,
        reference=reference,
        actor=actor,
        to_store_credit=ret.to_store_credit if to_store_credit is None else to_store_credit,
    )
    by_order_line = {r.order_line_id: r for r in lines}
    for part in refund_plan.lines:
        by_order_line[part.line_id].refund_amount += part.amount
    ret.refund_goods += refund_plan.goods
    ret.refund_shipping += refund_plan.shipping
    ret.refund_withheld += refund_plan.withheld
    ret.refund_total = ret.refund_goods + ret.refund_shipping
    if order.customer_id is not None and amount > 0:
        ret.points_reversed += await _reverse_points(uow, order, refund_plan, reference, actor)
        if order.currency == "RUB":
            await record_spend(
                uow,
                order.customer_id,
                amount_minor=-amount,
                currency=order.currency,
                occurred_at=now,
                order_ref=f"{order.number}:{reference}",
            )
    await session.flush()
    return paid


async def _reverse_points(
    uow: UnitOfWork,
    order: OrderRow,
    refund_plan: refund_rules.RefundPlan,
    reference: str,
    actor: str,
) -> int:
    """The points the refunded lines earned: each line's share weighted by its category bonus
    (a charger earned x1.5 of its price, a phone x1), rounded down; the return that completes
    the refund takes back everything still left."""
    if order.points_earned <= 0 or refund_plan.goods <= 0:
        return 0
    assert order.customer_id is not None
    session = uow.session
    order_lines = list(
        await session.scalars(select(OrderLineRow).where(OrderLineRow.order_id == order.id))
    )
    snap_paid = sum(r.total for r in order_lines)
    paths = await variant_category_paths(session, [r.variant_id for r in order_lines])
    weight = {
        r.id: category_bonus(
            (paths.get(r.variant_id) or (None,))[0], paths.get(r.variant_id, ())[1:]
        )
        for r in order_lines
    }
    earned_weighted = sum(r.total * weight[r.id] for r in order_lines)
    refunded_weighted = sum(
        p.amount * weight.get(p.line_id, Fraction(1)) for p in refund_plan.lines
    )
    done, _ = await refunded_goods(session, order)  # includes this refund (already written)
    customer = await active_customer_id(session, order.customer_id)
    if customer is None:
        return 0
    totals = await LoyaltyRepository(session).reference_totals(customer, order.number)
    left = abs(totals.get("EARN", 0)) - abs(totals.get("REVERSE_EARN", 0))
    if done >= snap_paid:
        due = left
    else:
        share = order.points_earned * refunded_weighted / earned_weighted if earned_weighted else 0
        due = min(left, floor(share))
    if due <= 0:
        return 0
    result = await reverse_points(
        uow,
        customer,
        reference=order.number,
        of=PointsKind.EARN,
        points=due,
        actor=actor,
        idempotency_key=f"{order.number}:{reference}",
    )
    return -result.points


def record_changed(uow: UnitOfWork, order: OrderRow, ret: ReturnRow) -> None:
    uow.record(
        ReturnChanged(
            return_id=ret.id,
            order_id=order.id,
            location_id=ret.location_id or ret.started_at_location_id,
            status=ret.status.value,
            customer_id=ret.customer_id,
        ),
        OrderUpdated(
            order_id=order.id,
            number=order.number,
            status=order.status.value,
            change="RETURN",
            channel=order.channel,
            customer_id=order.customer_id,
            location_id=order.location_id,
            total=order.total,
            currency=order.currency,
        ),
    )


def is_open(ret: ReturnRow) -> bool:
    return ret.status is ReturnStatus.REQUESTED
