"""The store managers' review queue of till sales.

``open_review`` runs in the sale's own transaction: a sale whose tenders differ from the
server's total or that carries review notes is queued for its store with the amounts.
``resolve_review`` closes an entry once (a conditional UPDATE: of two concurrent resolves
exactly one wins, the other is told who resolved it) and records who and when. Both write a
``PosSaleReviewChanged`` event to the outbox with the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import Principal, Role
from domain.shared.clock import utcnow
from domain.shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.events import PosSaleReviewChanged
from fulfillment.model import PosReviewResolution, PosReviewStatus
from fulfillment.review_tables import PosSaleReviewRow
from fulfillment.tables import OrderRow, TenderRow
from fulfillment.till import OfflineDeclaration

REVIEWER_ROLES = frozenset({Role.STORE_MANAGER, Role.ADMIN})
MAX_NOTE = 1000


async def open_review(
    uow: UnitOfWork,
    *,
    order_id: int,
    offline: OfflineDeclaration | None,
    actor: str,
) -> PosSaleReviewRow | None:
    """Queue the sale if it needs a manager's eye; None when it is square."""
    session = uow.session
    order = await session.get(OrderRow, order_id)
    assert order is not None and order.location_id is not None
    if order.payment_discrepancy == 0 and not order.review_notes:
        return None
    tendered = sum(
        (
            await session.scalars(select(TenderRow.amount).where(TenderRow.order_id == order_id))
        ).all()
    )
    review = PosSaleReviewRow(
        order_id=order.id,
        location_id=order.location_id,
        status=PosReviewStatus.OPEN,
        currency=order.currency,
        expected_total=order.total,
        tendered_total=tendered,
        discrepancy=tendered - order.total,
        notes=list(order.review_notes),
        offline=offline is not None,
        offline_since=offline.since if offline is not None else None,
        offline_reason=(offline.reason or None) if offline is not None else None,
        cashier=actor,
    )
    session.add(review)
    await session.flush()
    uow.record(_event(review, order.number, "OPENED", actor))
    return review


def _event(review: PosSaleReviewRow, number: str, change: str, actor: str) -> PosSaleReviewChanged:
    return PosSaleReviewChanged(
        review_id=review.id,
        order_id=review.order_id,
        number=number,
        location_id=review.location_id,
        change=change,
        discrepancy=review.discrepancy,
        currency=review.currency,
        resolution=review.resolution.value if review.resolution is not None else None,
        actor=actor,
    )


def reviewable_locations(principal: Principal, location_id: int | None) -> tuple[int, ...] | None:
    """The stores whose queue the caller may read (None: every store, for admins)."""
    if not principal.is_staff or principal.role not in REVIEWER_ROLES:
        raise Forbidden(
            "The till-sale review queue is for store managers and admins; sign in as the "
            "store's manager.",
            field="locationId" if location_id is not None else None,
        )
    if location_id is not None:
        if not principal.can_act_at(location_id):
            raise Forbidden(
                "You can review your own stores' till sales only; pick one of your stores.",
                field="locationId",
            )
        return (location_id,)
    return None if principal.acts_everywhere else tuple(sorted(principal.location_ids))


async def list_reviews(
    session: AsyncSession,
    *,
    location_ids: Sequence[int] | None,
    status: PosReviewStatus | None,
    first: int,
    after: int | None,
) -> list[tuple[PosSaleReviewRow, str]]:
    """Oldest first (a queue), ``first + 1`` rows after review id ``after``."""
    stmt = select(PosSaleReviewRow, OrderRow.number).join(
        OrderRow, OrderRow.id == PosSaleReviewRow.order_id
    )
    if location_ids is not None:
        stmt = stmt.where(PosSaleReviewRow.location_id.in_(list(location_ids)))
    if status is not None:
        stmt = stmt.where(PosSaleReviewRow.status == status)
    if after is not None:
        stmt = stmt.where(PosSaleReviewRow.id > after)
    stmt = stmt.order_by(PosSaleReviewRow.id).limit(first + 1)
    result = await session.execute(stmt)
    return [(r[0], str(r[1])) for r in result.all()]


async def reviews_with_numbers(
    session: AsyncSession, review_ids: Sequence[int]
) -> dict[int, tuple[PosSaleReviewRow, str]]:
    """Reviews by id with their order's number, in one statement."""
    result = await session.execute(
        select(PosSaleReviewRow, OrderRow.number)
        .join(OrderRow, OrderRow.id == PosSaleReviewRow.order_id)
        .where(PosSaleReviewRow.id.in_(list(review_ids)))
    )
    return {row[0].id: (row[0], str(row[1])) for row in result.all()}


async def review_with_number(
    session: AsyncSession, review_id: int
) -> tuple[PosSaleReviewRow, str] | None:
    return (await reviews_with_numbers(session, [review_id])).get(review_id)


async def resolve_review(
    uow: UnitOfWork,
    principal: Principal,
    *,
    review_id: int,
    resolution: PosReviewResolution,
    note: str,
    now: datetime | None = None,
) -> int:
    """Close an open entry; FORBIDDEN outside the caller's stores, ALREADY_RESOLVED once done."""
    now = now or utcnow()
    note = note.strip()
    if not note or len(note) > MAX_NOTE:
        raise ValidationFailed(
            f"Say what was done in the note (1 to {MAX_NOTE} characters): who was called, "
            "what was collected or why it is written off.",
            field="note",
        )
    async with uow:
        session = uow.session
        found = await review_with_number(session, review_id)
        if found is None:
            raise NotFound("There is no such till-sale review; reload the queue.", field="id")
        review, number = found
        reviewable_locations(principal, review.location_id)
        done = await session.scalar(
            update(PosSaleReviewRow)
            .where(
                PosSaleReviewRow.id == review_id,
                PosSaleReviewRow.status == PosReviewStatus.OPEN,
            )
            .values(
                status=PosReviewStatus.RESOLVED,
                resolution=resolution,
                resolution_note=note,
                resolved_by=principal.actor,
                resolved_at=now,
            )
            .returning(PosSaleReviewRow.id)
            .execution_options(synchronize_session=False)
        )
        if done is None:
            await session.refresh(review)
            raise Conflict(
                f"This review of sale {number} was already resolved ({review.resolution}) by "
                f"{review.resolved_by} at {review.resolved_at:%Y-%m-%d %H:%M} UTC; reload the "
                "queue.",
                field="id",
                code="ALREADY_RESOLVED",
            )
        await session.refresh(review)
        uow.record(_event(review, number, "RESOLVED", principal.actor))
        await uow.commit()
    return review_id
