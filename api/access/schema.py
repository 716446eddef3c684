"""Access queries, mutations and the audit subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from api.access.types import (
    AccessEvent,
    ApiKeyCreatePayload,
    ApiKeyRevokePayload,
    ApiKeyType,
    Channel,
    Role,
    StaffSignInPayload,
    StaffUserCreatePayload,
    StaffUserType,
    Viewer,
    staff_loader,
)
from api.auth import allow
from api.errors import UserError, payload_or_errors
from api.limits import page_size
from api.mutations import idempotent
from api.relay import Connection, connection, decode_cursor, decode_id
from api.trusted_documents import problem_check
from domain.access import services as access
from domain.access.documents import NewDocument, register_documents
from domain.access.model import Channel as DomainChannel
from domain.access.model import Role as DomainRole
from domain.access.tables import ApiKeyRow, StaffUserLocationRow, StaffUserRow
from domain.shared.errors import Forbidden
from domain.shared.uow import UnitOfWork


@strawberry.input
class StaffSignInInput:
    email: str
    password: str


@strawberry.input
class StaffUserCreateInput:
    email: str
    name: str
    password: str
    role: Role
    location_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    idempotency_key: str | None = None


@strawberry.input
class ApiKeyCreateInput:
    name: str
    channel: Channel
    location_id: relay.GlobalID | None = None


@strawberry.input
class ApiKeyRevokeInput:
    id: relay.GlobalID


@strawberry.input
class TrustedDocumentInput:
    body: str = strawberry.field(description="The exact text the client build sends.")
    name: str = strawberry.field(description="A name for people, e.g. the operation name.")


@strawberry.input
class TrustedDocumentsRegisterInput:
    documents: list[TrustedDocumentInput]


@strawberry.type
class TrustedDocumentsRegisterPayload:
    user_errors: list[UserError]
    document_ids: list[str] | None = strawberry.field(
        default=None,
        description='Ids to send as `documentId` ("sha256:<hex>"), in the order given.',
    )


@strawberry.type
class AccessQuery:
    @strawberry.field(description="Who the API thinks you are: role, channel, store.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.principal
        return Viewer(
            kind=p.kind,
            role=p.role,
            channel=p.channel,
            location_db_ids=p.location_ids,
            client_location_db_id=p.client_location_id,
            staff_user_db_id=p.staff_user_id,
        )

    @strawberry.field(
        permission_classes=[allow(DomainRole.STORE_MANAGER)],
        description="Staff, newest first. Store managers see their stores only.",
    )
    async def staff_users(
        self,
        info: Info,
        location_id: relay.GlobalID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StaffUserType]:
        principal = info.context.principal
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        stmt = select(StaffUserRow).order_by(StaffUserRow.id.desc()).limit(limit + 1)
        if location_id is not None:
            loc = decode_id(location_id, "Location", field="locationId")
            if not principal.can_act_at(loc):
                raise Forbidden("You can list staff of your own stores only.", field="locationId")
            scope = [loc]
        elif principal.role is DomainRole.STORE_MANAGER:
            scope = sorted(principal.location_ids)
        else:
            scope = None
        if scope is not None:
            stmt = stmt.where(
                StaffUserRow.id.in_(
                    select(StaffUserLocationRow.staff_user_id).where(
                        StaffUserLocationRow.location_id.in_(scope)
                    )
                )
            )
        if cursor is not None:
            stmt = stmt.where(StaffUserRow.id < int(cursor[0]))
        async with info.context.read() as session:
            rows = list(await session.scalars(stmt))
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=StaffUserType.from_row
        )

    @strawberry.field(permission_classes=[allow()], description="Client keys, newest first.")
    async def api_keys(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ApiKeyType]:
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        stmt = select(ApiKeyRow).order_by(ApiKeyRow.id.desc()).limit(limit + 1)
        if cursor is not None:
            stmt = stmt.where(ApiKeyRow.id < int(cursor[0]))
        async with info.context.read() as session:
            rows = list(await session.scalars(stmt))
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=ApiKeyType.from_row
        )


@strawberry.type
class AccessMutation:
    @strawberry.mutation(description="Staff sign-in; returns a bearer token.")
    async def staff_sign_in(self, info: Info, input: StaffSignInInput) -> StaffSignInPayload:
        settings = info.context.settings

        async def run() -> StaffSignInPayload:
            async with info.context.read() as session:
                signed = await access.sign_in_staff(
                    session,
                    email=input.email,
                    password=input.password,
                    secret=info.context.runtime.secret,
                    ttl_seconds=settings.token_ttl_seconds,
                    throttle=info.context.runtime.sign_in_throttle,
                    address=info.context.client_address,
                )
            row = await staff_loader(info).load(signed.staff_user_id)
            return StaffSignInPayload(
                user_errors=[],
                token=signed.token,
                expires_at=datetime.fromtimestamp(signed.expires_at).astimezone(),
                staff_user=StaffUserType.from_row(row),
            )

        return await payload_or_errors(StaffSignInPayload, run)

    @strawberry.mutation(
        permission_classes=[allow(DomainRole.STORE_MANAGER)],
        description="Create a staff login. Store managers create cashiers for "
        "their own stores. Idempotent with idempotencyKey.",
    )
    async def staff_user_create(
        self, info: Info, input: StaffUserCreateInput
    ) -> StaffUserCreatePayload:
        async def run() -> StaffUserCreatePayload:
            location_ids = [
                decode_id(g, "Location", field="locationIds") for g in input.location_ids
            ]
            role = DomainRole(input.role.value)
            request = {
                "email": input.email,
                "name": input.name,
                "password": input.password,
                "role": role.value,
                "location_ids": location_ids,
            }

            async def execute(uow: UnitOfWork) -> dict[str, int]:
                staff_id = await access.create_staff_user(
                    uow,
                    actor=info.context.principal,
                    email=input.email,
                    name=input.name,
                    password=input.password,
                    role=role,
                    location_ids=location_ids,
                )
                return {"staff_user_id": staff_id}

            result = await idempotent(
                info,
                operation="staffUserCreate",
                key=input.idempotency_key,
                request=request,
                execute=execute,
            )
            row = await staff_loader(info).load(result["staff_user_id"])
            return StaffUserCreatePayload(user_errors=[], staff_user=StaffUserType.from_row(row))

        return await payload_or_errors(StaffUserCreatePayload, run)

    @strawberry.mutation(
        permission_classes=[allow()], description="Issue a key for a client application (admin)."
    )
    async def api_key_create(self, info: Info, input: ApiKeyCreateInput) -> ApiKeyCreatePayload:
        async def run() -> ApiKeyCreatePayload:
            location_id = (
                decode_id(input.location_id, "Location", field="locationId")
                if input.location_id is not None
                else None
            )
            issued = await access.create_api_key(
                info.context.uow(),
                actor=info.context.principal.actor,
                name=input.name,
                channel=DomainChannel(input.channel.value),
                location_id=location_id,
            )
            async with info.context.read() as session:
                row = await session.get(ApiKeyRow, issued.id)
            return ApiKeyCreatePayload(
                user_errors=[], api_key=ApiKeyType.from_row(row), key=issued.key
            )

        return await payload_or_errors(ApiKeyCreatePayload, run)

    @strawberry.mutation(permission_classes=[allow()], description="Revoke a client key (admin).")
    async def api_key_revoke(self, info: Info, input: ApiKeyRevokeInput) -> ApiKeyRevokePayload:
        async def run() -> ApiKeyRevokePayload:
            key_id = decode_id(input.id, "ApiKey")
            await access.revoke_api_key(
                info.context.uow(), actor=info.context.principal.actor, api_key_id=key_id
            )
            async with info.context.read() as session:
                row = await session.get(ApiKeyRow, key_id)
            return ApiKeyRevokePayload(user_errors=[], api_key=ApiKeyType.from_row(row))

        return await payload_or_errors(ApiKeyRevokePayload, run)

    @strawberry.mutation(
        permission_classes=[allow()],
        description="Register the documents a client build sends by id (trusted documents; "
        "admin). Each is checked against the schema and the limits; none is stored if one fails.",
    )
    async def trusted_documents_register(
        self, info: Info, input: TrustedDocumentsRegisterInput
    ) -> TrustedDocumentsRegisterPayload:
        async def run() -> TrustedDocumentsRegisterPayload:
            ids = await register_documents(
                info.context.uow(),
                documents=[NewDocument(body=d.body, name=d.name) for d in input.documents],
                actor=info.context.principal.actor,
                check=problem_check(info.schema._schema, info.context.settings),
            )
            return TrustedDocumentsRegisterPayload(user_errors=[], document_ids=ids)

        return await payload_or_errors(TrustedDocumentsRegisterPayload, run)


@strawberry.type
class AccessSubscription:
    @strawberry.subscription(
        permission_classes=[allow()],
        description="Access changes as they commit (admin audit feed).",
    )
    async def access_events(self, info: Info) -> AsyncGenerator[AccessEvent, None]:
        async for env in info.context.runtime.events.subscribe("access"):
            yield AccessEvent(
                event_id=str(env.id),
                kind=env.payload["kind"],
                subject=env.payload["subject"],
                actor=env.payload["actor"],
                occurred_at=datetime.fromisoformat(env.occurred_at),
            )
