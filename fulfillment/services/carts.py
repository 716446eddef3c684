"""Carts in every channel, called inside the caller's unit of work.

- Web/app: an anonymous cart is found by its ``token`` (a bearer secret the client keeps);
  ``adopt_cart`` moves it into the signed-in customer's open cart.
- POS: a terminal's cart at its store (``location_id``), CARRY_OUT lines sold at tender.
- STAFF (endless aisle): staff in a store build a cart for delivery or pickup elsewhere.

SHIP and PICKUP lines are held (inventory ``reserve`` with the channel's TTL) where sourcing
chooses, re-held whenever the line or the delivery address changes and released when the line
goes. CARRY_OUT lines are never held: the POS commits at tender (DESIGN).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Channel, Principal, PrincipalKind
from domain.catalog import queries as catalog
from domain.pricing import model as pricing
from domain.pricing.errors import VoucherRejected
from domain.pricing.services.quotes import LineRequest, price_quote
from domain.shared.clock import utcnow
from domain.shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    MultipleErrors,
    NotFound,
    ValidationFailed,
)
from domain.shared.uow import UnitOfWork
from fulfillment.model import CartStatus, FulfillmentMethod
from fulfillment.services import holding
from fulfillment.services.shipping import shipping_method
from fulfillment.tables import CartLineRow, CartRow
from inventory.queries import locations_by_ids

MAX_LINES = 100
MAX_QUANTITY = 999
STORE_CHANNELS = (Channel.POS.value, Channel.STAFF.value)


@dataclass(frozen=True)
class CartRef:
    cart_id: int | None = None
    token: str | None = None


@dataclass(frozen=True)
class NewLine:
    variant_id: int
    quantity: int
    method: FulfillmentMethod
    pickup_location_id: int | None = None


@dataclass(frozen=True)
class LineChange:
    line_id: int
    quantity: int
    method: FulfillmentMethod | None = None
    pickup_location_id: int | None = None


# -- access -----------------------------------------------------------------------------------


def may_use(principal: Principal, cart: CartRow, *, token: str | None) -> bool:
    """The token is the anonymous shopper's key; otherwise the owner, or staff / a device of
    the cart's store."""
    if token is not None and secrets.compare_digest(token, cart.token):
        return True
    if principal.customer_id is not None and principal.customer_id == cart.customer_id:
        return True
    if cart.location_id is not None:
        if principal.client_location_id == cart.location_id:
            return True
        return principal.can_act_at(cart.location_id)
    return principal.acts_everywhere  # admin / merchandiser


async def load_cart(
    session: AsyncSession, principal: Principal, ref: CartRef, *, lock: bool = False
) -> CartRow:
    stmt = select(CartRow)
    if ref.cart_id is not None:
        stmt = stmt.where(CartRow.id == ref.cart_id)
    elif ref.token:
        stmt = stmt.where(CartRow.token == ref.token)
    else:
        raise ValidationFailed("Name the cart by cartId or token.", field="cartId")
    if lock:
        stmt = stmt.with_for_update()
    cart = await session.scalar(stmt)
    if cart is None or not may_use(principal, cart, token=ref.token):
        raise NotFound("There is no such cart; create a new one with cartCreate.", field="cartId")
    return cart


def _open(cart: CartRow) -> None:
    if cart.status is not CartStatus.OPEN:
        raise Conflict(
            f"This cart is {cart.status.value.lower().replace('_', ' ')}; start a new cart.",
            field="cartId",
            code="CART_CLOSED",
        )


async def cart_lines(session: AsyncSession, cart_id: int) -> list[CartLineRow]:
    return list(
        await session.scalars(
            select(CartLineRow).where(CartLineRow.cart_id == cart_id).order_by(CartLineRow.id)
        )
    )


def ship_to(cart: CartRow) -> tuple[float, float] | None:
    a = cart.ship_address or {}
    if a.get("latitude") is None or a.get("longitude") is None:
        return None
    return float(a["latitude"]), float(a["longitude"])


