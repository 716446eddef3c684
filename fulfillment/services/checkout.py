"""Checkout: a cart (or a POS sale) becomes an order in ONE transaction (the caller's unit of
work, behind an idempotency key):

price quote -> tenders checked -> vouchers consumed -> stock (cart holds committed, other
lines sourced and committed, carry-out lines sold) -> order + lines (price snapshot) ->
tenders taken (points, store credit) -> fulfillment orders -> loyalty points and spend ->
``OrderUpdated(PLACED)``.

Any userError on the way (a voucher used up meanwhile, too little stock, too few points) rolls
the whole transaction back: no order, no stock, no voucher use, no points.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, text

from domain.access.model import Channel, Principal
from domain.pricing import model as pricing
from domain.pricing.errors import VoucherRejected
from domain.pricing.services.vouchers import consume_vouchers
from domain.shared.clock import utcnow
from domain.shared.errors import Conflict, DomainError, MultipleErrors, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.events import OrderUpdated
from fulfillment.model import CartStatus, FulfillmentMethod, OrderStatus
from fulfillment.queries import variant_titles
from fulfillment.services import carts, holding
from fulfillment.services.fulfillment_orders import (
    FulfillmentItem,
    create_fulfillment_orders,
    refresh_order_status,
)
from fulfillment.services.tenders import TenderRequest, plan_tenders, take_tenders
from fulfillment.sourcing import Allocation
from fulfillment.tables import ORDER_NUMBER_SEQUENCE, CartRow, OrderLineRow, OrderRow
from fulfillment.till import till_store
from inventory.queries import locations_by_ids
from inventory.services.holds import record_sale
from loyalty.model import PurchaseLine
from loyalty.services import earn_points, record_spend


@dataclass(frozen=True)
class DraftLine:
    key: int  # cart line id, or line index for a POS sale
    variant_id: int
    quantity: int
    method: FulfillmentMethod
    pickup_location_id: int | None = None
    holds: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Draft:
    channel: str
    lines: tuple[DraftLine, ...]
    tenders: tuple[TenderRequest, ...]
    actor: str
    location_id: int | None = None
    customer_id: int | None = None
    staff_user_id: int | None = None
    cart_id: int | None = None
    currency: str = "RUB"
    voucher_codes: tuple[str, ...] = ()
    ship_address: dict[str, Any] | None = None
    shipping_method: str | None = None
    email: str | None = None
    phone: str | None = None
    client_sale_id: str | None = None
    placed_at: datetime | None = None  # a till sale: when it happened at the till
    # A till sale the till declared offline, within the offline window: tenders, vouchers and
    # points are taken as the till recorded them; differences are noted for review.
    offline: bool = False


@dataclass(frozen=True)
class Placed:
    order_id: int
    number: str
    replayed: bool = False


def snapshot(quote: pricing.Quote) -> dict[str, Any]:
    """The quote as JSON (enums as their values)."""
    return dict(orjson.loads(orjson.dumps(dataclasses.asdict(quote))))


async def order_number(uow: UnitOfWork, channel: str, location_id: int | None) -> str:
    """W-100001 (web), A-100002 (app), S01-100003 (POS at S01), S01-E100004 (endless aisle)."""
    n = int(await uow.session.scalar(select(ORDER_NUMBER_SEQUENCE.next_value())))
    if location_id is not None and channel in (Channel.POS.value, Channel.STAFF.value):
        code = (await locations_by_ids(uow.session, [location_id]))[location_id].code
        return f"{code}-{'E' if channel == Channel.STAFF.value else ''}{n}"
    prefix = {Channel.WEB.value: "W", Channel.APP.value: "A"}.get(channel, "B")
    return f"{prefix}-{n}"


def _ship_to(address: dict[str, Any] | None) -> tuple[float, float] | None:
    a = address or {}
    if a.get("latitude") is None or a.get("longitude") is None:
        return None
    return float(a["latitude"]), float(a["longitude"])


def _check_draft(draft: Draft, quote: pricing.Quote, *, offline: bool = False) -> list[str]:
    """Raise every problem at once. An offline till sale is never refused for a voucher the
    server no longer accepts: the sale is priced without it and the returned note says why."""
    errors: list[DomainError] = []
    if not draft.lines:
        errors.append(ValidationFailed("The cart is empty; add items first.", field="lines"))
    if any(ln.method is FulfillmentMethod.SHIP for ln in draft.lines):
        if not draft.ship_address:
            errors.append(
                ValidationFailed("Give a delivery address (cartSetShipping).", field="address")
            )
        if not draft.shipping_method:
            errors.append(
                ValidationFailed(
                    "Choose a shipping method (cartSetShipping).",
                    field="shippingMethod",
                    code="NO_SHIPPING",
                )
            )
    rejected = [v for v in quote.vouchers if not v.accepted]
    notes = [f"voucher {v.code} not honoured: {v.message}" for v in rejected] if offline else []
    errors += [
        VoucherRejected(
            f"{v.message} Remove voucher {v.code} to go on.",
            field="voucherCodes",
            code=v.reason.value,
        )
        for v in rejected
        if not offline
    ]
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return notes


async def place_order(uow: UnitOfWork, draft: Draft, *, now: datetime | None = None) -> Placed:
    now = now or utcnow()
    async with uow:
        session = uow.session
        if not draft.lines:
            raise ValidationFailed("The cart is empty; add items first.", field="lines")
        quote = await carts.quote_lines(
            session,
            channel=draft.channel,
            lines=[(ln.variant_id, ln.quantity, ln.method) for ln in draft.lines],
            location_id=draft.location_id,
            customer_id=draft.customer_id,
            voucher_codes=draft.voucher_codes,
            shipping_code=draft.shipping_method,
            currency=draft.currency,
            at=draft.placed_at,
        )
        offline = draft.offline
        notes = _check_draft(draft, quote, offline=offline)
        planned = plan_tenders(
            draft.tenders, total=quote.total, customer_id=draft.customer_id, offline=offline
        )
        number = await order_number(uow, draft.channel, draft.location_id)
        has_online = any(ln.method is not FulfillmentMethod.CARRY_OUT for ln in draft.lines)
        codes = [v.code for v in quote.vouchers if v.accepted]
        # The order, its tenders and loyalty first; the contended rows (voucher uses, stock
        # levels) last, so their row locks are held for the fewest statements before commit.
        order = OrderRow(
            number=number,
            channel=draft.channel,
            status=OrderStatus.PLACED,
            customer_id=draft.customer_id,
            location_id=draft.location_id,
            cart_id=draft.cart_id,
            staff_user_id=draft.staff_user_id,
            client_sale_id=draft.client_sale_id,
            placed_at=draft.placed_at or now,
            recorded_at=now,
            currency=quote.currency,
            subtotal=quote.subtotal,
            discount_total=quote.discount_total,
            shipping=quote.shipping,
            shipping_discount=quote.shipping_discount,
            tax_total=quote.tax_total,
            total=quote.total,
            voucher_codes=codes,
            price_snapshot=snapshot(quote),
            sourcing={},
            ship_address=draft.ship_address,
            shipping_method=draft.shipping_method if has_online else None,
            email=draft.email,
            phone=draft.phone,
            needs_recount=False,
            review_notes=notes,
            points_earned=0,
            actor=draft.actor,
        )
        session.add(order)
        await session.flush()
        titles = await variant_titles(session, [ln.variant_id for ln in draft.lines])
        rows: list[OrderLineRow] = []
        for i, (line, q) in enumerate(zip(draft.lines, quote.lines, strict=True)):
            rows.append(
                OrderLineRow(
                    order_id=order.id,
                    line_no=i + 1,
                    variant_id=line.variant_id,
                    sku=q.sku,
                    title=titles.get(line.variant_id, ("", q.sku))[1],
                    quantity=line.quantity,
                    method=line.method,
                    pickup_location_id=line.pickup_location_id,
                    unit_price=q.unit_price,
                    subtotal=q.subtotal,
                    discount_total=q.discount_total,
                    total=q.total,
                    tax=q.tax,
                    tax_rate_bp=q.tax_rate_bp,
                    discounts=[
                        {
                            "promotionId": d.promotion_id,
                            "name": d.promotion_name,
                            "kind": str(d.kind),
                            "stage": str(d.stage),
                            "amount": d.amount,
                            "voucherCode": d.voucher_code,
                        }
                        for d in q.discounts
                    ],
                    cancelled_quantity=0,
                    fulfilled_quantity=0,
                    returned_quantity=0,
                )
            )
        session.add_all(rows)
        await session.flush()
        line_id = {ln.key: r.id for ln, r in zip(draft.lines, rows, strict=True)}

        taken = await take_tenders(
            uow, order=order, planned=planned, actor=draft.actor, offline=offline
        )
        order.payment_discrepancy = sum(t.amount for t in taken) - quote.total
        uow.record(
            OrderUpdated(
                order_id=order.id,
                number=number,
                status=order.status.value,
                change="PLACED",
                channel=order.channel,
                customer_id=order.customer_id,
                location_id=order.location_id,
                total=order.total,
                currency=order.currency,
            )
        )

        if draft.customer_id is not None:
            categories = await _categories(session, [ln.variant_id for ln in draft.lines])
            earned = await earn_points(
                uow,
                draft.customer_id,
                lines=[
                    PurchaseLine(amount_minor=r.total, category=categories.get(r.variant_id))
                    for r in rows
                ],
                reference=number,
                actor=draft.actor,
                now=order.placed_at,
            )
            order.points_earned = earned.points
            await record_spend(
                uow,
                draft.customer_id,
                amount_minor=order.total,
                currency=order.currency,
                occurred_at=order.placed_at,
                order_ref=number,
            )

        codes = [v.code for v in quote.vouchers if v.accepted]
        if codes and offline:
            # The till gave the discount; a use the voucher no longer has is noted, not refused.
            for code in codes:
                try:
                    async with session.begin_nested():
                        await consume_vouchers(
                            uow,
                            codes=[code],
                            customer_id=draft.customer_id,
                            order_ref=number,
                            now=now,
                        )
                except VoucherRejected as exc:
                    order.review_notes = [
                        *order.review_notes,
                        f"voucher {code} use not counted: {exc}",
                    ]
        elif codes:
            await consume_vouchers(
                uow, codes=codes, customer_id=draft.customer_id, order_ref=number, now=now
            )

        # Stock. Online lines: committed (no oversell). Carry-out: sold (a fact, never refused).
        online = [ln for ln in draft.lines if ln.method is not FulfillmentMethod.CARRY_OUT]
        committed = (
            await holding.commit_units(
                uow,
                [
                    holding.Want(
                        ln.key, ln.variant_id, ln.quantity, ln.method, ln.pickup_location_id
                    )
                    for ln in online
                ],
                {ln.key: ln.holds for ln in online},
                ship_to=_ship_to(draft.ship_address),
                now=now,
                order_ref=f"order:{number}",
                channel=draft.channel,
                actor=draft.actor,
            )
            if online
            else holding.Committed()
        )
        order.sourcing = {"decisions": committed.decisions}

        items: list[FulfillmentItem] = []
        for key, parts in committed.parts.items():
            items += [FulfillmentItem(line_id[key], alloc, hold_id) for alloc, hold_id in parts]
        # Fixed variant order, as for commitments: two tills never wait on each other in a cycle.
        for line in sorted(draft.lines, key=lambda ln: (ln.variant_id, ln.key)):
            if line.method is not FulfillmentMethod.CARRY_OUT:
                continue
            assert draft.location_id is not None
            sale = await record_sale(
                uow,
                variant_id=line.variant_id,
                location_id=draft.location_id,
                quantity=line.quantity,
                actor=draft.actor,
                document_ref=f"order:{number}",
            )
            order.needs_recount = order.needs_recount or sale.needs_recount
            await session.flush()
            items.append(
                FulfillmentItem(
                    line_id[line.key],
                    Allocation(
                        key=line.key,
                        variant_id=line.variant_id,
                        quantity=line.quantity,
                        location_id=draft.location_id,
                        method=FulfillmentMethod.CARRY_OUT,
                        pickup_location_id=None,
                        transfer=False,
                        ready_at=None,
                        reasons=("carried out at the till",),
                    ),
                    None,
                )
            )
        await create_fulfillment_orders(
            uow, order_id=order.id, items=items, actor=draft.actor, now=now
        )
        await session.flush()
        await refresh_order_status(uow, order.id)  # an all carry-out sale is complete at once
        await uow.commit()
    return Placed(order.id, number)


async def _categories(session: Any, variant_ids: Sequence[int]) -> dict[int, str]:
    """Category slug per variant (loyalty's category bonus)."""
    rows = await session.execute(
        text(
            "SELECT v.id, c.slug FROM variants v JOIN products p ON p.id = v.product_id "
            "JOIN categories c ON c.id = p.category_id WHERE v.id = ANY(:ids)"
        ),
        {"ids": list(set(variant_ids))},
    )
    return {int(r[0]): str(r[1]) for r in rows}


async def checkout_cart(
    uow: UnitOfWork,
    principal: Principal,
    ref: carts.CartRef,
    *,
    tenders: Sequence[TenderRequest],
    email: str | None = None,
    phone: str | None = None,
    now: datetime | None = None,
) -> Placed:
    """``checkoutComplete``: the cart (locked, so two checkouts of one cart serialise) becomes
    an order and is closed. A till (POS) cart is checked out only by its store's terminal with
    a cashier of that store signed in, as ``posSaleComplete``."""
    async with uow:
        session = uow.session
        cart: CartRow = await carts.load_cart(session, principal, ref, lock=True)
        if cart.status is CartStatus.CHECKED_OUT:
            number = await session.scalar(
                select(OrderRow.number).where(OrderRow.cart_id == cart.id).limit(1)
            )
            raise Conflict(
                f"This cart was already checked out as order {number}; start a new cart.",
                field="cartId",
                code="CART_CLOSED",
            )
        carts._open(cart)
        if cart.channel == Channel.POS.value:
            # A till cart is paid at the till: the terminal and a cashier of its store.
            till_store(principal, cart.location_id)
        lines = await carts.cart_lines(session, cart.id)
        draft = Draft(
            channel=cart.channel,
            lines=tuple(
                DraftLine(
                    ln.id,
                    ln.variant_id,
                    ln.quantity,
                    ln.method,
                    ln.pickup_location_id,
                    tuple(ln.holds),
                )
                for ln in lines
            ),
            tenders=tuple(tenders),
            actor=principal.actor,
            location_id=cart.location_id,
            customer_id=cart.customer_id,
            staff_user_id=cart.staff_user_id or principal.staff_user_id,
            cart_id=cart.id,
            currency=cart.currency,
            voucher_codes=tuple(cart.voucher_codes),
            ship_address=cart.ship_address,
            shipping_method=cart.shipping_method,
            email=email or cart.email,
            phone=phone or cart.phone,
        )
        cart.status = CartStatus.CHECKED_OUT  # written with the order (before the stock locks)
        cart.version += 1
        placed = await place_order(uow, draft, now=now)
        await uow.commit()
    return placed
