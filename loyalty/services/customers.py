"""Customer profiles and identifiers: sign-up, sign-in, enrolment at the till, profile edits,
the app's QR code and the till lookup."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.errors import AuthenticationFailed
from domain.access.model import PrincipalKind, Role
from domain.access.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from domain.access.throttle import SignInThrottle
from domain.access.tokens import issue_token
from domain.shared.clock import utcnow
from domain.shared.errors import MultipleErrors, NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork
from inventory.queries import locations_by_ids
from loyalty import model, qr
from loyalty.errors import CustomerNotActive, IdentifierTaken, QrTokenReplaced
from loyalty.events import CustomerRegistered
from loyalty.model import (
    ContactChannel,
    CustomerStatus,
    IdentifierKind,
    LookupMatch,
    Verification,
)
from loyalty.repository import LoyaltyRepository
from loyalty.services.common import MAX_MERGE_HOPS, resolve_active
from loyalty.tables import (
    CustomerAddressRow,
    CustomerConsentRow,
    CustomerIdentifierRow,
    CustomerRow,
)

UNSET: object = object()
_TAKEN = {
    IdentifierKind.EMAIL: "An account with this email exists; sign in instead.",
    IdentifierKind.PHONE: "This phone already belongs to a loyalty member; find them with "
    "customerLookup, or sign up without the phone and ask a store to merge the profiles.",
    IdentifierKind.CARD: "This card is already issued to another customer; hand out another.",
    IdentifierKind.EXTERNAL: "This external id already belongs to another customer.",
}
# One answer whichever of the e-mail and phone is registered already, so sign-up does not
# tell a stranger which e-mails or phones have accounts.
SIGN_UP_TAKEN = (
    "No account was created: this e-mail or phone cannot be used. If you already have an "
    "account, sign in with your e-mail or phone (customerSignIn); if a store enrolled you, sign "
    "up without the phone and ask the store to merge the profiles."
)


def _raise(errors: list[ValidationFailed]) -> None:
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(list(errors))


def _name(value: str, *, field: str, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise ValidationFailed("Give the customer's first name.", field=field)
    if len(value) > 100:
        raise ValidationFailed("Names are at most 100 characters.", field=field)
    return value


async def _attach(
    repo: LoyaltyRepository,
    customer_id: int,
    kind: IdentifierKind,
    value: str,
    *,
    verified: bool,
    field: str,
) -> int:
    identifier_id = await repo.add_identifier(
        customer_id,
        kind,
        value,
        Verification.VERIFIED if verified else Verification.UNVERIFIED,
        utcnow() if verified else None,
    )
    if identifier_id is None:
        raise IdentifierTaken(_TAKEN[kind], field=field)
    return identifier_id


async def _set_consents(
    session: AsyncSession, customer_id: int, consents: Mapping[ContactChannel, bool], source: str
) -> None:
    for channel, granted in consents.items():
        await session.execute(
            insert(CustomerConsentRow)
            .values(customer_id=customer_id, channel=channel, granted=granted, source=source)
            .on_conflict_do_update(
                index_elements=["customer_id", "channel"],
                set_={"granted": granted, "source": source, "updated_at": utcnow()},
            )
        )


async def sign_up(
    uow: UnitOfWork,
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str = "",
    phone: str | None = None,
    consents: Mapping[ContactChannel, bool] | None = None,
    channel: str,
    throttle: SignInThrottle | None = None,
    address: str | None = None,
) -> int:
    """A web or app sign-up; the customer gets a virtual loyalty card at once.

    An e-mail or phone that is registered already gets one answer (IDENTIFIER_TAKEN, no field,
    ``SIGN_UP_TAKEN``) whichever it is, after the same work as a sign-up that succeeds; such
    refusals count against the caller's address in ``throttle``, like wrong passwords, so
    probing which e-mails exist is slowed down as much as guessing passwords."""
    errors: list[ValidationFailed] = []
    normalised: dict[str, str] = {}
    for field, fn in (
        ("email", lambda: model.normalise_email(email)),
        ("phone", lambda: model.normalise_phone(phone) if phone else ""),
        ("firstName", lambda: _name(first_name, field="firstName", required=True)),
        ("lastName", lambda: _name(last_name, field="lastName", required=False)),
    ):
        try:
            normalised[field] = fn()
        except ValidationFailed as exc:
            errors.append(exc)
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            ValidationFailed(
                f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password"
            )
        )
    _raise(errors)
    attempt = (
        await throttle.begin(realm="signup", identifier=normalised["email"], address=address)
        if throttle is not None
        else None
    )
    password_hash = await hash_password(password)
    try:
        customer_id = await _register(
            uow,
            normalised=normalised,
            password_hash=password_hash,
            consents=consents,
            channel=channel,
        )
    except IdentifierTaken as exc:
        if exc.field not in ("email", "phone"):
            raise
        raise IdentifierTaken(SIGN_UP_TAKEN) from None
    if attempt is not None:
        await attempt.succeeded()
    return customer_id


async def _register(
    uow: UnitOfWork,
    *,
    normalised: Mapping[str, str],
    password_hash: str,
    consents: Mapping[ContactChannel, bool] | None,
    channel: str,
) -> int:
    async with uow:
        repo = LoyaltyRepository(uow.session)
        row = await repo.add_customer(
            CustomerRow(
                status=CustomerStatus.ACTIVE,
                first_name=normalised["firstName"],
                last_name=normalised["lastName"],
                password_hash=password_hash,
                registered_via="SIGN_UP",
                registered_channel=channel,
                qr_generation=0,
            )
        )
        await _attach(
            repo, row.id, IdentifierKind.EMAIL, normalised["email"], verified=False, field="email"
        )
        if normalised["phone"]:
            await _attach(
                repo,
                row.id,
                IdentifierKind.PHONE,
                normalised["phone"],
                verified=False,
                field="phone",
            )
        await _attach(
            repo,
            row.id,
            IdentifierKind.CARD,
            await repo.next_card_number(),
            verified=True,
            field="cardNumber",
        )
        await _set_consents(uow.session, row.id, consents or {}, f"customer:{row.id}")
        uow.record(
            CustomerRegistered(customer_id=row.id, via="SIGN_UP", actor=f"customer:{row.id}")
        )
        await uow.commit()
    return row.id


@dataclass(frozen=True)
class CustomerSignedIn:
    token: str
    expires_at: int
    customer_id: int


async def sign_in(
    session: AsyncSession,
    *,
    identifier: str,
    password: str,
    secret: str,
    ttl_seconds: int,
    throttle: SignInThrottle | None = None,
    address: str | None = None,
) -> CustomerSignedIn:
    """Email or phone (any format) and password. The error never says which one was wrong,
    nor whether an account exists: an unknown identifier costs the same hashing, counts in
    ``throttle`` the same and gets the same answer as a wrong password."""
    text = identifier.strip()
    kind = IdentifierKind.EMAIL if "@" in text else IdentifierKind.PHONE
    try:
        value = model.normalise_identifier(kind, text, field="identifier")
    except ValidationFailed:
        value = ""
    attempt = (
        await throttle.begin(
            realm="customer", identifier=f"{kind}:{value or text.lower()}", address=address
        )
        if throttle is not None
        else None
    )
    found = await LoyaltyRepository(session).find_identifiers([(kind, value)]) if value else []
    row = await session.get(CustomerRow, found[0].customer_id) if found else None
    customer_id, password_hash = (row.id, row.password_hash) if row is not None else (0, None)
    await session.rollback()  # the connection goes back to the pool while argon2 works
    if not await verify_password(password_hash, password) or row is None:
        raise AuthenticationFailed(
            "Email/phone or password is wrong. Customers enrolled in a store sign up online "
            "once, then ask the store to merge the profiles.",
            field="password",
        )
    if attempt is not None:
        await attempt.succeeded()
    token, expires_at = issue_token(
        secret=secret,
        kind=PrincipalKind.CUSTOMER,
        subject_id=customer_id,
        role=Role.CUSTOMER,
        ttl_seconds=ttl_seconds,
    )
    return CustomerSignedIn(token=token, expires_at=expires_at, customer_id=customer_id)


async def enrol(
    uow: UnitOfWork,
    *,
    phone: str,
    actor: str,
    channel: str,
    location_id: int | None,
    first_name: str = "",
    last_name: str = "",
    card_number: str | None = None,
    consents: Mapping[ContactChannel, bool] | None = None,
) -> int:
    """Enrolment at the till with just a phone: a card (the physical one handed over, or a new
    virtual number) is issued at once."""
    errors: list[ValidationFailed] = []
    values: dict[str, str] = {}
    for field, fn in (
        ("phone", lambda: model.normalise_phone(phone)),
        ("cardNumber", lambda: model.normalise_card(card_number) if card_number else ""),
        ("firstName", lambda: _name(first_name, field="firstName", required=False)),
        ("lastName", lambda: _name(last_name, field="lastName", required=False)),
    ):
        try:
            values[field] = fn()
        except ValidationFailed as exc:
            errors.append(exc)
    _raise(errors)
    async with uow:
        repo = LoyaltyRepository(uow.session)
        row = await repo.add_customer(
            CustomerRow(
                status=CustomerStatus.ACTIVE,
                first_name=values["firstName"],
                last_name=values["lastName"],
                registered_via="ENROLMENT",
                registered_channel=channel,
                registered_location_id=location_id,
                preferred_store_id=location_id,
                qr_generation=0,
            )
        )
        await _attach(
            repo, row.id, IdentifierKind.PHONE, values["phone"], verified=False, field="phone"
        )
        card = values["cardNumber"] or await repo.next_card_number()
        await _attach(repo, row.id, IdentifierKind.CARD, card, verified=True, field="cardNumber")
        await _set_consents(uow.session, row.id, consents or {}, actor)
        uow.record(CustomerRegistered(customer_id=row.id, via="ENROLMENT", actor=actor))
        await uow.commit()
    return row.id


async def update_profile(
    uow: UnitOfWork,
    customer_id: int,
    *,
    actor: str,
    first_name: str | None = None,
    last_name: str | None = None,
    preferred_contact_channel: ContactChannel | object | None = UNSET,
    preferred_store_id: int | object | None = UNSET,
    consents: Mapping[ContactChannel, bool] | None = None,
) -> None:
    values: dict[str, object] = {}
    if first_name is not None:
        values["first_name"] = _name(first_name, field="firstName", required=True)
    if last_name is not None:
        values["last_name"] = _name(last_name, field="lastName", required=False)
    if preferred_contact_channel is not UNSET:
        values["preferred_contact_channel"] = preferred_contact_channel
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id, field="id")
        if preferred_store_id is not UNSET:
            if preferred_store_id is not None:
                found = await locations_by_ids(uow.session, [preferred_store_id])  # type: ignore[list-item]
                if not found or not found[preferred_store_id].sells_in_store:  # type: ignore[index]
                    raise NotFound(
                        "That location is not a store; pick one of the stores.",
                        field="preferredStoreId",
                    )
            values["preferred_store_id"] = preferred_store_id
        if values:
            await uow.session.execute(
                update(CustomerRow).where(CustomerRow.id == customer_id).values(**values)
            )
        await _set_consents(uow.session, customer_id, consents or {}, actor)
        await uow.commit()


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    line2: str = ""
    postal_code: str = ""
    country: str = "RU"
    label: str = ""
    recipient: str = ""
    phone: str | None = None
    is_default: bool = False


async def add_address(uow: UnitOfWork, customer_id: int, address: Address) -> int:
    errors: list[ValidationFailed] = []
    if not address.line1.strip():
        errors.append(ValidationFailed("Give the street and house.", field="line1"))
    if not address.city.strip():
        errors.append(ValidationFailed("Give the city.", field="city"))
    if len(address.country) != 2 or not address.country.isalpha():
        errors.append(
            ValidationFailed("The country is a two-letter code, e.g. RU.", field="country")
        )
    phone = None
    if address.phone:
        try:
            phone = model.normalise_phone(address.phone, field="phone")
        except ValidationFailed as exc:
            errors.append(exc)
    _raise(errors)
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id, field="customerId")
        if address.is_default:
            await uow.session.execute(
                update(CustomerAddressRow)
                .where(CustomerAddressRow.customer_id == customer_id)
                .values(is_default=False)
            )
        row = CustomerAddressRow(
            customer_id=customer_id,
            label=address.label.strip(),
            recipient=address.recipient.strip(),
            phone=phone,
            line1=address.line1.strip(),
            line2=address.line2.strip(),
            city=address.city.strip(),
            postal_code=address.postal_code.strip(),
            country=address.country.upper(),
            is_default=address.is_default,
        )
        uow.session.add(row)
        await uow.session.flush()
        await uow.commit()
    return row.id


async def remove_address(uow: UnitOfWork, customer_id: int, address_id: int) -> None:
    async with uow:
        result = await uow.session.execute(
            delete(CustomerAddressRow).where(
                CustomerAddressRow.id == address_id, CustomerAddressRow.customer_id == customer_id
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound("This customer has no such address.", field="addressId")
        await uow.commit()


async def add_identifier(
    uow: UnitOfWork, customer_id: int, *, kind: IdentifierKind, value: str, verified: bool
) -> int:
    normalised = model.normalise_identifier(kind, value, field="value")
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id, field="customerId")
        identifier_id = await _attach(
            repo, customer_id, kind, normalised, verified=verified, field="value"
        )
        await uow.commit()
    return identifier_id


async def verify_identifier(uow: UnitOfWork, identifier_id: int) -> int:
    """Staff confirmed it in person (the customer read out the SMS code, showed the email).
    Returns the customer id."""
    async with uow:
        row = await uow.session.get(CustomerIdentifierRow, identifier_id)
        if row is None:
            raise NotFound("No such identifier.", field="identifierId")
        if row.verification is not Verification.VERIFIED:
            row.verification = Verification.VERIFIED
            row.verified_at = utcnow()
            await uow.session.flush()
        customer_id = row.customer_id
        await uow.commit()
    return customer_id


async def issue_qr_token(
    uow: UnitOfWork,
    customer_id: int,
    *,
    secret: str,
    ttl_seconds: int = qr.DEFAULT_TTL_SECONDS,
    now: datetime | None = None,
) -> tuple[str, int]:
    """A fresh QR code for the app; every earlier code of this customer stops working."""
    moment = int((now or utcnow()).timestamp())
    async with uow:
        repo = LoyaltyRepository(uow.session)
        customer_id = await resolve_active(repo, customer_id)
        generation = await repo.bump_qr_generation(customer_id)
        await uow.commit()
    token = qr.issue(
        secret=secret,
        customer_id=customer_id,
        generation=generation,
        now=moment,
        ttl_seconds=ttl_seconds,
    )
    return token, moment + ttl_seconds


@dataclass(frozen=True)
class LookupResult:
    customer_id: int | None
    matched: LookupMatch | None
    normalized: str  # how the input was read: "+79161234567", a card number, "QR code"
    # What the lookup read on the way (the till shows it at once): saves the API a round trip.
    customer: CustomerRow | None = None
    identifiers: tuple[CustomerIdentifierRow, ...] = ()


async def lookup(
    session: AsyncSession, identifier: str, *, secret: str, now: datetime | None = None
) -> LookupResult:
    """Find a customer by anything the till can type or scan. Not found is not an error."""
    if qr.looks_like_qr(identifier):
        moment = int((now or utcnow()).timestamp())
        claims = qr.read(identifier, secret=secret, now=moment)
        customer_id = await _follow(session, claims.customer_id, generation=claims.generation)
        if customer_id is None:
            return LookupResult(None, None, "QR code")
        return await _found(session, customer_id, LookupMatch.QR_TOKEN, "QR code")
    candidates = model.lookup_candidates(identifier)
    found = {
        (r.kind, r.value): r.customer_id
        for r in await LoyaltyRepository(session).find_identifiers(candidates)
    }
    for kind, value in candidates:
        if (kind, value) in found:
            return await _found(session, found[(kind, value)], LookupMatch(kind.value), value)
    return LookupResult(None, None, candidates[0][1])


async def _found(
    session: AsyncSession, customer_id: int, matched: LookupMatch, normalized: str
) -> LookupResult:
    row = await session.get(CustomerRow, customer_id)
    identifiers = await LoyaltyRepository(session).identifiers_of([customer_id])
    return LookupResult(customer_id, matched, normalized, row, tuple(identifiers))


async def _follow(session: AsyncSession, customer_id: int, *, generation: int) -> int | None:
    row = await session.get(CustomerRow, customer_id)
    if row is None:
        return None
    if row.qr_generation != generation:
        raise QrTokenReplaced(
            "The customer opened a newer QR code since this one; ask them to show the code "
            "currently on their screen.",
            field="identifier",
        )
    return await active_customer_id(session, customer_id)


async def active_customer_id(session: AsyncSession, customer_id: int) -> int | None:
    """The customer a token or QR code for ``customer_id`` now means: itself, its merge
    survivor, or None when erased or unknown (bearer tokens of erased customers stop working)."""
    current: int | None = customer_id
    for _ in range(MAX_MERGE_HOPS):
        row = (
            await session.execute(
                select(CustomerRow.status, CustomerRow.merged_into_id).where(
                    CustomerRow.id == current
                )
            )
        ).one_or_none()
        if row is None or row.status == CustomerStatus.ERASED:
            return None
        if row.status == CustomerStatus.ACTIVE:
            return current
        current = row.merged_into_id
    raise CustomerNotActive(f"Customer {customer_id} has a broken merge chain.")


async def customer_for_token(session: AsyncSession, customer_id: int) -> int | None:
    """Whom a signed customer token acts for: the customer, or the survivor of their merge;
    None once erased (the token stops working). A token is only ever signed by us, so an id
    with no row (yet) is taken as it is."""
    if await session.get(CustomerRow, customer_id) is None:
        return customer_id
    return await active_customer_id(session, customer_id)
