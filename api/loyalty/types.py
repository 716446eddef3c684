"""GraphQL types of the loyalty context: Customer, identifiers, points history, tiers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.errors import UserError
from api.inventory.types import LocationType, location_by_id
from api.limits import page_size
from api.relay import Connection, connection, decode_cursor
from domain.access.model import Principal, Role
from loyalty import model, queries
from loyalty.model import DEFAULT_RULES
from loyalty.tables import (
    CustomerAddressRow,
    CustomerIdentifierRow,
    CustomerMergeRow,
    CustomerRow,
    PointsEntryRow,
)

if TYPE_CHECKING:
    from api.orders.types import OrderType

CustomerStatus = strawberry.enum(model.CustomerStatus, name="CustomerStatus")
IdentifierKind = strawberry.enum(model.IdentifierKind, name="IdentifierKind")
IdentifierVerification = strawberry.enum(model.Verification, name="IdentifierVerification")
ContactChannel = strawberry.enum(model.ContactChannel, name="ContactChannel")
PointsKind = strawberry.enum(model.PointsKind, name="PointsKind")
LookupMatch = strawberry.enum(model.LookupMatch, name="CustomerLookupMatch")

#: Staff who serve customers in person may look them up and view their profiles.
STAFF_VIEWERS = frozenset({Role.CASHIER, Role.STORE_MANAGER, Role.ADMIN})


def can_view(principal: Principal, customer_id: int) -> bool:
    """A customer sees only themself; store staff and admins see any profile."""
    return principal.customer_id == customer_id or principal.role in STAFF_VIEWERS


# ------------------------------------------------------------------ loaders


def customer_loader(info: Info) -> Any:
    return info.context.loaders.by_key("customer", queries.customers_by_ids)


def _identifier_loader(info: Info) -> Any:
    return info.context.loaders.by_key(
        "customer_identifiers", queries.identifiers_by_customer, default=[]
    )


def prime(info: Info, row: CustomerRow, identifiers: Iterable[CustomerIdentifierRow]) -> None:
    """Seed this request's loaders with rows a service already read."""
    customer_loader(info).prime(row.id, row)
    _identifier_loader(info).prime(row.id, list(identifiers))


async def load_customer(info: Info, customer_id: int | None) -> CustomerType | None:
    if customer_id is None or not can_view(info.context.principal, customer_id):
        return None
    row = await customer_loader(info).load(customer_id)
    return CustomerType.from_row(row) if row is not None else None


# ------------------------------------------------------------------ types


@strawberry.type(description="A loyalty tier and its benefits.")
class Tier:
    code: str
    name: str
    min_spend_minor: int = strawberry.field(
        description="Rolling 12-month spend (minor units) that reaches this tier."
    )
    discount_percent: int = strawberry.field(
        description="Personalised discount the price engine applies to this tier."
    )
    earn_multiplier: float

    @classmethod
    def from_model(cls, tier: model.Tier) -> Tier:
        return cls(
            code=tier.code,
            name=tier.name,
            min_spend_minor=tier.min_spend_minor,
            discount_percent=tier.discount_percent,
            earn_multiplier=float(tier.earn_multiplier),
        )


@strawberry.type(description="Points balance, tier and progress to the next tier.")
class LoyaltyStatus:
    points_balance: int
    points_value_minor: int = strawberry.field(description="What the balance pays at checkout.")
    tier: Tier
    next_tier: Tier | None
    rolling_spend_minor: int = strawberry.field(description="Spend in the last 12 months.")
    spend_to_next_tier_minor: int | None
    progress_percent: int
    currency: str


@strawberry.type
class CategoryBonus:
    category: str
    multiplier: float


