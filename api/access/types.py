from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from api.errors import UserError
from api.inventory.types import LocationType, location_by_id
from domain.access.model import Channel as _Channel
from domain.access.model import PrincipalKind as _PrincipalKind
from domain.access.model import Role as _Role
from domain.access.tables import ApiKeyRow, StaffUserLocationRow, StaffUserRow

Channel = strawberry.enum(_Channel, name="Channel")
Role = strawberry.enum(_Role, name="Role")
PrincipalKind = strawberry.enum(_PrincipalKind, name="PrincipalKind")


async def _staff_by_ids(session: Any, ids: Any) -> dict[int, StaffUserRow]:
    rows = await session.scalars(select(StaffUserRow).where(StaffUserRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def _location_ids_by_staff(session: Any, ids: Any) -> dict[int, list[int]]:
    rows = await session.execute(
        select(StaffUserLocationRow.staff_user_id, StaffUserLocationRow.location_id)
        .where(StaffUserLocationRow.staff_user_id.in_(set(ids)))
        .order_by(StaffUserLocationRow.location_id)
    )
    out: dict[int, list[int]] = {}
    for staff_id, location_id in rows:
        out.setdefault(staff_id, []).append(location_id)
    return out


@strawberry.type(name="StaffUser")
class StaffUserType(relay.Node):
    staff_user_id: relay.NodeID[int]
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime

    @strawberry.field(description="Stores and warehouses this person works at.")
    async def locations(self, info: Info) -> list[LocationType]:
        ids = await info.context.loaders.by_key(
            "staff_location_ids", _location_ids_by_staff, default=[]
        ).load(self.staff_user_id)
        rows = await info.context.loaders.location.load_many(ids)
        return [LocationType.from_row(r) for r in rows if r is not None]

    @classmethod
    def from_row(cls, row: StaffUserRow) -> StaffUserType:
        return cls(
            staff_user_id=row.id,
            email=row.email,
            name=row.name,
            role=row.role,
            active=row.active,
            created_at=row.created_at,
        )

    @classmethod
    async def can_see(cls, info: Info, node: StaffUserType) -> bool:
        """As ``staffUsers``: oneself, admins, and store managers of a location they work at."""
        p = info.context.principal
        if p.staff_user_id == node.staff_user_id or p.role is _Role.ADMIN:
            return True
        if p.role is not _Role.STORE_MANAGER:
            return False
        ids = await info.context.loaders.by_key(
            "staff_location_ids", _location_ids_by_staff, default=[]
        ).load(node.staff_user_id)
        return any(p.can_act_at(i) for i in ids)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await staff_loader(info).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


def staff_loader(info: Info) -> Any:
    return info.context.loaders.by_key("staff_user", _staff_by_ids)


@strawberry.type(
    name="ApiKey",
    description="A client application's key (the secret is never shown again after creation).",
)
class ApiKeyType(relay.Node):
    api_key_id: relay.NodeID[int]
    name: str
    channel: Channel
    created_at: datetime
    revoked_at: datetime | None
    location_db_id: strawberry.Private[int | None]

    @strawberry.field
    async def location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.location_db_id)

    @classmethod
    def from_row(cls, row: ApiKeyRow) -> ApiKeyType:
        return cls(
            api_key_id=row.id,
            name=row.name,
            channel=row.channel,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            location_db_id=row.location_id,
        )

    @classmethod
    def can_see(cls, info: Info, node: ApiKeyType) -> bool:
        return info.context.principal.role is _Role.ADMIN

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        async def fetch(session: Any, ids: Any) -> dict[int, ApiKeyRow]:
            rows = await session.scalars(select(ApiKeyRow).where(ApiKeyRow.id.in_(set(ids))))
            return {r.id: r for r in rows}

        rows = await info.context.loaders.by_key("api_key", fetch).load_many(
            [int(i) for i in node_ids]
        )
        return [cls.from_row(r) if r is not None else None for r in rows]


@strawberry.type(description="The caller, as the API sees them.")
class Viewer:
    kind: PrincipalKind
    role: Role
    channel: Channel
    location_db_ids: strawberry.Private[frozenset[int]]
    client_location_db_id: strawberry.Private[int | None]
    staff_user_db_id: strawberry.Private[int | None]

    @strawberry.field(description="The store of the POS terminal or staff device, if any.")
    async def client_location(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.client_location_db_id)

    @strawberry.field(
        description="Locations a staff member may act at (empty: all, for admins "
        "and merchandisers; none for customers)."
    )
    async def locations(self, info: Info) -> list[LocationType]:
        rows = await info.context.loaders.location.load_many(sorted(self.location_db_ids))
        return [LocationType.from_row(r) for r in rows if r is not None]

    @strawberry.field
    async def staff_user(self, info: Info) -> StaffUserType | None:
        if self.staff_user_db_id is None:
            return None
        row = await staff_loader(info).load(self.staff_user_db_id)
        return StaffUserType.from_row(row) if row else None


@strawberry.type
class StaffSignInPayload:
    user_errors: list[UserError]
    token: str | None = None
    expires_at: datetime | None = None
    staff_user: StaffUserType | None = None


@strawberry.type
class StaffUserCreatePayload:
    user_errors: list[UserError]
    staff_user: StaffUserType | None = None


@strawberry.type
class ApiKeyCreatePayload:
    user_errors: list[UserError]
    api_key: ApiKeyType | None = None
    key: str | None = strawberry.field(default=None, description="The secret, shown only once.")


@strawberry.type
class ApiKeyRevokePayload:
    user_errors: list[UserError]
    api_key: ApiKeyType | None = None


@strawberry.type(description="Something changed in access control (audit stream for admins).")
class AccessEvent:
    event_id: str
    kind: str
    subject: str
    actor: str
    occurred_at: datetime
