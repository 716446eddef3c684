"""Cart, checkout, POS sale and cancel mutations. Every mutation that reserves, sells, pays or
refunds takes an ``idempotencyKey``; a userError writes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from api.errors import UserError, payload_or_errors, user_errors
from api.loaders import Preloaded
from api.mutations import ReplayCheck, idempotent, sees_named_objects
from api.orders import reviews
from api.orders.reviews import PosSaleReviewResolveInput, PosSaleReviewResolvePayload
from api.orders.types import (
    CartType,
    FulfillmentMethod,
    LineShortfall,
    OrderType,
    Receipt,
    StockAlternative,
    TenderKind,
    cart_loader,
    order_loader,
    preload_order,
)
from api.relay import decode_id, encode_id
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.model import FulfillmentMethod as Method
from fulfillment.model import TenderKind as Kind
from fulfillment.services import cancel, carts, checkout, pos
from fulfillment.services.holding import StockShortfall
from fulfillment.services.tenders import TenderRequest
from fulfillment.till import OfflineDeclaration, till_store
from inventory.services import retry_on_contention
from loyalty.services import lookup

# -- inputs -----------------------------------------------------------------------------------


@strawberry.input(description="Name the cart by its id, or (anonymous carts) by its token.")
class CartRefInput:
    cart_id: relay.GlobalID | None = None
    token: str | None = None


def _ref(input: Any) -> carts.CartRef:
    cart_id = decode_id(input.cart_id, "Cart", field="cartId") if input.cart_id else None
    return carts.CartRef(cart_id=cart_id, token=input.token)


@strawberry.input
class CartCreateInput:
    location_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Staff: the store selling (default: the device's store)."
    )
    customer_id: relay.GlobalID | None = None
    currency: str = "RUB"


@strawberry.input
class CartLineInput:
    variant_id: relay.GlobalID | None = None
    sku: str | None = None
    quantity: int = 1
    method: FulfillmentMethod = Method.SHIP  # type: ignore[assignment]
    pickup_location_id: relay.GlobalID | None = None


@strawberry.input
class CartLinesAddInput(CartRefInput):
    lines: list[CartLineInput] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input
class CartLineUpdateInput:
    line_id: relay.GlobalID
    quantity: int = strawberry.field(description="0 removes the line.")
    method: FulfillmentMethod | None = None
    pickup_location_id: relay.GlobalID | None = None


@strawberry.input
class CartLinesUpdateInput(CartRefInput):
    lines: list[CartLineUpdateInput] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input
class CartLinesRemoveInput(CartRefInput):
    line_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input
class AddressInput:
    name: str = ""
    line1: str = ""
    city: str = ""
    postcode: str = ""
    country: str = "RU"
    latitude: float | None = None
    longitude: float | None = None
    phone: str = ""


@strawberry.input
class CartSetShippingInput(CartRefInput):
    address: AddressInput | None = None
    shipping_method: str | None = strawberry.field(
        default=None, description="COURIER, POST or EXPRESS."
    )
    email: str | None = None
    phone: str | None = None
    idempotency_key: str | None = None


@strawberry.input(
    description="The member: by customerId, or by anything the till can scan "
    "or type (phone, card number, app QR)."
)
class CartAttachCustomerInput(CartRefInput):
    customer_id: relay.GlobalID | None = None
    identifier: str | None = None


@strawberry.input
class CartVoucherInput(CartRefInput):
    code: str = ""


@strawberry.input
class CartAdoptInput:
    token: str


@strawberry.input
class TenderInput:
    kind: TenderKind
    amount: int | None = strawberry.field(
        default=None,
        description="Minor units. Leave out on one CARD or CASH tender: it pays the rest.",
    )
    reference: str | None = strawberry.field(
        default=None, description="CARD: terminal / PSP reference."
    )
    tendered: int | None = strawberry.field(default=None, description="CASH: what was handed over.")
    points: int | None = strawberry.field(default=None, description="POINTS: how many points.")


def _tenders(tenders: list[TenderInput]) -> tuple[TenderRequest, ...]:
    return tuple(
        TenderRequest(Kind(t.kind), t.amount, t.reference, t.tendered, t.points) for t in tenders
    )


@strawberry.input
class CheckoutCompleteInput(CartRefInput):
    tenders: list[TenderInput] = strawberry.field(default_factory=list)
    email: str | None = None
    phone: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class PosSaleLineInput:
    variant_id: relay.GlobalID | None = None
    sku: str | None = None
    quantity: int = 1


@strawberry.input(
    description="A till that could not reach the server says so when it replays its queued "
    "sales. Only a declared offline sale within the offline window "
    "(POS_OFFLINE_WINDOW_HOURS) is taken as the till recorded it."
)
class PosOfflineInput:
    since: datetime = strawberry.field(description="When the till lost the connection.")
    reason: str = strawberry.field(
        default="", description="Why, if the till knows (e.g. 'network down')."
    )


@strawberry.input(
    description="A sale at the till, sent by the store's POS terminal with a cashier of "
    "that store signed in. Offline sales are replayed with the same clientSaleId, the time "
    "they happened and `offline`: recorded once."
)
class PosSaleCompleteInput:
    client_sale_id: str
    lines: list[PosSaleLineInput]
    tenders: list[TenderInput]
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description="When the sale happened at the till. Without `offline` it may be at most "
        "5 minutes off the server's clock.",
    )
    offline: PosOfflineInput | None = strawberry.field(
        default=None,
        description="Set on a sale replayed from the till's offline queue.",
    )
    location_id: relay.GlobalID | None = None
    customer_id: relay.GlobalID | None = None
    voucher_codes: list[str] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input
class OrderCancelLineInput:
    order_line_id: relay.GlobalID
    quantity: int


@strawberry.input
class OrderCancelInput:
    order_id: relay.GlobalID
    lines: list[OrderCancelLineInput] | None = strawberry.field(
        default=None, description="Leave out to cancel everything not yet handed over."
    )
    reason: str = "CUSTOMER_REQUEST"
    idempotency_key: str | None = None


# -- payloads ---------------------------------------------------------------------------------


def _cart_payload(name: str) -> type:
    @strawberry.type(name=name)
    class Payload:
        user_errors: list[UserError]
        cart: CartType | None = None
        shortfalls: list[LineShortfall] = strawberry.field(
            default_factory=list,
            description="Lines that could not be held whole: what is available and where else.",
        )

    Payload.__name__ = name
    return Payload


CartCreatePayload = _cart_payload("CartCreatePayload")
CartLinesAddPayload = _cart_payload("CartLinesAddPayload")
CartLinesUpdatePayload = _cart_payload("CartLinesUpdatePayload")
CartLinesRemovePayload = _cart_payload("CartLinesRemovePayload")
CartSetShippingPayload = _cart_payload("CartSetShippingPayload")
CartAttachCustomerPayload = _cart_payload("CartAttachCustomerPayload")
CartApplyVoucherPayload = _cart_payload("CartApplyVoucherPayload")
CartRemoveVoucherPayload = _cart_payload("CartRemoveVoucherPayload")
CartAdoptPayload = _cart_payload("CartAdoptPayload")


@strawberry.type
class CheckoutCompletePayload:
    user_errors: list[UserError]
    order: OrderType | None = None
    shortfalls: list[LineShortfall] = strawberry.field(
        default_factory=list,
        description="Per line short of stock: what is available and the alternatives.",
    )


@strawberry.type
class PosSaleCompletePayload:
    user_errors: list[UserError]
    order: OrderType | None = None
    receipt: Receipt | None = None
    replayed: bool = strawberry.field(
        default=False,
        description="This sale was already recorded (a copy sent with the same idempotency "
        "key or with a new one): the first order and receipt again, nothing new written.",
    )


@strawberry.type
class OrderCancelPayload:
    user_errors: list[UserError]
    order: OrderType | None = None
    refunded: int | None = strawberry.field(default=None, description="Minor units refunded now.")


# -- helpers ----------------------------------------------------------------------------------


async def _load_cart(info: Info, cart_id: int) -> CartType | None:
    row = await cart_loader(info).load(cart_id)
    return CartType.from_row(row) if row is not None else None


async def _placing(
    info: Info,
    *,
    operation: str,
    key: str | None,
    request: Any,
    execute: Callable[[UnitOfWork], Awaitable[dict[str, Any]]],
    preloaded: list[Preloaded],
    secret: str | None = None,
    may_replay: ReplayCheck = sees_named_objects,
) -> dict[str, Any]:
    """Place an order once (idempotent, retried on contention). When this call placed it,
    ``execute`` put the response's rows, read in its own transaction, into ``preloaded``: they
    go to the request's loaders, so the committed order is answered without a new connection.
    A replay reads the first order back as usual."""

    async def attempt() -> dict[str, Any]:
        preloaded.clear()  # a rolled-back attempt's rows are not the answer
        return await idempotent(
            info,
            operation=operation,
            key=key,
            request=request,
            execute=execute,
            secret=secret,
            may_replay=may_replay,
        )

    result = await retry_on_contention(attempt)
    if preloaded:
        preloaded[-1].prime(info.context.loaders)
    return result


async def _load_order(info: Info, order_id: int) -> OrderType | None:
    row = await order_loader(info).load(order_id)
    return OrderType.from_row(row) if row is not None else None


async def _variant_ids(session: AsyncSession, lines: list[Any]) -> list[int]:
    """Lines name a variant by id or by SKU (scanned at the till). Inside a mutation pass the
    unit of work's session: a second connection per request could starve the pool."""
    from domain.catalog import queries as catalog

    skus = [ln.sku for ln in lines if ln.variant_id is None and ln.sku]
    found: dict[str, Any] = {}
    if skus:
        found = await catalog.variants_by_skus(session, skus)
    out = []
    for i, ln in enumerate(lines):
        if (ln.variant_id is None) == (ln.sku is None):
            raise ValidationFailed(f"Line {i + 1}: give a variantId or a sku.", field=f"lines[{i}]")
        if ln.variant_id is not None:
            out.append(decode_id(ln.variant_id, "Variant", field=f"lines[{i}].variantId"))
        elif ln.sku in found:
            out.append(found[ln.sku].id)
        else:
            raise NotFound(f"There is no SKU {ln.sku}; check the label.", field=f"lines[{i}].sku")
    return out


