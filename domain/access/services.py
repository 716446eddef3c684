"""Access use cases: API keys for client apps, staff users, sign-in."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.errors import AuthenticationFailed, InvalidApiKey
from domain.access.events import AccessChanged
from domain.access.model import (
    LOCATION_SCOPED_ROLES,
    STAFF_ROLES,
    STORE_CHANNELS,
    Channel,
    Principal,
    PrincipalKind,
    Role,
)
from domain.access.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from domain.access.repository import AccessRepository
from domain.access.tables import ApiKeyRow, StaffUserRow
from domain.access.throttle import SignInThrottle
from domain.access.tokens import issue_token
from domain.shared.errors import Conflict, Forbidden, MultipleErrors, NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork
from inventory.queries import locations_by_ids

KEY_PREFIX = "ock_"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedApiKey:
    id: int
    key: str  # shown once; only its hash is stored


async def create_api_key(
    uow: UnitOfWork,
    *,
    actor: str,
    name: str,
    channel: Channel,
    location_id: int | None,
    fixed: tuple[str, str] | None = None,
) -> IssuedApiKey:
    """``fixed`` (public id, secret) exists only for the documented demo keys."""
    errors = []
    if not name.strip():
        errors.append(
            ValidationFailed("Give the key a name, e.g. 'POS till 3, store S01'.", field="name")
        )
    if channel in STORE_CHANNELS and location_id is None:
        errors.append(
            ValidationFailed(
                f"A {channel.value} key belongs to one store; give its locationId.",
                field="locationId",
            )
        )
    async with uow:
        if location_id is not None and not await locations_by_ids(uow.session, [location_id]):
            errors.append(NotFound(f"Location {location_id} does not exist.", field="locationId"))
        if errors:
            raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
        public_id, secret = fixed or (secrets.token_hex(8), secrets.token_urlsafe(32))
        row = await AccessRepository(uow.session).add_api_key(
            ApiKeyRow(
                public_id=public_id,
                secret_hash=_hash_secret(secret),
                name=name.strip(),
                channel=channel,
                location_id=location_id,
            )
        )
        uow.record(AccessChanged(kind="API_KEY_CREATED", subject=f"api_key:{row.id}", actor=actor))
        await uow.commit()
    return IssuedApiKey(id=row.id, key=f"{KEY_PREFIX}{public_id}.{secret}")


async def authenticate_api_key(session: AsyncSession, key: str) -> ApiKeyRow:
    if not key.startswith(KEY_PREFIX) or "." not in key:
        raise InvalidApiKey(
            "The API key is malformed; copy it again from `omnicommerce create-api-key`."
        )
    public_id, _, secret = key[len(KEY_PREFIX) :].partition(".")
    row = await AccessRepository(session).api_key_by_public_id(public_id)
    if row is None or not hmac.compare_digest(row.secret_hash, _hash_secret(secret)):
        raise InvalidApiKey("Unknown API key; ask an administrator for a valid one.")
    if row.revoked_at is not None:
        raise InvalidApiKey("This API key was revoked; ask an administrator for a new one.")
    return row


async def revoke_api_key(uow: UnitOfWork, *, actor: str, api_key_id: int) -> None:
    async with uow:
        if not await AccessRepository(uow.session).revoke_api_key(api_key_id):
            raise NotFound(
                f"API key {api_key_id} does not exist or is already revoked.", field="id"
            )
        uow.record(
            AccessChanged(kind="API_KEY_REVOKED", subject=f"api_key:{api_key_id}", actor=actor)
        )
        await uow.commit()


async def create_staff_user(
    uow: UnitOfWork,
    *,
    actor: Principal | None,
    email: str,
    name: str,
    password: str,
    role: Role,
    location_ids: Sequence[int],
) -> int:
    """Create a staff login. ``actor`` None means the command line (trusted operator)."""
    email = email.strip().lower()
    location_ids = sorted(set(location_ids))
    errors = []
    if not EMAIL_RE.match(email):
        errors.append(ValidationFailed(f"'{email}' is not an email address.", field="email"))
    if not name.strip():
        errors.append(ValidationFailed("Give the staff member's name.", field="name"))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            ValidationFailed(
                f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password"
            )
        )
    if role not in STAFF_ROLES:
        errors.append(ValidationFailed(f"{role.value} is not a staff role.", field="role"))
    if role in LOCATION_SCOPED_ROLES and not location_ids:
        errors.append(
            ValidationFailed(
                f"A {role.value} works at one or more stores; give locationIds.",
                field="locationIds",
            )
        )
    if actor is not None and actor.role is Role.STORE_MANAGER:
        if role is not Role.CASHIER:
            errors.append(
                Forbidden("A store manager can create cashiers only; ask an admin.", field="role")
            )
        outside = [loc for loc in location_ids if not actor.can_act_at(loc)]
        if outside:
            errors.append(
                Forbidden(f"You do not manage location(s) {outside}.", field="locationIds")
            )
    async with uow:
        repo = AccessRepository(uow.session)
        found = await locations_by_ids(uow.session, location_ids)
        missing = [loc for loc in location_ids if loc not in found]
        if missing:
            errors.append(NotFound(f"Location(s) {missing} do not exist.", field="locationIds"))
        if not errors and await repo.staff_by_email(email) is not None:
            errors.append(
                Conflict(f"A staff user with email {email} already exists.", field="email")
            )
        if errors:
            raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
        row = await repo.add_staff(
            StaffUserRow(
                email=email,
                name=name.strip(),
                password_hash=await hash_password(password),
                role=role,
                active=True,
            ),
            location_ids,
        )
        uow.record(
            AccessChanged(
                kind="STAFF_USER_CREATED",
                subject=f"staff_user:{row.id}",
                actor=actor.actor if actor else "cli",
            )
        )
        await uow.commit()
    return row.id


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: int
    staff_user_id: int


async def sign_in_staff(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    secret: str,
    ttl_seconds: int,
    throttle: SignInThrottle | None = None,
    address: str | None = None,
) -> SignedIn:
    """``throttle`` counts the attempt per e-mail (known or not) and per ``address`` first and
    refuses it with TOO_MANY_ATTEMPTS while either waits (domain/access/throttle.py)."""
    email = email.strip().lower()
    attempt = (
        await throttle.begin(realm="staff", identifier=email, address=address)
        if throttle is not None
        else None
    )
    row = await AccessRepository(session).staff_by_email(email)
    found = (row.id, row.role, row.active, row.password_hash) if row is not None else None
    await session.rollback()  # the connection goes back to the pool while argon2 works
    if not await verify_password(found[3] if found else None, password) or found is None:
        raise AuthenticationFailed("Email or password is wrong.", field="password")
    staff_id, role, active, _ = found
    if not active:
        raise AuthenticationFailed(
            "This staff account is disabled; ask your manager.", field="email"
        )
    if attempt is not None:
        await attempt.succeeded()
    token, expires_at = issue_token(
        secret=secret,
        kind=PrincipalKind.STAFF,
        subject_id=staff_id,
        role=role,
        ttl_seconds=ttl_seconds,
    )
    return SignedIn(token=token, expires_at=expires_at, staff_user_id=staff_id)