def _touch(cart: CartRow, now: datetime) -> None:
    cart.version += 1
    cart.updated_at = now


# -- create / adopt ---------------------------------------------------------------------------


async def create_cart(
    uow: UnitOfWork,
    principal: Principal,
    *,
    location_id: int | None = None,
    customer_id: int | None = None,
    currency: str = "RUB",
) -> tuple[int, str]:
    """(id, token) of a new cart in the caller's channel. A signed-in customer gets their open
    cart back. POS and staff carts belong to a store: the device's, or ``location_id``."""
    channel = principal.channel.value
    if principal.is_staff and principal.channel is not Channel.POS:
        channel = Channel.STAFF.value  # staff on their own device: an endless-aisle cart
    async with uow:
        session = uow.session
        if principal.kind is PrincipalKind.CUSTOMER:
            existing = (
                await session.execute(
                    select(CartRow.id, CartRow.token)
                    .where(
                        CartRow.customer_id == principal.customer_id,
                        CartRow.status == CartStatus.OPEN,
                        CartRow.channel == channel,
                    )
                    .order_by(CartRow.id.desc())
                    .limit(1)
                )
            ).one_or_none()
            if existing is not None:
                return int(existing.id), str(existing.token)
            customer_id = principal.customer_id
        elif customer_id is not None and not principal.is_staff:
            raise Forbidden("Only staff can start a cart for a customer.", field="customerId")
        if channel in STORE_CHANNELS or location_id is not None:
            location_id = location_id or principal.client_location_id
            if location_id is None:
                raise ValidationFailed(
                    "A store cart needs its store: use the store device's API key or give "
                    "locationId.",
                    field="locationId",
                )
            if not (
                principal.client_location_id == location_id or principal.can_act_at(location_id)
            ):
                raise Forbidden("You can sell at your own stores only.", field="locationId")
            if not await locations_by_ids(session, [location_id]):
                raise NotFound("There is no such store.", field="locationId")
        cart = CartRow(
            token=secrets.token_urlsafe(24),
            channel=channel,
            status=CartStatus.OPEN,
            customer_id=customer_id,
            location_id=location_id,
            staff_user_id=principal.staff_user_id,
            currency=currency,
            voucher_codes=[],
        )
        session.add(cart)
        await session.flush()
        await uow.commit()
    return int(cart.id), cart.token


async def adopt_cart(
    uow: UnitOfWork, principal: Principal, *, token: str, now: datetime | None = None
) -> int:
    """On sign-in: the anonymous cart's lines (with their holds) and vouchers move into the
    customer's open cart of that channel (or the anonymous cart becomes theirs)."""
    if principal.customer_id is None:
        raise Forbidden("Sign in as a customer to keep this cart.", field="token")
    now = now or utcnow()
    async with uow:
        session = uow.session
        anon = await load_cart(session, principal, CartRef(token=token), lock=True)
        if anon.customer_id == principal.customer_id and anon.status is CartStatus.OPEN:
            return int(anon.id)
        _open(anon)
        if anon.customer_id is not None:
            raise Forbidden("This cart belongs to another customer.", field="token")
        target = await session.scalar(
            select(CartRow)
            .where(
                CartRow.customer_id == principal.customer_id,
                CartRow.status == CartStatus.OPEN,
                CartRow.channel == anon.channel,
            )
            .order_by(CartRow.id.desc())
            .limit(1)
            .with_for_update()
        )
        if target is None:
            anon.customer_id = principal.customer_id
            _touch(anon, now)
            await uow.commit()
            return int(anon.id)
        existing = {
            (ln.variant_id, ln.method, ln.pickup_location_id): ln
            for ln in await cart_lines(session, target.id)
        }
        rehold: list[CartLineRow] = []
        moving = await cart_lines(session, anon.id)
        await holding.lock_stock(uow, (ln.variant_id for ln in moving))
        for line in moving:
            same = existing.get((line.variant_id, line.method, line.pickup_location_id))
            if same is None:
                line.cart_id = target.id
                continue
            same.quantity = min(same.quantity + line.quantity, MAX_QUANTITY)
            await holding.release_holds(uow, line.holds, actor=principal.actor)
            await session.delete(line)
            rehold.append(same)
        target.voucher_codes = sorted(set(target.voucher_codes) | set(anon.voucher_codes))
        if target.ship_address is None and anon.ship_address is not None:
            target.ship_address, target.shipping_method = anon.ship_address, anon.shipping_method
        anon.status = CartStatus.MERGED
        _touch(anon, now)
        _touch(target, now)
        await session.flush()
        await _rehold(uow, target, rehold, now=now, actor=principal.actor)
        await uow.commit()
        return int(target.id)


