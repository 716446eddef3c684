"""Who is calling (API key + bearer token -> Principal) and schema permission classes."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.runtime import Runtime
from domain.access import services as access
from domain.access.errors import InvalidToken
from domain.access.model import Channel, Principal, PrincipalKind, Role
from domain.access.repository import AccessRepository
from domain.access.tokens import verify_token
from loyalty.services import customer_for_token

API_KEY_HEADER = "x-api-key"
#: Opens a session to read credentials with (a session factory, or the request's reads).
SessionSource = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class _TTLCache:
    """Small per-process cache: a revoked key or disabled user stops working within ``ttl``."""

    def __init__(self, ttl: float, max_items: int = 10_000) -> None:
        self.ttl = ttl
        self.max_items = max_items
        self._items: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any | None:
        hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self._items) >= self.max_items:
            self._items.clear()
        self._items[key] = (time.monotonic() + self.ttl, value)

    async def get_or_load(
        self,
        key: Any,
        load: Callable[[AsyncSession], Awaitable[Any]],
        session_factory: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    ) -> Any:
        """The cached value, else ``load`` in a short session of its own (which may raise)."""
        value = self.get(key)
        if value is None:
            async with session_factory() as session:
                value = await load(session)
            self.put(key, value)
        return value


class Authenticator:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        ttl = runtime.settings.api_key_cache_seconds
        self._keys = _TTLCache(ttl)
        self._staff = _TTLCache(ttl)
        self._customers = _TTLCache(ttl)

    async def principal(
        self, headers: Mapping[str, str], *, sessions: SessionSource | None = None
    ) -> Principal:
        """Raises InvalidApiKey / InvalidToken for credentials that are present but bad.

        ``sessions``: where to read keys and accounts (the request's one connection); by
        default short sessions of the pool."""
        sessions = sessions or self.runtime.session_factory
        fields: dict[str, Any] = {}
        api_key = headers.get(API_KEY_HEADER)
        if api_key:
            fields.update(await self._api_key(api_key, sessions))
        authorization = headers.get("authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise InvalidToken("Send the token as 'Authorization: Bearer <token>'.")
            fields.update(await self._bearer(token.strip(), sessions))
        session_id = headers.get("x-session-id")
        if session_id:
            fields["session_id"] = session_id[:100]
        return Principal(**fields)

    async def _api_key(self, key: str, sessions: SessionSource) -> dict[str, Any]:
        async def load(session: AsyncSession) -> dict[str, Any]:
            row = await access.authenticate_api_key(session, key)
            return {
                "api_key_id": row.id,
                "channel": Channel(row.channel),
                "client_location_id": row.location_id,
            }

        cache_key = hashlib.sha256(key.encode()).hexdigest()
        return dict(await self._keys.get_or_load(cache_key, load, sessions))

    async def _bearer(self, token: str, sessions: SessionSource) -> dict[str, Any]:
        claims = verify_token(token, secret=self.runtime.secret)
        if claims.kind is PrincipalKind.CUSTOMER:
            return {
                "kind": PrincipalKind.CUSTOMER,
                "role": Role.CUSTOMER,
                "customer_id": await self._customer(claims.subject_id, sessions),
            }

        async def load_staff(session: AsyncSession) -> dict[str, Any]:
            repo = AccessRepository(session)
            row = await repo.staff_by_id(claims.subject_id)
            if row is None or not row.active:
                raise InvalidToken("This staff account is disabled; ask your manager.")
            return {
                "kind": PrincipalKind.STAFF,
                "role": Role(row.role),
                "staff_user_id": row.id,
                "location_ids": frozenset(await repo.staff_location_ids(row.id)),
            }

        return dict(await self._staff.get_or_load(claims.subject_id, load_staff, sessions))

    async def _customer(self, customer_id: int, sessions: SessionSource) -> int:
        """A merged customer's token acts for the survivor; an erased one's stops working."""

        async def load(session: AsyncSession) -> int:
            survivor = await customer_for_token(session, customer_id)
            if survivor is None:
                raise InvalidToken("This customer account no longer exists; sign up again.")
            return int(survivor)

        return int(await self._customers.get_or_load(customer_id, load, sessions))


def allow(*roles: Role) -> type[BasePermission]:
    """A permission class admitting the given roles (ADMIN is always admitted)."""
    admitted = frozenset(roles) | {Role.ADMIN}
    names = ", ".join(sorted(r.value for r in admitted))

    class Allowed(BasePermission):
        message = f"Not allowed: this needs one of the roles {names}. Sign in with such an account."
        error_extensions = {"code": "FORBIDDEN"}

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            return info.context.principal.role in admitted

    Allowed.__name__ = "Allow" + "".join(r.value.title().replace("_", "") for r in sorted(admitted))
    return Allowed


class SignedInCustomer(BasePermission):
    message = "Sign in as a customer first."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.kind is PrincipalKind.CUSTOMER


STAFF = allow(Role.CASHIER, Role.STORE_MANAGER, Role.WAREHOUSE, Role.MERCHANDISER)