def _shortfalls(exc: StockShortfall, key_type: str | None) -> list[LineShortfall]:
    return [
        LineShortfall(
            line_id=encode_id(key_type, s.key) if key_type else None,
            variant_id=encode_id("Variant", s.variant_id),
            requested=s.wanted,
            available=s.available,
            alternatives=[
                StockAlternative(
                    location_db_id=a.location_id,
                    method=a.method,
                    available=a.available,
                    ready_at=a.ready_at,
                )
                for a in s.alternatives
            ],
        )
        for s in exc.shortfalls
    ]


def _cart_holder(token: str | None) -> ReplayCheck:
    """Replays of cart and checkout mutations: for a caller who may see what the response
    names, or who holds the token of its cart (an anonymous shopper sees no order by id)."""

    async def check(info: Info, response: dict[str, Any]) -> bool:
        if await sees_named_objects(info, response):
            return True
        cart_id = response.get("cartId")
        if cart_id is None and response.get("orderId") is not None:
            order = await order_loader(info).load(int(response["orderId"]))
            cart_id = order.cart_id if order is not None else None
        if not token or cart_id is None:
            return False
        cart = await cart_loader(info).load(int(cart_id))
        return cart is not None and carts.may_use(info.context.principal, cart, token=token)

    return check


async def _cart_mutation(
    info: Info,
    payload: type,
    *,
    operation: str,
    key: str | None,
    request: Any,
    run: Callable[[UnitOfWork], Awaitable[int]],
    token: str | None = None,
) -> Any:
    async def body() -> Any:
        async def execute(uow: UnitOfWork) -> dict[str, Any]:
            return {"cartId": await run(uow)}

        result = await retry_on_contention(
            lambda: idempotent(
                info,
                operation=operation,
                key=key,
                request=request,
                execute=execute,
                secret=token,
                may_replay=_cart_holder(token),
            )
        )
        return payload(user_errors=[], cart=await _load_cart(info, int(result["cartId"])))

    return await payload_or_errors(payload, body)