# -- lines ------------------------------------------------------------------------------------


def _check_line(
    cart: CartRow, method: FulfillmentMethod, pickup: int | None, quantity: int, field: str
) -> list[DomainError]:
    errors: list[DomainError] = []
    if not 1 <= quantity <= MAX_QUANTITY:
        errors.append(
            ValidationFailed(f"Quantity must be 1 to {MAX_QUANTITY}.", field=f"{field}.quantity")
        )
    if method is FulfillmentMethod.CARRY_OUT and cart.channel != Channel.POS.value:
        errors.append(
            ValidationFailed(
                "Carry-out is for sales at the till; choose SHIP or PICKUP.",
                field=f"{field}.method",
            )
        )
    if (method is FulfillmentMethod.PICKUP) != (pickup is not None):
        errors.append(
            ValidationFailed(
                "A PICKUP line needs pickupLocationId (and only PICKUP lines take one).",
                field=f"{field}.pickupLocationId",
            )
        )
    return errors


async def _check_pickups(session: AsyncSession, ids: set[int]) -> None:
    found = await locations_by_ids(session, list(ids))
    bad = [i for i in ids if i not in found or not found[i].offers_pickup or not found[i].active]
    if bad:
        raise ValidationFailed(
            "That store does not offer pickup; choose another store or delivery.",
            field="pickupLocationId",
            code="NO_PICKUP",
        )


async def _rehold(
    uow: UnitOfWork, cart: CartRow, lines: Sequence[CartLineRow], *, now: datetime, actor: str
) -> dict[int, Any]:
    """Give back the lines' holds and hold them afresh where sourcing chooses now. All levels
    of the lines' items are locked first (global order), so the units given back are still
    there to hold again: no other cart can take them in between, and none waits in a cycle."""
    await holding.lock_stock(uow, (ln.variant_id for ln in lines))
    for line in lines:
        if line.holds:
            await holding.release_holds(uow, line.holds, actor=actor)
            line.holds = []
    wants = [
        holding.Want(ln.id, ln.variant_id, ln.quantity, ln.method, ln.pickup_location_id)
        for ln in lines
        if ln.method is not FulfillmentMethod.CARRY_OUT
    ]
    if not wants:
        return {}
    held, short = await holding.hold_units(
        uow, wants, ship_to=ship_to(cart), now=now, channel=cart.channel, actor=actor
    )
    for line in lines:
        if line.id in held:
            line.holds = held[line.id]
    await uow.session.flush()
    return short


async def _rehold_if_moved(
    uow: UnitOfWork, cart: CartRow, lines: Sequence[CartLineRow], *, now: datetime, actor: str
) -> None:
    """A new address may change where lines ship from: re-hold only the lines whose sourcing
    now differs from what they hold (a plan is a read; holding again is two writes on the
    level rows other carts are after too)."""
    await holding.lock_stock(uow, (ln.variant_id for ln in lines))
    wants = [holding.Want(ln.id, ln.variant_id, ln.quantity, ln.method, None) for ln in lines]
    own: dict[tuple[int, int], int] = {}
    for ln in lines:
        for key, units in holding.held_units(ln.holds, ln.variant_id).items():
            own[key] = own.get(key, 0) + units
    # The cart's own holds count as available to it: with every unit held, a line that keeps
    # its source is left alone instead of being released and re-held.
    decision = await holding.plan(uow, wants, ship_to=ship_to(cart), now=now, own=own)
    planned: dict[int, list[tuple[int, int]]] = {}
    for a in decision.allocations:
        planned.setdefault(a.key, []).append((a.location_id, a.quantity))
    moved = [
        ln
        for ln in lines
        if sorted(planned.get(ln.id, []))
        != sorted((int(h["locationId"]), int(h["quantity"])) for h in ln.holds)
    ]
    if moved:
        await _rehold(uow, cart, moved, now=now, actor=actor)


