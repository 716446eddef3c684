"""Consultations in a store: accept a request from the queue (one consultant wins), start one
for a walk-in, record the customer's ratings on their behalf, close it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert

from domain.access.model import Principal
from domain.shared.clock import utcnow
from domain.shared.errors import Conflict, DomainError, Forbidden, MultipleErrors, NotFound
from domain.shared.uow import UnitOfWork
from loyalty.clienteling import model
from loyalty.clienteling.events import StoreActivity
from loyalty.clienteling.model import ConsultationStatus, InteractionType
from loyalty.clienteling.queries import personalisation
from loyalty.clienteling.services.interactions import (
    EventIn,
    Recorded,
    check_batch,
    check_references,
    open_consultation,
    row_values,
)
from loyalty.clienteling.tables import ConsultationRow, InteractionRow
from loyalty.services import active_customer_id


@dataclass(frozen=True)
class ConsultationChange:
    consultation_id: int
    replayed: bool  # the same staff member repeated the action; nothing changed


def _check_staff(principal: Principal, location_id: int) -> int:
    if principal.staff_user_id is None:
        raise Forbidden("Consultations are run by store staff; sign in as staff.", field="id")
    if not principal.can_act_at(location_id):
        raise Forbidden(
            "This consultation is in another store; serve customers of your own store.",
            field="consultationId",
        )
    return principal.staff_user_id


async def _row(uow: UnitOfWork, consultation_id: int, *, lock: bool = False) -> ConsultationRow:
    # populate_existing: a re-read after a lost race must see the winner's committed values.
    stmt = (
        select(ConsultationRow)
        .where(ConsultationRow.id == consultation_id)
        .execution_options(populate_existing=True)
    )
    row = await uow.session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound(f"Consultation {consultation_id} does not exist.", field="consultationId")
    return row


def _event(kind: str, row: ConsultationRow, staff_id: int, now: datetime) -> StoreActivity:
    return StoreActivity(
        kind=kind,
        location_id=row.location_id,
        customer_id=row.customer_id,
        consultation_id=row.id,
        staff_user_id=staff_id,
        occurred_at=now.isoformat(),
    )


async def accept_consultation(
    uow: UnitOfWork, *, consultation_id: int, principal: Principal, now: datetime | None = None
) -> ConsultationChange:
    """Take a request from the store's queue. One conditional UPDATE decides between
    consultants tapping "accept" at once: the loser is told who took it."""
    now = now or utcnow()
    async with uow:
        row = await _row(uow, consultation_id)
        staff_id = _check_staff(principal, row.location_id)
        won = await uow.session.scalar(
            update(ConsultationRow)
            .where(
                ConsultationRow.id == consultation_id,
                ConsultationRow.status == ConsultationStatus.REQUESTED,
            )
            .values(status=ConsultationStatus.ACCEPTED, staff_user_id=staff_id, accepted_at=now)
            .returning(ConsultationRow.id)
            # The database decides who won; never let the ORM guess on the loaded object.
            .execution_options(synchronize_session=False)
        )
        if won is None:
            current = await _row(uow, consultation_id)
            if current.status is ConsultationStatus.ACCEPTED and current.staff_user_id == staff_id:
                return ConsultationChange(consultation_id, True)
            if current.status is ConsultationStatus.ACCEPTED:
                raise Conflict(
                    f"A colleague (staff {current.staff_user_id}) already took this request; "
                    "pick the next one in the queue.",
                    field="consultationId",
                )
            raise Conflict("This consultation is closed; start a new one.", field="consultationId")
        uow.record(_event("CONSULTATION_ACCEPTED", row, staff_id, now))
        await uow.commit()
    return ConsultationChange(consultation_id, False)


async def start_consultation(
    uow: UnitOfWork,
    *,
    customer_id: int,
    location_id: int,
    principal: Principal,
    now: datetime | None = None,
) -> ConsultationChange:
    """A consultant starts with a customer who did not call through the app (identified at the
    till or by their QR). A waiting request of theirs at this store is accepted instead."""
    now = now or utcnow()
    _check_staff(principal, location_id)
    async with uow:
        active = await active_customer_id(uow.session, customer_id)
        if active is None:
            raise NotFound(f"Customer {customer_id} does not exist.", field="customerId")
        consultation_id, _created = await open_consultation(
            uow.session, customer_id=active, location_id=location_id, now=now, note=None
        )
        # Joins this transaction: the new consultation and its acceptance commit together.
        change = await accept_consultation(
            uow, consultation_id=consultation_id, principal=principal, now=now
        )
        await uow.commit()
    return change


def _as_ratings(exc: DomainError) -> DomainError:
    """Field paths of the shared event checks, in this mutation's input names."""
    parts = exc.errors if isinstance(exc, MultipleErrors) else [exc]
    for e in parts:
        e.field = (e.field or "").replace("events", "ratings").replace(".ratings[", ".scores[")
    return exc