@strawberry.type(description="The programme's rules, for the storefront's loyalty page.")
class LoyaltyProgramme:
    currency: str
    points_per_currency_unit: float
    point_value_minor: int
    expiry_months: int
    tier_window_days: int
    tiers: list[Tier]
    category_bonuses: list[CategoryBonus]

    @classmethod
    def from_rules(cls, rules: model.LoyaltyRules = DEFAULT_RULES) -> LoyaltyProgramme:
        return cls(
            currency=rules.currency,
            points_per_currency_unit=float(rules.points_per_unit),
            point_value_minor=rules.point_value_minor,
            expiry_months=rules.expiry_months,
            tier_window_days=rules.tier_window_days,
            tiers=[Tier.from_model(t) for t in rules.tiers],
            category_bonuses=[
                CategoryBonus(category=c, multiplier=float(m))
                for c, m in sorted(rules.category_multipliers.items())
            ],
        )


@strawberry.type(name="CustomerIdentifier")
class CustomerIdentifierType(relay.Node):
    identifier_id: relay.NodeID[int]
    kind: IdentifierKind
    value: str
    masked_value: str = strawberry.field(description="Safe to show on a customer-facing screen.")
    verification: IdentifierVerification
    verified_at: datetime | None
    created_at: datetime
    customer_db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: CustomerIdentifierRow) -> CustomerIdentifierType:
        return cls(
            identifier_id=row.id,
            kind=row.kind,
            value=row.value,
            masked_value=model.mask(row.kind, row.value),
            verification=row.verification,
            verified_at=row.verified_at,
            created_at=row.created_at,
            customer_db_id=row.customer_id,
        )

    @classmethod
    def can_see(cls, info: Info, node: CustomerIdentifierType) -> bool:
        return can_view(info.context.principal, node.customer_db_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        async def fetch(session: Any, ids: Any) -> dict[int, CustomerIdentifierRow]:
            from sqlalchemy import select

            rows = await session.scalars(
                select(CustomerIdentifierRow).where(CustomerIdentifierRow.id.in_(set(ids)))
            )
            return {r.id: r for r in rows}

        rows = await info.context.loaders.by_key("customer_identifier", fetch).load_many(
            [int(i) for i in node_ids]
        )
        return [cls.from_row(r) if r is not None else None for r in rows]


@strawberry.type
class MarketingConsent:
    channel: ContactChannel
    granted: bool
    updated_at: datetime | None = strawberry.field(description="Null: never asked.")
    source: str | None


@strawberry.type(name="CustomerAddress")
class CustomerAddressType(relay.Node):
    address_id: relay.NodeID[int]
    label: str
    recipient: str
    phone: str | None
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str
    is_default: bool

    @classmethod
    def from_row(cls, row: CustomerAddressRow) -> CustomerAddressType:
        return cls(
            address_id=row.id,
            label=row.label,
            recipient=row.recipient,
            phone=row.phone,
            line1=row.line1,
            line2=row.line2,
            city=row.city,
            postal_code=row.postal_code,
            country=row.country,
            is_default=row.is_default,
        )

    @classmethod
    def can_see(cls, info: Info, node: CustomerAddressType) -> bool:
        return False  # never by id: reached through their customer, who is checked

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return [None for _ in node_ids]  # reached through their customer only


@strawberry.type(name="PointsEntry", description="One line of the points ledger.")
class PointsEntryType(relay.Node):
    entry_id: relay.NodeID[int]
    kind: PointsKind
    points: int = strawberry.field(description="Signed: earned and credited > 0, spent < 0.")
    reversed_kind: PointsKind | None
    expires_at: datetime | None = strawberry.field(description="For credited points.")
    remaining: int = strawberry.field(description="Of credited points, what is left to spend.")
    reference: str | None
    reason: str | None
    actor: str
    created_at: datetime
    customer_db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: PointsEntryRow) -> PointsEntryType:
        return cls(
            entry_id=row.id,
            kind=row.kind,
            points=row.points,
            reversed_kind=row.reversed_kind,
            expires_at=row.expires_at if row.points > 0 else None,
            remaining=row.remaining,
            reference=row.reference,
            reason=row.reason,
            actor=row.actor,
            created_at=row.created_at,
            customer_db_id=row.customer_id,
        )

    @classmethod
    def can_see(cls, info: Info, node: PointsEntryType) -> bool:
        return can_view(info.context.principal, node.customer_db_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        rows = await info.context.loaders.by_key(
            "points_entry", queries.points_entries_by_ids
        ).load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r is not None else None for r in rows]