async def add_lines(
    uow: UnitOfWork,
    principal: Principal,
    ref: CartRef,
    lines: Sequence[NewLine],
    *,
    now: datetime | None = None,
) -> int:
    """Add items; the same item with the same method adds to its line. A line that cannot be
    held whole is still added (the cart shows what is available); checkout sources it again."""
    now = now or utcnow()
    if not lines:
        raise ValidationFailed("Add at least one line.", field="lines")
    async with uow:
        session = uow.session
        cart = await load_cart(session, principal, ref, lock=True)
        _open(cart)
        errors = [
            e
            for i, ln in enumerate(lines)
            for e in _check_line(cart, ln.method, ln.pickup_location_id, ln.quantity, f"lines[{i}]")
        ]
        variants = await catalog.variants_by_ids(session, [ln.variant_id for ln in lines])
        errors += [
            NotFound("No such item; scan or search again.", field=f"lines[{i}].variantId")
            for i, ln in enumerate(lines)
            if ln.variant_id not in variants
        ]
        if errors:
            raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
        pickups = {ln.pickup_location_id for ln in lines if ln.pickup_location_id is not None}
        if pickups:
            await _check_pickups(session, pickups)
        existing = await cart_lines(session, cart.id)
        by_key = {(ln.variant_id, ln.method, ln.pickup_location_id): ln for ln in existing}
        if len(existing) + len(lines) > MAX_LINES:
            raise ValidationFailed(f"A cart holds at most {MAX_LINES} lines.", field="lines")
        touched: list[CartLineRow] = []
        for i, new in enumerate(lines):
            key = (new.variant_id, new.method, new.pickup_location_id)
            row = by_key.get(key)
            if row is None:
                row = CartLineRow(
                    cart_id=cart.id,
                    variant_id=new.variant_id,
                    quantity=new.quantity,
                    method=new.method,
                    pickup_location_id=new.pickup_location_id,
                    holds=[],
                )
                session.add(row)
                by_key[key] = row
            else:
                row.quantity += new.quantity
                if row.quantity > MAX_QUANTITY:
                    raise ValidationFailed(
                        f"Quantity must be 1 to {MAX_QUANTITY}.", field=f"lines[{i}].quantity"
                    )
            if row not in touched:
                touched.append(row)
        await session.flush()
        await _rehold(uow, cart, touched, now=now, actor=principal.actor)
        _touch(cart, now)
        await uow.commit()
    return int(cart.id)


async def update_lines(
    uow: UnitOfWork,
    principal: Principal,
    ref: CartRef,
    changes: Sequence[LineChange],
    *,
    now: datetime | None = None,
) -> int:
    """Change quantities (0 removes) or methods; changed lines are re-held."""
    now = now or utcnow()
    async with uow:
        session = uow.session
        cart = await load_cart(session, principal, ref, lock=True)
        _open(cart)
        rows = {ln.id: ln for ln in await cart_lines(session, cart.id)}
        errors: list[DomainError] = []
        for i, c in enumerate(changes):
            row = rows.get(c.line_id)
            if row is None:
                errors.append(NotFound("No such line in this cart.", field=f"lines[{i}].lineId"))
                continue
            if c.quantity == 0:
                continue
            method = c.method or row.method
            pickup = c.pickup_location_id if c.method is not None else row.pickup_location_id
            errors += _check_line(cart, method, pickup, c.quantity, f"lines[{i}]")
        if errors:
            raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
        pickups = {c.pickup_location_id for c in changes if c.pickup_location_id is not None}
        if pickups:
            await _check_pickups(session, pickups)
        await holding.lock_stock(uow, (rows[c.line_id].variant_id for c in changes))
        touched: list[CartLineRow] = []
        for c in changes:
            row = rows[c.line_id]
            if c.quantity == 0:
                await holding.release_holds(uow, row.holds, actor=principal.actor)
                await session.delete(row)
                continue
            row.quantity = c.quantity
            if c.method is not None:
                row.method, row.pickup_location_id = c.method, c.pickup_location_id
            touched.append(row)
        await session.flush()
        await _rehold(uow, cart, touched, now=now, actor=principal.actor)
        _touch(cart, now)
        await uow.commit()
    return int(cart.id)