def rating_origin(*, staff_id: int, consultation_id: int) -> str:
    """Replay scope of a consultant's ratings: one consultation (so one customer). A consultant
    serves many customers a day with the same simple event counter ("r1", "r2"...)."""
    return f"staff:{staff_id}/consultation:{consultation_id}"


@dataclass(frozen=True)
class RatingIn:
    product_id: int
    scores: tuple[model.AttributeScore, ...]
    comment: str | None = None
    variant_id: int | None = None
    client_event_id: str | None = None


async def record_ratings(
    uow: UnitOfWork,
    *,
    consultation_id: int,
    ratings: list[RatingIn],
    principal: Principal,
    channel: str,
    now: datetime | None = None,
) -> Recorded:
    """What the customer said about the models they listened to, recorded by the consultant
    on the consultation (customer, store and consultant linked). Replays of the same
    clientEventId within this consultation store nothing twice; the same id in another
    consultation (a till's counter restarting for the next customer) is a new rating."""
    now = now or utcnow()
    async with uow:
        row = await _row(uow, consultation_id)
        staff_id = _check_staff(principal, row.location_id)
        if row.status is not ConsultationStatus.ACCEPTED:
            raise Conflict(
                "Accept the consultation first (consultationAccept)."
                if row.status is ConsultationStatus.REQUESTED
                else "This consultation is closed; start a new one to record more ratings.",
                field="consultationId",
            )
        events = [
            EventIn(
                model.Interaction(
                    id=0,
                    type=InteractionType.PRODUCT_RATED,
                    occurred_at=now,
                    product_id=r.product_id,
                    location_id=row.location_id,
                    ratings=r.scores,
                    comment=r.comment,
                ),
                client_event_id=r.client_event_id,
                variant_id=r.variant_id,
            )
            for r in ratings
        ]
        try:
            check_batch(events, has_customer=True)
            await check_references(uow.session, events)
        except DomainError as exc:
            raise _as_ratings(exc) from None
        allowed = (await personalisation(uow.session, [row.customer_id]))[row.customer_id]
        if not allowed:
            return Recorded([], 0, len(events), 0, [consultation_id])
        values = [
            row_values(
                e,
                customer_id=row.customer_id,
                session_id=None,
                origin=rating_origin(staff_id=staff_id, consultation_id=consultation_id),
                channel=channel,
                actor=f"staff:{staff_id}",
                now=now,
                consultation_id=consultation_id,
            )
            for e in events
        ]
        ids = list(
            await uow.session.scalars(
                insert(InteractionRow)
                .values(values)
                .on_conflict_do_nothing(
                    index_elements=["origin", "client_event_id"],
                    index_where=text("client_event_id IS NOT NULL"),
                )
                .returning(InteractionRow.id)
            )
        )
        await uow.commit()
    return Recorded(sorted(ids), len(events) - len(ids), 0, 0, [consultation_id])


async def close_consultation(
    uow: UnitOfWork,
    *,
    consultation_id: int,
    principal: Principal,
    summary: str | None = None,
    now: datetime | None = None,
) -> ConsultationChange:
    """End the consultation (or drop a request the customer no longer needs). Closing twice
    changes nothing."""
    now = now or utcnow()
    async with uow:
        row = await _row(uow, consultation_id, lock=True)
        staff_id = _check_staff(principal, row.location_id)
        if row.status is ConsultationStatus.CLOSED:
            return ConsultationChange(consultation_id, True)
        if (
            row.status is ConsultationStatus.ACCEPTED
            and row.staff_user_id != staff_id
            and principal.role.value not in ("STORE_MANAGER", "ADMIN")
        ):
            raise Forbidden(
                f"Staff {row.staff_user_id} is running this consultation; they or a store "
                "manager close it.",
                field="consultationId",
            )
        await uow.session.execute(
            update(ConsultationRow)
            .where(ConsultationRow.id == consultation_id)
            .values(status=ConsultationStatus.CLOSED, closed_at=now, summary=summary)
        )
        uow.record(_event("CONSULTATION_CLOSED", row, staff_id, now))
        await uow.commit()
    return ConsultationChange(consultation_id, False)