def _req(input: Any) -> dict[str, Any]:
    return strawberry.asdict(input) if hasattr(input, "__dataclass_fields__") else dict(vars(input))


# -- mutations --------------------------------------------------------------------------------


@strawberry.type
class OrdersMutation:
    @strawberry.mutation(
        description="Start a cart in the caller's channel (a signed-in "
        "customer gets their open cart back)."
    )
    async def cart_create(self, info: Info, input: CartCreateInput) -> CartCreatePayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            location = (
                decode_id(input.location_id, "Location", field="locationId")
                if input.location_id
                else None
            )
            customer = (
                decode_id(input.customer_id, "Customer", field="customerId")
                if input.customer_id
                else None
            )
            cart_id, _ = await carts.create_cart(
                uow,
                info.context.principal,
                location_id=location,
                customer_id=customer,
                currency=input.currency,
            )
            return cart_id

        return await _cart_mutation(
            info, CartCreatePayload, operation="cartCreate", key=None, request=None, run=run
        )

    @strawberry.mutation(
        description="Add items; SHIP and PICKUP lines are held where sourcing "
        "chooses (held for the channel's TTL)."
    )
    async def cart_lines_add(self, info: Info, input: CartLinesAddInput) -> CartLinesAddPayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            ids = await _variant_ids(uow.session, input.lines)
            lines = [
                carts.NewLine(
                    vid,
                    ln.quantity,
                    Method(ln.method),
                    decode_id(
                        ln.pickup_location_id, "Location", field=f"lines[{i}].pickupLocationId"
                    )
                    if ln.pickup_location_id
                    else None,
                )
                for i, (vid, ln) in enumerate(zip(ids, input.lines, strict=True))
            ]
            return await carts.add_lines(uow, info.context.principal, _ref(input), lines)

        return await _cart_mutation(
            info,
            CartLinesAddPayload,
            operation="cartLinesAdd",
            key=input.idempotency_key,
            request=_req(input),
            run=run,
            token=input.token,
        )

    @strawberry.mutation(description="Change quantities (0 removes) or fulfillment methods.")
    async def cart_lines_update(
        self, info: Info, input: CartLinesUpdateInput
    ) -> CartLinesUpdatePayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            changes = [
                carts.LineChange(
                    decode_id(ln.line_id, "CartLine", field=f"lines[{i}].lineId"),
                    ln.quantity,
                    Method(ln.method) if ln.method is not None else None,
                    decode_id(
                        ln.pickup_location_id, "Location", field=f"lines[{i}].pickupLocationId"
                    )
                    if ln.pickup_location_id
                    else None,
                )
                for i, ln in enumerate(input.lines)
            ]
            return await carts.update_lines(uow, info.context.principal, _ref(input), changes)

        return await _cart_mutation(
            info,
            CartLinesUpdatePayload,
            operation="cartLinesUpdate",
            key=input.idempotency_key,
            request=_req(input),
            run=run,
            token=input.token,
        )

    @strawberry.mutation(description="Remove lines; their holds are released.")
    async def cart_lines_remove(
        self, info: Info, input: CartLinesRemoveInput
    ) -> CartLinesRemovePayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            ids = [
                decode_id(g, "CartLine", field=f"lineIds[{i}]")
                for i, g in enumerate(input.line_ids)
            ]
            return await carts.remove_lines(uow, info.context.principal, _ref(input), ids)

        return await _cart_mutation(
            info,
            CartLinesRemovePayload,
            operation="cartLinesRemove",
            key=input.idempotency_key,
            request=_req(input),
            run=run,
            token=input.token,
        )

    @strawberry.mutation(
        description="Delivery address (latitude/longitude steer sourcing), "
        "shipping method and contact."
    )
    async def cart_set_shipping(
        self, info: Info, input: CartSetShippingInput
    ) -> CartSetShippingPayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            p = info.context.principal
            ref = _ref(input)
            address = strawberry.asdict(input.address) if input.address is not None else None
            cart_id = await carts.set_shipping(
                uow, p, ref, address=address, method=input.shipping_method
            )
            if input.email or input.phone:
                await carts.set_contact(uow, p, ref, email=input.email, phone=input.phone)
            return cart_id

        return await _cart_mutation(
            info,
            CartSetShippingPayload,
            operation="cartSetShipping",
            key=input.idempotency_key,
            request=_req(input),
            run=run,
            token=input.token,
        )

    @strawberry.mutation(
        description="Attach the member (POS / staff): tier discounts and points apply."
    )
    async def cart_attach_customer(
        self, info: Info, input: CartAttachCustomerInput
    ) -> CartAttachCustomerPayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            if input.customer_id is not None:
                customer = decode_id(input.customer_id, "Customer", field="customerId")
            elif input.identifier:
                found = await lookup(
                    uow.session, input.identifier, secret=info.context.runtime.secret
                )
                if found.customer_id is None:
                    raise NotFound(
                        f"No member with {found.normalized}; enrol them or try another identifier.",
                        field="identifier",
                    )
                customer = found.customer_id
            else:
                raise ValidationFailed("Give customerId or identifier.", field="identifier")
            return await carts.attach_customer(
                uow, info.context.principal, _ref(input), customer_id=customer
            )

        return await _cart_mutation(
            info,
            CartAttachCustomerPayload,
            operation="cartAttachCustomer",
            key=None,
            request=None,
            run=run,
        )

    @strawberry.mutation(description="Apply a voucher code (kept only if the engine accepts it).")
    async def cart_apply_voucher(
        self, info: Info, input: CartVoucherInput
    ) -> CartApplyVoucherPayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            return await carts.apply_voucher(
                uow, info.context.principal, _ref(input), code=input.code
            )

        return await _cart_mutation(
            info,
            CartApplyVoucherPayload,
            operation="cartApplyVoucher",
            key=None,
            request=None,
            run=run,
        )

    @strawberry.mutation
    async def cart_remove_voucher(
        self, info: Info, input: CartVoucherInput
    ) -> CartRemoveVoucherPayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            return await carts.remove_voucher(
                uow, info.context.principal, _ref(input), code=input.code
            )

        return await _cart_mutation(
            info,
            CartRemoveVoucherPayload,
            operation="cartRemoveVoucher",
            key=None,
            request=None,
            run=run,
        )

    @strawberry.mutation(
        description="After sign-in: keep the anonymous cart (its lines and holds "
        "move into the customer's open cart)."
    )
    async def cart_adopt(self, info: Info, input: CartAdoptInput) -> CartAdoptPayload:  # type: ignore[valid-type]
        async def run(uow: UnitOfWork) -> int:
            return await carts.adopt_cart(uow, info.context.principal, token=input.token)

        return await _cart_mutation(
            info, CartAdoptPayload, operation="cartAdopt", key=None, request=None, run=run
        )

    @strawberry.mutation(
        description="Pay and place the order: commits stock, takes the tenders, "
        "consumes vouchers, creates fulfillment orders. Idempotent."
    )
    async def checkout_complete(
        self, info: Info, input: CheckoutCompleteInput
    ) -> CheckoutCompletePayload:
        async def body() -> CheckoutCompletePayload:
            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                placed = await checkout.checkout_cart(
                    uow,
                    info.context.principal,
                    _ref(input),
                    tenders=_tenders(input.tenders),
                    email=input.email,
                    phone=input.phone,
                )
                preloaded.append(await preload_order(uow.session, placed.order_id))
                return {"orderId": placed.order_id, "number": placed.number}

            preloaded: list[Preloaded] = []
            try:
                result = await _placing(
                    info,
                    operation="checkoutComplete",
                    key=input.idempotency_key,
                    request=_req(input),
                    execute=execute,
                    preloaded=preloaded,
                    secret=input.token,
                    may_replay=_cart_holder(input.token),
                )
            except StockShortfall as exc:
                return CheckoutCompletePayload(
                    user_errors=user_errors(exc), shortfalls=_shortfalls(exc, "CartLine")
                )
            return CheckoutCompletePayload(
                user_errors=[], order=await _load_order(info, int(result["orderId"]))
            )

        return await payload_or_errors(CheckoutCompletePayload, body)

    @strawberry.mutation(
        description="A till sale (carry-out), also one replayed from an "
        "offline terminal: recorded once per (store, clientSaleId)."
    )
    async def pos_sale_complete(
        self, info: Info, input: PosSaleCompleteInput
    ) -> PosSaleCompletePayload:
        async def body() -> PosSaleCompletePayload:
            principal = info.context.principal
            location = (
                decode_id(input.location_id, "Location", field="locationId")
                if input.location_id
                else None
            )
            # Before the idempotency key is looked up: a replay needs the same credentials.
            till_store(principal, location)
            async with info.context.read() as session:
                ids = await _variant_ids(session, input.lines)
            sale = pos.PosSale(
                client_sale_id=input.client_sale_id,
                lines=tuple(
                    pos.SaleLine(v, ln.quantity) for v, ln in zip(ids, input.lines, strict=True)
                ),
                tenders=_tenders(input.tenders),
                location_id=location,
                occurred_at=input.occurred_at,
                customer_id=decode_id(input.customer_id, "Customer", field="customerId")
                if input.customer_id
                else None,
                voucher_codes=tuple(input.voucher_codes),
                offline=OfflineDeclaration(since=input.offline.since, reason=input.offline.reason)
                if input.offline is not None
                else None,
            )
            window = timedelta(hours=info.context.settings.pos_offline_window_hours)

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                placed = await pos.complete_sale(uow, principal, sale, offline_window=window)
                preloaded.append(await preload_order(uow.session, placed.order_id))
                return {"orderId": placed.order_id, "replayed": placed.replayed}

            # Filled only when the attempt that answers ran the sale: a stored response (the
            # same idempotency key) leaves it empty, and is a replay too.
            preloaded: list[Preloaded] = []
            result = await _placing(
                info,
                operation="posSaleComplete",
                key=input.idempotency_key,
                request=_req(input),
                execute=execute,
                preloaded=preloaded,
            )
            order = await _load_order(info, int(result["orderId"]))
            assert order is not None
            return PosSaleCompletePayload(
                user_errors=[],
                order=order,
                receipt=await order.receipt(info),
                # A stored response (same idempotency key) is a replay too.
                replayed=bool(result["replayed"]) or not preloaded,
            )

        return await payload_or_errors(PosSaleCompletePayload, body)

    @strawberry.mutation(
        description="Cancel an order or some units before they are handed "
        "over: stock released, tenders refunded, vouchers and "
        "points given back. Idempotent."
    )
    async def order_cancel(self, info: Info, input: OrderCancelInput) -> OrderCancelPayload:
        async def body() -> OrderCancelPayload:
            order_id = decode_id(input.order_id, "Order", field="orderId")
            quantities = (
                {
                    decode_id(
                        ln.order_line_id, "OrderLine", field=f"lines[{i}].orderLineId"
                    ): ln.quantity
                    for i, ln in enumerate(input.lines)
                }
                if input.lines is not None
                else None
            )

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                done = await cancel.cancel_order(
                    uow,
                    info.context.principal,
                    order_id=order_id,
                    quantities=quantities,
                    reason=input.reason,
                )
                return {"orderId": done.order_id, "refunded": done.refunded}

            result = await retry_on_contention(
                lambda: idempotent(
                    info,
                    operation="orderCancel",
                    key=input.idempotency_key,
                    request=_req(input),
                    execute=execute,
                )
            )
            return OrderCancelPayload(
                user_errors=[],
                order=await _load_order(info, order_id),
                refunded=int(result["refunded"]),
            )

        return await payload_or_errors(OrderCancelPayload, body)

    @strawberry.mutation(
        description="Close a till-sale review (store manager of that store, admin): once; "
        "records who and when."
    )
    async def pos_sale_review_resolve(
        self, info: Info, input: PosSaleReviewResolveInput
    ) -> PosSaleReviewResolvePayload:
        return await reviews.pos_sale_review_resolve(info, input)