async def remove_lines(
    uow: UnitOfWork, principal: Principal, ref: CartRef, line_ids: Sequence[int]
) -> int:
    async with uow:
        session = uow.session
        cart = await load_cart(session, principal, ref, lock=True)
        _open(cart)
        rows = {ln.id: ln for ln in await cart_lines(session, cart.id)}
        missing = [i for i, lid in enumerate(line_ids) if lid not in rows]
        if missing:
            raise NotFound("No such line in this cart.", field=f"lineIds[{missing[0]}]")
        await holding.lock_stock(uow, (rows[lid].variant_id for lid in line_ids))
        for lid in line_ids:
            await holding.release_holds(uow, rows[lid].holds, actor=principal.actor)
        await session.execute(delete(CartLineRow).where(CartLineRow.id.in_(list(line_ids))))
        _touch(cart, utcnow())
        await uow.commit()
    return int(cart.id)


# -- shipping, customer, vouchers -------------------------------------------------------------

ADDRESS_FIELDS = ("name", "line1", "city", "postcode", "country", "latitude", "longitude", "phone")


async def set_shipping(
    uow: UnitOfWork,
    principal: Principal,
    ref: CartRef,
    *,
    address: dict[str, Any] | None,
    method: str | None,
    now: datetime | None = None,
) -> int:
    """Delivery address (lat/lon drive sourcing) and shipping method; SHIP lines are re-held."""
    now = now or utcnow()
    async with uow:
        session = uow.session
        cart = await load_cart(session, principal, ref, lock=True)
        _open(cart)
        if method is not None:
            cart.shipping_method = shipping_method(method).code
        if address is not None:
            clean = {k: address.get(k) for k in ADDRESS_FIELDS}
            missing = [k for k in ("line1", "city") if not (clean.get(k) or "").strip()]
            if missing:
                raise ValidationFailed(
                    f"The delivery address needs {' and '.join(missing)}.",
                    field=f"address.{missing[0]}",
                )
            lat, lon = clean.get("latitude"), clean.get("longitude")
            if (lat is None) != (lon is None) or (
                lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
            ):
                raise ValidationFailed(
                    "Give both latitude and longitude, or neither.", field="address.latitude"
                )
            clean["country"] = (clean.get("country") or "RU").upper()
            before = ship_to(cart)
            cart.ship_address = clean
            ship_lines = [
                ln
                for ln in await cart_lines(session, cart.id)
                if ln.method is FulfillmentMethod.SHIP
            ]
            if ship_lines and ship_to(cart) != before:
                await _rehold_if_moved(uow, cart, ship_lines, now=now, actor=principal.actor)
        _touch(cart, now)
        await uow.commit()
    return int(cart.id)


async def attach_customer(
    uow: UnitOfWork,
    principal: Principal,
    ref: CartRef,
    *,
    customer_id: int,
    email: str | None = None,
) -> int:
    """A member at the till (looked up by phone, card or QR) or an endless-aisle customer."""
    async with uow:
        cart = await load_cart(uow.session, principal, ref, lock=True)
        _open(cart)
        if not principal.is_staff and principal.client_location_id is None:
            raise Forbidden("Only a store can attach a customer to a cart.", field="customerId")
        cart.customer_id = customer_id
        if email:
            cart.email = email
        _touch(cart, utcnow())
        await uow.commit()
    return int(cart.id)