@strawberry.type(name="Customer", description="One customer across web, app and stores.")
class CustomerType(relay.Node):
    customer_id: relay.NodeID[int]
    status: CustomerStatus
    first_name: str
    last_name: str
    preferred_contact_channel: ContactChannel | None
    registered_via: str = strawberry.field(description="SIGN_UP (web/app) or ENROLMENT (till).")
    created_at: datetime
    erased_at: datetime | None
    preferred_store_db_id: strawberry.Private[int | None]
    merged_into_db_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: CustomerRow) -> CustomerType:
        return cls(
            customer_id=row.id,
            status=row.status,
            first_name=row.first_name,
            last_name=row.last_name,
            preferred_contact_channel=row.preferred_contact_channel,
            registered_via=row.registered_via,
            created_at=row.created_at,
            erased_at=row.erased_at,
            preferred_store_db_id=row.preferred_store_id,
            merged_into_db_id=row.merged_into_id,
        )

    @classmethod
    def can_see(cls, info: Info, node: CustomerType) -> bool:
        return can_view(info.context.principal, node.customer_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return list(await asyncio.gather(*(load_customer(info, int(i)) for i in node_ids)))

    @strawberry.field
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @strawberry.field
    async def preferred_store(self, info: Info) -> LocationType | None:
        return await location_by_id(info, self.preferred_store_db_id)

    @strawberry.field(description="The survivor this profile was merged into.")
    async def merged_into(self, info: Info) -> CustomerType | None:
        return await load_customer(info, self.merged_into_db_id)

    @strawberry.field(description="Email, phones (E.164), cards, external ids.")
    async def identifiers(self, info: Info) -> list[CustomerIdentifierType]:
        rows = await _identifier_loader(info).load(self.customer_id)
        return [CustomerIdentifierType.from_row(r) for r in rows]

    async def _first(self, info: Info, kind: model.IdentifierKind) -> str | None:
        rows = await _identifier_loader(info).load(self.customer_id)
        return next((r.value for r in rows if r.kind is kind), None)

    @strawberry.field
    async def email(self, info: Info) -> str | None:
        return await self._first(info, model.IdentifierKind.EMAIL)

    @strawberry.field(description="E.164, e.g. +79161234567.")
    async def phone(self, info: Info) -> str | None:
        return await self._first(info, model.IdentifierKind.PHONE)

    @strawberry.field
    async def card_number(self, info: Info) -> str | None:
        return await self._first(info, model.IdentifierKind.CARD)

    @strawberry.field(description="One per channel (EMAIL, SMS, PUSH); not asked means no.")
    async def marketing_consents(self, info: Info) -> list[MarketingConsent]:
        rows = await info.context.loaders.by_key(
            "customer_consents", queries.consents_by_customer, default=[]
        ).load(self.customer_id)
        by_channel = {r.channel: r for r in rows}
        out = []
        for channel in model.ContactChannel:
            row = by_channel.get(channel)
            out.append(
                MarketingConsent(
                    channel=channel,
                    granted=bool(row and row.granted),
                    updated_at=row.updated_at if row else None,
                    source=row.source if row else None,
                )
            )
        return out

    @strawberry.field
    async def addresses(self, info: Info) -> list[CustomerAddressType]:
        rows = await info.context.loaders.by_key(
            "customer_addresses", queries.addresses_by_customer, default=[]
        ).load(self.customer_id)
        return [CustomerAddressType.from_row(r) for r in rows]

    @strawberry.field
    async def loyalty(self, info: Info) -> LoyaltyStatus:
        now = datetime.now(UTC)

        async def figures(session: Any, ids: Any) -> dict[int, tuple[int, int]]:
            return await queries.loyalty_figures(session, ids, now=now)

        balance, rolling = await info.context.loaders.by_key(
            "loyalty_figures", figures, default=(0, 0)
        ).load(self.customer_id)
        status = model.tier_status(rolling)
        return LoyaltyStatus(
            points_balance=balance,
            points_value_minor=model.points_value_minor(balance),
            tier=Tier.from_model(status.tier),
            next_tier=Tier.from_model(status.next_tier) if status.next_tier else None,
            rolling_spend_minor=status.rolling_spend_minor,
            spend_to_next_tier_minor=status.spend_to_next_minor,
            progress_percent=status.progress_percent,
            currency=status.currency,
        )

    @strawberry.field(
        description="Recent orders in every channel (web, app, stores), newest first; page "
        "further with orders(customerId:)."
    )
    async def orders(
        self, info: Info
    ) -> list[Annotated[OrderType, strawberry.lazy("api.orders.types")]]:
        from api.orders.types import recent_orders_of_customer

        return await recent_orders_of_customer(info, self.customer_id)

    @strawberry.field(description="Points ledger, newest first.")
    async def points_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PointsEntryType]:
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        before = int(cursor[0]) if cursor else None
        rows = await info.context.loaders.by_key("loyalty.points_page", _points_pages).load(
            (self.customer_id, limit, before)
        )
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=PointsEntryType.from_row
        )


