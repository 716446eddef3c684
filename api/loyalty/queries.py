"""Loyalty queries: till lookup, me, the admin-only customer list, the programme's rules."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.auth import SignedInCustomer, allow
from api.errors import user_errors
from api.limits import page_size
from api.loyalty.types import (
    CustomerLookupResult,
    CustomerType,
    LookupMatch,
    LoyaltyProgramme,
    load_customer,
    prime,
)
from api.relay import Connection, connection, decode_cursor
from domain.access.model import Role
from domain.shared.errors import DomainError
from loyalty import queries, services


@strawberry.type
class LoyaltyQuery:
    @strawberry.field(
        permission_classes=[allow(Role.CASHIER, Role.STORE_MANAGER)],
        description="Find a customer at the till by phone (any format), email, card number, "
        "external id (system:id) or a scanned app QR code. Staff only.",
    )
    async def customer_lookup(self, info: Info, identifier: str) -> CustomerLookupResult:
        try:
            async with info.context.read() as session:
                found = await services.lookup(
                    session, identifier, secret=info.context.runtime.secret
                )
        except DomainError as exc:
            return CustomerLookupResult(user_errors=user_errors(exc))
        if found.customer is not None:
            prime(info, found.customer, found.identifiers)
        return CustomerLookupResult(
            user_errors=[],
            customer=await load_customer(info, found.customer_id),
            matched_by=LookupMatch(found.matched.value) if found.matched else None,
            normalized=found.normalized,
        )

    @strawberry.field(permission_classes=[SignedInCustomer], description="The signed-in customer.")
    async def me(self, info: Info) -> CustomerType | None:
        return await load_customer(info, info.context.principal.customer_id)

    @strawberry.field(
        permission_classes=[allow()],
        description="All customers by id, a page at a time (admin only: store roles look "
        "customers up one at a time and cannot export lists).",
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        include_inactive: bool = False,
    ) -> Connection[CustomerType]:
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        async with info.context.read() as session:
            rows = await queries.customers_page(
                session,
                first=limit,
                after_id=int(cursor[0]) if cursor else None,
                include_inactive=include_inactive,
            )
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=CustomerType.from_row
        )

    @strawberry.field(description="Earn rate, tiers and their benefits, expiry.")
    def loyalty_programme(self) -> LoyaltyProgramme:
        return LoyaltyProgramme.from_rules()