async def set_contact(
    uow: UnitOfWork, principal: Principal, ref: CartRef, *, email: str | None, phone: str | None
) -> None:
    async with uow:
        cart = await load_cart(uow.session, principal, ref, lock=True)
        _open(cart)
        cart.email = email or cart.email
        cart.phone = phone or cart.phone
        await uow.commit()


async def apply_voucher(uow: UnitOfWork, principal: Principal, ref: CartRef, *, code: str) -> int:
    """Keep a voucher on the cart if the engine accepts it for this cart now."""
    normal = pricing.normalise_code(code)
    if not normal:
        raise ValidationFailed("Type the voucher code.", field="code")
    async with uow:
        session = uow.session
        cart = await load_cart(session, principal, ref, lock=True)
        _open(cart)
        codes = sorted(set(cart.voucher_codes) | {normal})
        lines = await cart_lines(session, cart.id)
        if lines:
            quote = await quote_cart(session, cart, lines, voucher_codes=codes)
            outcome = next(
                (v for v in quote.vouchers if pricing.normalise_code(v.code) == normal), None
            )
            if outcome is None or not outcome.accepted:
                raise VoucherRejected(
                    outcome.message if outcome else f"Voucher {normal} cannot be used.",
                    field="code",
                    code=outcome.reason.value if outcome else None,
                )
        cart.voucher_codes = codes
        _touch(cart, utcnow())
        await uow.commit()
    return int(cart.id)


async def remove_voucher(uow: UnitOfWork, principal: Principal, ref: CartRef, *, code: str) -> int:
    normal = pricing.normalise_code(code)
    async with uow:
        cart = await load_cart(uow.session, principal, ref, lock=True)
        _open(cart)
        cart.voucher_codes = [c for c in cart.voucher_codes if c != normal]
        _touch(cart, utcnow())
        await uow.commit()
    return int(cart.id)


# -- pricing ----------------------------------------------------------------------------------


async def quote_lines(
    session: AsyncSession,
    *,
    channel: str,
    lines: Sequence[tuple[int, int, FulfillmentMethod]],
    location_id: int | None,
    customer_id: int | None,
    voucher_codes: Sequence[str],
    shipping_code: str | None,
    currency: str = "RUB",
    at: datetime | None = None,
) -> pricing.Quote:
    """The engine's quote for (variant, quantity, method) lines; delivery is charged when a
    line ships (free over the method's threshold on the goods total after discounts)."""
    requests = [LineRequest(quantity=q, variant_id=v) for v, q, _ in lines]

    async def run(shipping: int) -> pricing.Quote:
        return await price_quote(
            session,
            channel=Channel(channel),
            lines=requests,
            location_id=location_id,
            customer_id=customer_id,
            voucher_codes=voucher_codes,
            currency=currency,
            shipping=shipping,
            at=at,
        )

    quote = await run(0)
    if any(m is FulfillmentMethod.SHIP for _, _, m in lines) and shipping_code:
        price = shipping_method(shipping_code).price_for(sum(ln.total for ln in quote.lines))
        if price:
            quote = await run(price)
    return quote


async def quote_cart(
    session: AsyncSession,
    cart: CartRow,
    lines: Sequence[CartLineRow],
    *,
    voucher_codes: Sequence[str] | None = None,
    at: datetime | None = None,
) -> pricing.Quote:
    return await quote_lines(
        session,
        channel=cart.channel,
        lines=[(ln.variant_id, ln.quantity, ln.method) for ln in lines],
        location_id=cart.location_id,
        customer_id=cart.customer_id,
        voucher_codes=cart.voucher_codes if voucher_codes is None else voucher_codes,
        shipping_code=cart.shipping_method,
        currency=cart.currency,
        at=at,
    )
