"""GraphQL twin of the till-sale review queue: ``posSaleReviews`` and ``posSaleReviewResolve``
(store managers of the sale's store, admins)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.errors import UserError, payload_or_errors
from api.limits import page_size
from api.mutations import idempotent
from api.orders.types import OrderType, order_loader
from api.pricing.types import Money, money
from api.relay import Connection, connection, decode_cursor, decode_id
from api.visibility import visible
from domain.shared.errors import DomainError
from domain.shared.uow import UnitOfWork
from fulfillment import model
from fulfillment.review_tables import PosSaleReviewRow
from fulfillment.services import pos_reviews
from inventory.services import retry_on_contention

PosReviewStatus = strawberry.enum(model.PosReviewStatus, name="PosSaleReviewStatus")
PosReviewResolution = strawberry.enum(
    model.PosReviewResolution,
    name="PosSaleReviewResolution",
    description="ACCEPTED: the difference stands; COLLECTED: the missing money was collected; "
    "WRITTEN_OFF: a loss the store books.",
)


@strawberry.type(
    name="PosSaleReview",
    description="A till sale whose tenders differ from the server's total or that carries "
    "review notes, waiting for (or resolved by) a store manager.",
)
class PosSaleReviewType(relay.Node):
    review_id: relay.NodeID[int]
    status: PosReviewStatus  # type: ignore[valid-type]
    order_number: str
    expected_total: Money = strawberry.field(description="The server's total for the sale.")
    tendered: Money = strawberry.field(description="What the tenders taken came to.")
    discrepancy: Money = strawberry.field(
        description="Tendered minus expected: negative is money missing."
    )
    notes: list[str]
    offline: bool = strawberry.field(description="The till declared the sale offline.")
    offline_since: datetime | None
    offline_reason: str | None
    cashier: str
    created_at: datetime
    resolution: PosReviewResolution | None  # type: ignore[valid-type]
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    order_db_id: strawberry.Private[int]
    location_db_id: strawberry.Private[int]

    @classmethod
    def can_see(cls, info: Info, node: PosSaleReviewType) -> bool:
        """Store managers of the sale's store, and admins (api.visibility)."""
        try:
            pos_reviews.reviewable_locations(info.context.principal, node.location_db_id)
        except DomainError:
            return False
        return True

    @classmethod
    def from_row(cls, r: PosSaleReviewRow, number: str) -> PosSaleReviewType:
        c = r.currency
        return cls(
            review_id=r.id,
            status=r.status,
            order_number=number,
            expected_total=money(r.expected_total, c),
            tendered=money(r.tendered_total, c),
            discrepancy=money(r.discrepancy, c),
            notes=list(r.notes),
            offline=r.offline,
            offline_since=r.offline_since,
            offline_reason=r.offline_reason,
            cashier=r.cashier,
            created_at=r.created_at,
            resolution=r.resolution,
            resolution_note=r.resolution_note,
            resolved_by=r.resolved_by,
            resolved_at=r.resolved_at,
            order_db_id=r.order_id,
            location_db_id=r.location_id,
        )

    @strawberry.field
    async def order(self, info: Info) -> OrderType | None:
        row = await order_loader(info).load(self.order_db_id)
        return OrderType.from_row(row) if row is not None else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids = [int(node_id) for node_id in node_ids]
        async with info.context.read() as session:
            found = await pos_reviews.reviews_with_numbers(session, ids)
        return [cls.from_row(*found[i]) if i in found else None for i in ids]


async def pos_sale_reviews(
    info: Info,
    *,
    location_id: relay.GlobalID | None,
    status: Any,
    first: int | None,
    after: str | None,
) -> Connection[PosSaleReviewType]:
    limit = page_size(first, maximum=info.context.settings.max_page_size)
    cursor = decode_cursor(after)
    location = decode_id(location_id, "Location", field="locationId") if location_id else None
    locations = pos_reviews.reviewable_locations(info.context.principal, location)
    async with info.context.read() as session:
        rows = await pos_reviews.list_reviews(
            session,
            location_ids=locations,
            status=model.PosReviewStatus(status.value) if status is not None else None,
            first=limit,
            after=int(cursor[0]) if cursor else None,
        )
    return connection(
        rows,
        first=limit,
        after=after,
        key=lambda r: [r[0].id],
        node=lambda r: PosSaleReviewType.from_row(*r),
    )


@strawberry.input
class PosSaleReviewResolveInput:
    id: relay.GlobalID
    resolution: PosReviewResolution  # type: ignore[valid-type]
    note: str = strawberry.field(description="What was done: who was called, what was collected.")
    idempotency_key: str | None = None


@strawberry.type
class PosSaleReviewResolvePayload:
    user_errors: list[UserError]
    review: PosSaleReviewType | None = None


async def pos_sale_review_resolve(
    info: Info, input: PosSaleReviewResolveInput
) -> PosSaleReviewResolvePayload:
    async def body() -> PosSaleReviewResolvePayload:
        review_id = decode_id(input.id, "PosSaleReview", field="id")

        async def execute(uow: UnitOfWork) -> dict[str, Any]:
            done = await pos_reviews.resolve_review(
                uow,
                info.context.principal,
                review_id=review_id,
                resolution=model.PosReviewResolution(input.resolution.value),
                note=input.note,
            )
            return {"reviewId": done}

        result = await retry_on_contention(
            lambda: idempotent(
                info,
                operation="posSaleReviewResolve",
                key=input.idempotency_key,
                request={
                    "id": str(input.id),
                    "resolution": input.resolution.value,
                    "note": input.note,
                },
                execute=execute,
            )
        )
        async with info.context.read() as session:
            found = await pos_reviews.review_with_number(session, int(result["reviewId"]))
        review = PosSaleReviewType.from_row(*found) if found is not None else None
        return PosSaleReviewResolvePayload(user_errors=[], review=await visible(info, review))

    return await payload_or_errors(PosSaleReviewResolvePayload, body)