async def _points_pages(
    session: Any, keys: Sequence[tuple[int, int, int | None]]
) -> dict[tuple[int, int, int | None], list[Any]]:
    """Keys (customer id, page size, before id): one statement per distinct page shape."""
    shapes: dict[tuple[int, int | None], list[int]] = {}
    for customer_id, first, before in keys:
        shapes.setdefault((first, before), []).append(customer_id)
    out: dict[tuple[int, int, int | None], list[Any]] = {}
    for (first, before), customer_ids in shapes.items():
        found = await queries.points_pages(session, customer_ids, first=first, before_id=before)
        out.update({(c, first, before): found[c] for c in customer_ids})
    return out


@strawberry.type
class MergeCount:
    step: str
    count: int


@strawberry.type
class MergeConflict:
    kind: str
    survivor_value: str
    duplicate_value: str
    blocking: bool
    resolution: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MergeConflict:
        return cls(
            kind=data["kind"],
            survivor_value=data["survivor_value"],
            duplicate_value=data["duplicate_value"],
            blocking=data["blocking"],
            resolution=data["resolution"],
        )


@strawberry.type(name="CustomerMerge", description="Audit of one merge.")
class CustomerMergeType:
    merge_id: strawberry.Private[int]
    survivor_db_id: strawberry.Private[int]
    duplicate_db_id: strawberry.Private[int]
    actor: str
    merged_at: datetime
    moved: list[MergeCount]
    conflicts: list[MergeConflict]

    @classmethod
    def from_row(cls, row: CustomerMergeRow) -> CustomerMergeType:
        return cls(
            merge_id=row.id,
            survivor_db_id=row.survivor_id,
            duplicate_db_id=row.duplicate_id,
            actor=row.actor,
            merged_at=row.merged_at,
            moved=[MergeCount(step=k, count=int(v)) for k, v in row.moved.items()],
            conflicts=[MergeConflict.from_dict(c) for c in row.conflicts],
        )

    @strawberry.field
    async def survivor(self, info: Info) -> CustomerType | None:
        return await load_customer(info, self.survivor_db_id)

    @strawberry.field
    async def duplicate(self, info: Info) -> CustomerType | None:
        return await load_customer(info, self.duplicate_db_id)


@strawberry.type
class CustomerLookupResult:
    user_errors: list[UserError]
    customer: CustomerType | None = None
    matched_by: LookupMatch | None = None
    normalized: str | None = strawberry.field(
        default=None, description="How the input was read, e.g. +79161234567."
    )
