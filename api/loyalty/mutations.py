"""Loyalty mutations: sign-up/in, enrolment, profile, identifiers, QR, merge, erase, points."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.auth import SignedInCustomer, allow
from api.errors import UserError, payload_or_errors, user_errors
from api.loyalty.types import (
    STAFF_VIEWERS,
    ContactChannel,
    CustomerAddressType,
    CustomerIdentifierType,
    CustomerMergeType,
    CustomerType,
    IdentifierKind,
    MergeConflict,
    PointsEntryType,
    load_customer,
)
from api.mutations import idempotent
from api.relay import decode_id, encode_id
from domain.access.model import Principal, PrincipalKind, Role
from domain.shared.errors import DomainError, Forbidden
from domain.shared.uow import UnitOfWork
from fulfillment.services.carts import adopt_cart
from loyalty import model, queries, services
from loyalty.clienteling.services import join_on_sign_in
from loyalty.tables import CustomerIdentifierRow, CustomerMergeRow

SELF_OR_STAFF = allow(Role.CUSTOMER, Role.CASHIER, Role.STORE_MANAGER)


def _target(info: Info, gid: relay.GlobalID | None, *, field: str = "customerId") -> int:
    """The customer a mutation acts on: the caller themself, or (for staff) the one named."""
    principal: Principal = info.context.principal
    if gid is None:
        if principal.customer_id is None:
            raise Forbidden(f"Staff must say which customer: give {field}.", field=field)
        return principal.customer_id
    customer_id = decode_id(gid, "Customer", field=field)
    if principal.customer_id is not None and principal.customer_id != customer_id:
        raise Forbidden("You can change your own profile only.", field=field)
    if principal.customer_id is None and principal.role not in STAFF_VIEWERS:
        raise Forbidden("Only store staff may change a customer's profile.", field=field)
    return customer_id


def _consents(items: list[ConsentInput] | None) -> dict[model.ContactChannel, bool]:
    return {model.ContactChannel(i.channel.value): i.granted for i in items or []}


def _expires(ts: int) -> datetime:
    return datetime.fromtimestamp(ts).astimezone()


@strawberry.input
class ConsentInput:
    channel: ContactChannel
    granted: bool


@strawberry.input
class CustomerSignUpInput:
    email: str
    password: str
    first_name: str
    last_name: str = ""
    phone: str | None = None
    marketing_consents: list[ConsentInput] | None = None


@strawberry.input
class CustomerSignInInput:
    identifier: str = strawberry.field(description="Email or phone, in any common format.")
    password: str
    cart_token: str | None = strawberry.field(
        default=None,
        description="The anonymous cart's token: on sign-in the cart becomes the customer's "
        "(its lines, holds and vouchers join their open cart of that channel).",
    )


@strawberry.type
class CustomerSignInPayload:
    user_errors: list[UserError]
    token: str | None = None
    expires_at: datetime | None = None
    customer: CustomerType | None = None
    cart_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The customer's cart after adopting `cartToken`'s."
    )


@strawberry.input
class CustomerEnrolInput:
    phone: str = strawberry.field(description="As the customer says it: 8 (916) 123-45-67.")
    first_name: str = ""
    last_name: str = ""
    card_number: str | None = strawberry.field(
        default=None, description="The physical card handed over; omitted: a virtual card."
    )
    marketing_consents: list[ConsentInput] | None = None
    idempotency_key: str | None = None


@strawberry.type
class CustomerPayload:
    user_errors: list[UserError]
    customer: CustomerType | None = None


@strawberry.input
class CustomerUpdateInput:
    customer_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Staff name the customer; customers omit it."
    )
    first_name: str | None = None
    last_name: str | None = None
    preferred_contact_channel: ContactChannel | None = strawberry.UNSET
    preferred_store_id: relay.GlobalID | None = strawberry.UNSET
    marketing_consents: list[ConsentInput] | None = None


@strawberry.input
class CustomerAddressAddInput:
    customer_id: relay.GlobalID | None = None
    line1: str
    city: str
    line2: str = ""
    postal_code: str = ""
    country: str = "RU"
    label: str = ""
    recipient: str = ""
    phone: str | None = None
    is_default: bool = False


@strawberry.type
class CustomerAddressAddPayload:
    user_errors: list[UserError]
    address: CustomerAddressType | None = None
    customer: CustomerType | None = None


@strawberry.input
class CustomerAddressRemoveInput:
    customer_id: relay.GlobalID | None = None
    address_id: relay.GlobalID


@strawberry.input
class CustomerIdentifierAddInput:
    customer_id: relay.GlobalID | None = None
    kind: IdentifierKind
    value: str


@strawberry.type
class CustomerIdentifierPayload:
    user_errors: list[UserError]
    identifier: CustomerIdentifierType | None = None
    customer: CustomerType | None = None


@strawberry.input
class CustomerIdentifierVerifyInput:
    identifier_id: relay.GlobalID


@strawberry.type
class CustomerQrTokenIssuePayload:
    user_errors: list[UserError]
    token: str | None = strawberry.field(default=None, description="Show it as a QR code.")
    expires_at: datetime | None = None


@strawberry.input
class CustomerMergeInput:
    survivor_id: relay.GlobalID
    duplicate_id: relay.GlobalID
    accept_conflicts: bool = strawberry.field(
        default=False, description="Merge despite blocking conflicts (two verified emails)."
    )
    idempotency_key: str | None = None


@strawberry.type
class CustomerMergePayload:
    user_errors: list[UserError]
    merge: CustomerMergeType | None = None
    survivor: CustomerType | None = None
    conflicts: list[MergeConflict] = strawberry.field(default_factory=list)


@strawberry.input
class CustomerEraseInput:
    customer_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Admins name the customer; a customer erases themself."
    )
    idempotency_key: str | None = None


@strawberry.type
class CustomerErasePayload:
    user_errors: list[UserError]
    erased_customer_id: relay.GlobalID | None = None
    identifiers_removed: int | None = None
    points_forfeited: int | None = None


@strawberry.input
class PointsAdjustInput:
    customer_id: relay.GlobalID
    points: int = strawberry.field(description="Positive credits, negative debits.")
    reason: str
    idempotency_key: str | None = None


@strawberry.type
class PointsAdjustPayload:
    user_errors: list[UserError]
    entry: PointsEntryType | None = None
    customer: CustomerType | None = None


async def _entry(info: Info, entry_id: int | None) -> PointsEntryType | None:
    if entry_id is None:
        return None
    rows = await info.context.loaders.by_key(
        "points_entry", queries.points_entries_by_ids
    ).load_many([entry_id])
    return PointsEntryType.from_row(rows[0]) if rows[0] is not None else None


@strawberry.type
class LoyaltyMutation:
    @strawberry.mutation(description="Web/app sign-up; returns a bearer token and a card.")
    async def customer_sign_up(
        self, info: Info, input: CustomerSignUpInput
    ) -> CustomerSignInPayload:
        async def run() -> CustomerSignInPayload:
            ctx = info.context
            customer_id = await services.sign_up(
                ctx.uow(),
                email=input.email,
                password=input.password,
                first_name=input.first_name,
                last_name=input.last_name,
                phone=input.phone,
                consents=_consents(input.marketing_consents),
                channel=ctx.principal.channel.value,
                throttle=ctx.runtime.sign_in_throttle,
                address=ctx.client_address,
            )
            async with ctx.read() as session:
                signed = await services.sign_in(
                    session,
                    identifier=input.email,
                    password=input.password,
                    secret=ctx.runtime.secret,
                    ttl_seconds=ctx.settings.customer_token_ttl_seconds,
                )
            return CustomerSignInPayload(
                user_errors=[],
                token=signed.token,
                expires_at=_expires(signed.expires_at),
                customer=await _own(info, customer_id),
            )

        return await payload_or_errors(CustomerSignInPayload, run)

    @strawberry.mutation(description="Customer sign-in with email or phone; a bearer token.")
    async def customer_sign_in(
        self, info: Info, input: CustomerSignInInput
    ) -> CustomerSignInPayload:
        async def run() -> CustomerSignInPayload:
            ctx = info.context
            async with ctx.read() as session:
                signed = await services.sign_in(
                    session,
                    identifier=input.identifier,
                    password=input.password,
                    secret=ctx.runtime.secret,
                    ttl_seconds=ctx.settings.customer_token_ttl_seconds,
                    throttle=ctx.runtime.sign_in_throttle,
                    address=ctx.client_address,
                )
            await join_on_sign_in(
                ctx.uow(), customer_id=signed.customer_id, session_id=ctx.principal.session_id
            )  # clienteling
            cart_id, errors = None, []
            if input.cart_token:
                # The anonymous cart is adopted on sign-in; a cart that cannot be (someone
                # else's, checked out) leaves the sign-in standing and says why.
                member = dataclasses.replace(
                    ctx.principal,
                    kind=PrincipalKind.CUSTOMER,
                    role=Role.CUSTOMER,
                    customer_id=signed.customer_id,
                )
                try:
                    cart_id = encode_id(
                        "Cart", await adopt_cart(ctx.uow(), member, token=input.cart_token)
                    )
                except DomainError as exc:
                    exc.field = "cartToken"
                    errors = user_errors(exc)
            return CustomerSignInPayload(
                user_errors=errors,
                token=signed.token,
                expires_at=_expires(signed.expires_at),
                customer=await _own(info, signed.customer_id),
                cart_id=cart_id,
            )

        return await payload_or_errors(CustomerSignInPayload, run)

    @strawberry.mutation(
        permission_classes=[allow(Role.CASHIER, Role.STORE_MANAGER)],
        description="Enrol a customer at the till with just a phone. Idempotent with "
        "idempotencyKey.",
    )
    async def customer_enrol(self, info: Info, input: CustomerEnrolInput) -> CustomerPayload:
        async def run() -> CustomerPayload:
            principal: Principal = info.context.principal
            location_id = principal.client_location_id or (
                min(principal.location_ids) if principal.location_ids else None
            )
            consents = _consents(input.marketing_consents)

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                customer_id = await services.enrol(
                    uow,
                    phone=input.phone,
                    first_name=input.first_name,
                    last_name=input.last_name,
                    card_number=input.card_number,
                    consents=consents,
                    actor=principal.actor,
                    channel=principal.channel.value,
                    location_id=location_id,
                )
                return {"customer_id": customer_id}

            result = await idempotent(
                info,
                operation="customerEnrol",
                key=input.idempotency_key,
                request={
                    "phone": input.phone,
                    "first_name": input.first_name,
                    "last_name": input.last_name,
                    "card_number": input.card_number,
                    "consents": {k.value: v for k, v in consents.items()},
                },
                execute=execute,
            )
            return CustomerPayload(
                user_errors=[], customer=await load_customer(info, result["customer_id"])
            )

        return await payload_or_errors(CustomerPayload, run)

    @strawberry.mutation(
        permission_classes=[SELF_OR_STAFF],
        description="Names, preferred contact channel and store, marketing consents.",
    )
    async def customer_update(self, info: Info, input: CustomerUpdateInput) -> CustomerPayload:
        async def run() -> CustomerPayload:
            customer_id = _target(info, input.customer_id)
            kwargs: dict[str, Any] = {}
            if input.preferred_contact_channel is not strawberry.UNSET:
                channel = input.preferred_contact_channel
                kwargs["preferred_contact_channel"] = (
                    model.ContactChannel(channel.value) if channel is not None else None
                )
            if input.preferred_store_id is not strawberry.UNSET:
                store = input.preferred_store_id
                kwargs["preferred_store_id"] = (
                    decode_id(store, "Location", field="preferredStoreId")
                    if store is not None
                    else None
                )
            await services.update_profile(
                info.context.uow(),
                customer_id,
                actor=info.context.principal.actor,
                first_name=input.first_name,
                last_name=input.last_name,
                consents=_consents(input.marketing_consents),
                **kwargs,
            )
            return CustomerPayload(user_errors=[], customer=await load_customer(info, customer_id))

        return await payload_or_errors(CustomerPayload, run)

    @strawberry.mutation(permission_classes=[SELF_OR_STAFF])
    async def customer_address_add(
        self, info: Info, input: CustomerAddressAddInput
    ) -> CustomerAddressAddPayload:
        async def run() -> CustomerAddressAddPayload:
            customer_id = _target(info, input.customer_id)
            address_id = await services.add_address(
                info.context.uow(),
                customer_id,
                services.Address(
                    line1=input.line1,
                    line2=input.line2,
                    city=input.city,
                    postal_code=input.postal_code,
                    country=input.country,
                    label=input.label,
                    recipient=input.recipient,
                    phone=input.phone,
                    is_default=input.is_default,
                ),
            )
            rows = await info.context.loaders.by_key(
                "customer_addresses", queries.addresses_by_customer, default=[]
            ).load(customer_id)
            address = next(CustomerAddressType.from_row(r) for r in rows if r.id == address_id)
            return CustomerAddressAddPayload(
                user_errors=[], address=address, customer=await load_customer(info, customer_id)
            )

        return await payload_or_errors(CustomerAddressAddPayload, run)

    @strawberry.mutation(permission_classes=[SELF_OR_STAFF])
    async def customer_address_remove(
        self, info: Info, input: CustomerAddressRemoveInput
    ) -> CustomerPayload:
        async def run() -> CustomerPayload:
            customer_id = _target(info, input.customer_id)
            address_id = decode_id(input.address_id, "CustomerAddress", field="addressId")
            await services.remove_address(info.context.uow(), customer_id, address_id)
            return CustomerPayload(user_errors=[], customer=await load_customer(info, customer_id))

        return await payload_or_errors(CustomerPayload, run)

    @strawberry.mutation(
        permission_classes=[SELF_OR_STAFF],
        description="Add an email or phone (customers, unverified), a card or an external id "
        "(staff).",
    )
    async def customer_identifier_add(
        self, info: Info, input: CustomerIdentifierAddInput
    ) -> CustomerIdentifierPayload:
        async def run() -> CustomerIdentifierPayload:
            customer_id = _target(info, input.customer_id)
            kind = model.IdentifierKind(input.kind.value)
            is_staff = info.context.principal.is_staff
            if not is_staff and kind not in (
                model.IdentifierKind.EMAIL,
                model.IdentifierKind.PHONE,
            ):
                raise Forbidden("Cards and external ids are added by store staff.", field="kind")
            identifier_id = await services.add_identifier(
                info.context.uow(),
                customer_id,
                kind=kind,
                value=input.value,
                verified=kind is model.IdentifierKind.CARD,
            )
            return await _identifier_payload(info, identifier_id)

        return await payload_or_errors(CustomerIdentifierPayload, run)

    @strawberry.mutation(
        permission_classes=[allow(Role.CASHIER, Role.STORE_MANAGER)],
        description="Mark an identifier verified (checked in person by staff).",
    )
    async def customer_identifier_verify(
        self, info: Info, input: CustomerIdentifierVerifyInput
    ) -> CustomerIdentifierPayload:
        async def run() -> CustomerIdentifierPayload:
            identifier_id = decode_id(
                input.identifier_id, "CustomerIdentifier", field="identifierId"
            )
            await services.verify_identifier(info.context.uow(), identifier_id)
            return await _identifier_payload(info, identifier_id)

        return await payload_or_errors(CustomerIdentifierPayload, run)

    @strawberry.mutation(
        permission_classes=[SignedInCustomer],
        description="A fresh QR code for the app (valid 5 minutes; earlier codes stop working).",
    )
    async def customer_qr_token_issue(self, info: Info) -> CustomerQrTokenIssuePayload:
        async def run() -> CustomerQrTokenIssuePayload:
            token, expires_at = await services.issue_qr_token(
                info.context.uow(),
                info.context.principal.customer_id,
                secret=info.context.runtime.secret,
            )
            return CustomerQrTokenIssuePayload(
                user_errors=[], token=token, expires_at=_expires(expires_at)
            )

        return await payload_or_errors(CustomerQrTokenIssuePayload, run)

    @strawberry.mutation(
        permission_classes=[allow(Role.STORE_MANAGER)],
        description="Merge a duplicate profile into the survivor: identifiers, addresses, "
        "consents, points, spend (and what later contexts register) move once; audited. "
        "Repeating it changes nothing.",
    )
    async def customer_merge(self, info: Info, input: CustomerMergeInput) -> CustomerMergePayload:
        async def run() -> CustomerMergePayload:
            survivor_id = decode_id(input.survivor_id, "Customer", field="survivorId")
            duplicate_id = decode_id(input.duplicate_id, "Customer", field="duplicateId")

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                result = await services.merge_customers(
                    uow,
                    survivor_id=survivor_id,
                    duplicate_id=duplicate_id,
                    actor=info.context.principal.actor,
                    accept_conflicts=input.accept_conflicts,
                )
                return {"merge_id": result.merge_id}

            result = await idempotent(
                info,
                operation="customerMerge",
                key=input.idempotency_key,
                request={
                    "survivor": survivor_id,
                    "duplicate": duplicate_id,
                    "accept": input.accept_conflicts,
                },
                execute=execute,
            )
            merges = await info.context.loaders.by_key(
                "customer_merge", queries.merges_by_ids
            ).load_many([result["merge_id"]])
            record: CustomerMergeRow = merges[0]
            merge = CustomerMergeType.from_row(record)
            return CustomerMergePayload(
                user_errors=[],
                merge=merge,
                survivor=await load_customer(info, record.survivor_id),
                conflicts=merge.conflicts,
            )

        return await payload_or_errors(CustomerMergePayload, run)

    @strawberry.mutation(
        permission_classes=[allow(Role.CUSTOMER)],
        description="Erase a customer's personal data and identifiers (their own, or any for "
        "admins). Points and spend records stay, anonymous; the balance is forfeited.",
    )
    async def customer_erase(self, info: Info, input: CustomerEraseInput) -> CustomerErasePayload:
        async def run() -> CustomerErasePayload:
            principal: Principal = info.context.principal
            if principal.role is Role.ADMIN:
                if input.customer_id is None:
                    raise Forbidden("Give customerId.", field="customerId")
                customer_id = decode_id(input.customer_id, "Customer", field="customerId")
            else:
                customer_id = _target(info, input.customer_id)

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                erased = await services.erase_customer(uow, customer_id, actor=principal.actor)
                return {
                    "identifiers_removed": erased.identifiers_removed,
                    "points_forfeited": erased.points_forfeited,
                }

            result = await idempotent(
                info,
                operation="customerErase",
                key=input.idempotency_key,
                request={"customer": customer_id},
                execute=execute,
            )
            return CustomerErasePayload(
                user_errors=[],
                erased_customer_id=encode_id("Customer", customer_id),
                identifiers_removed=result["identifiers_removed"],
                points_forfeited=result["points_forfeited"],
            )

        return await payload_or_errors(CustomerErasePayload, run)

    @strawberry.mutation(
        permission_classes=[allow(Role.STORE_MANAGER)],
        description="Manual points adjustment with a reason (audited). Idempotent with "
        "idempotencyKey.",
    )
    async def points_adjust(self, info: Info, input: PointsAdjustInput) -> PointsAdjustPayload:
        async def run() -> PointsAdjustPayload:
            customer_id = decode_id(input.customer_id, "Customer", field="customerId")

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                result = await services.adjust_points(
                    uow,
                    customer_id,
                    points=input.points,
                    reason=input.reason,
                    actor=info.context.principal.actor,
                )
                return {"entry_id": result.entry_id, "customer_id": result.customer_id}

            result = await idempotent(
                info,
                operation="pointsAdjust",
                key=input.idempotency_key,
                request={"customer": customer_id, "points": input.points, "reason": input.reason},
                execute=execute,
            )
            return PointsAdjustPayload(
                user_errors=[],
                entry=await _entry(info, result["entry_id"]),
                customer=await load_customer(info, result["customer_id"]),
            )

        return await payload_or_errors(PointsAdjustPayload, run)


async def _own(info: Info, customer_id: int) -> CustomerType | None:
    """The customer who just signed in or up (the request itself is still anonymous)."""
    row = await info.context.loaders.by_key("customer", queries.customers_by_ids).load(customer_id)
    return CustomerType.from_row(row) if row is not None else None


async def _identifier_payload(info: Info, identifier_id: int) -> CustomerIdentifierPayload:
    async with info.context.read() as session:
        row = await session.get(CustomerIdentifierRow, identifier_id)
    assert row is not None
    return CustomerIdentifierPayload(
        user_errors=[],
        identifier=CustomerIdentifierType.from_row(row),
        customer=await load_customer(info, row.customer_id),
    )
