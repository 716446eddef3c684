"""Recording interactions in batches, joining an anonymous session's events on sign-in, and
the customer's personalisation switch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import queries as catalog
from domain.shared.clock import utcnow
from domain.shared.errors import DomainError, MultipleErrors, NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork
from inventory.queries import locations_by_ids
from loyalty.clienteling import model
from loyalty.clienteling.events import StoreActivity
from loyalty.clienteling.model import ConsultationStatus, InteractionType
from loyalty.clienteling.queries import personalisation
from loyalty.clienteling.tables import ConsultationRow, InteractionRow, PersonalisationRow
from loyalty.services import active_customer_id

#: Clients may send events recorded offline; a clock far in the future is the client's error.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class EventIn:
    """One event as a client sends it (``event.id`` is ignored)."""

    event: model.Interaction
    client_event_id: str | None = None
    variant_id: int | None = None


@dataclass(frozen=True)
class Recorded:
    interaction_ids: list[int]
    duplicates: int
    skipped: int  # behavioural events of a customer who opted out of personalisation
    joined: int  # anonymous session events that joined the customer
    consultation_ids: list[int] = field(default_factory=list)


def row_values(
    e: EventIn,
    *,
    customer_id: int | None,
    session_id: str | None,
    origin: str,
    channel: str,
    actor: str,
    now: datetime,
    consultation_id: int | None = None,
) -> dict[str, Any]:
    i = e.event
    filters: dict[str, Any] = {}
    if i.filters:
        filters["attributes"] = [
            {k: v for k, v in (("attribute", f.attribute), ("min", f.min), ("max", f.max),
                               ("equals", f.equals)) if v is not None}
            for f in i.filters
        ]  # fmt: skip
    if i.brands:
        filters["brands"] = list(i.brands)
    return {
        "customer_id": customer_id,
        "session_id": session_id,
        "origin": origin,
        "client_event_id": e.client_event_id,
        "type": i.type,
        "channel": channel,
        "occurred_at": min(i.occurred_at, now),
        "product_id": i.product_id,
        "variant_id": e.variant_id,
        "product_ids": list(i.product_ids),
        "location_id": i.location_id,
        "query": i.query.strip() if i.query else None,
        "filters": filters,
        "price_min": i.price_min,
        "price_max": i.price_max,
        "ratings": [
            {
                "attribute": r.attribute.strip(),
                "score": r.score,
                **({"direction": r.direction.value} if r.direction else {}),
                **({"comment": r.comment} if r.comment else {}),
            }
            for r in i.ratings
        ],
        "comment": i.comment,
        "consultation_id": consultation_id,
        "actor": actor,
    }


async def check_references(session: AsyncSession, events: list[EventIn]) -> None:
    """Every product, variant and location named exists (one query each)."""
    product_ids = {
        pid for e in events for pid in (e.event.product_id, *e.event.product_ids) if pid is not None
    }
    location_ids = {e.event.location_id for e in events if e.event.location_id is not None}
    products = await catalog.products_by_ids(session, list(product_ids))
    locations = await locations_by_ids(session, list(location_ids))
    variant_ids = [e.variant_id for e in events if e.variant_id is not None]
    variants = await catalog.variants_by_ids(session, variant_ids)
    errors: list[DomainError] = []
    for n, e in enumerate(events):
        prefix = f"events[{n}]"
        for pid in (e.event.product_id, *e.event.product_ids):
            if pid is not None and pid not in products:
                errors.append(
                    NotFound(f"Product {pid} does not exist; send ids from the catalog.",
                             field=f"{prefix}.productId")
                )  # fmt: skip
        if e.variant_id is not None:
            v = variants.get(e.variant_id)
            if v is None or (e.event.product_id is not None and v.product_id != e.event.product_id):
                errors.append(
                    NotFound(f"Variant {e.variant_id} is not a variant of the product sent.",
                             field=f"{prefix}.variantId")
                )  # fmt: skip
        loc = e.event.location_id
        if loc is not None and loc not in locations:
            errors.append(NotFound(f"Location {loc} does not exist.", field=f"{prefix}.locationId"))
        elif (
            loc is not None
            and e.event.type in model.NEEDS_LOCATION
            and not (locations[loc].sells_in_store and locations[loc].active)
        ):
            errors.append(
                ValidationFailed(
                    f"{locations[loc].name} does not serve customers in person; check in at "
                    "a store.",
                    field=f"{prefix}.locationId",
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)


def check_batch(events: list[EventIn], *, has_customer: bool) -> None:
    if not events:
        raise ValidationFailed("Send at least one event.", field="events")
    if len(events) > model.MAX_BATCH:
        raise ValidationFailed(
            f"At most {model.MAX_BATCH} events per batch; send the rest in another call.",
            field="events",
        )
    errors: list[DomainError] = []
    for n, e in enumerate(events):
        try:
            model.check_event(e.event, has_customer=has_customer, prefix=f"events[{n}]")
        except model.EventProblem as exc:
            errors.append(ValidationFailed(exc.message, field=exc.field))
        if e.client_event_id is not None and not 1 <= len(e.client_event_id) <= 100:
            errors.append(
                ValidationFailed(
                    "clientEventId is 1-100 characters.", field=f"events[{n}].clientEventId"
                )
            )
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)


async def join_session(session: AsyncSession, *, customer_id: int, session_id: str) -> int:
    """The anonymous session's events become the customer's (on sign-in)."""
    result = await session.execute(
        update(InteractionRow)
        .where(InteractionRow.session_id == session_id, InteractionRow.customer_id.is_(None))
        .values(customer_id=customer_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def join_on_sign_in(uow: UnitOfWork, *, customer_id: int, session_id: str | None) -> int:
    """For sign-in (web, app): what the browser did anonymously in this session becomes the
    customer's. No session id: nothing to do."""
    if not session_id:
        return 0
    async with uow:
        joined = await join_session(uow.session, customer_id=customer_id, session_id=session_id)
        await uow.commit()
    return joined


async def open_consultation(
    session: AsyncSession, *, customer_id: int, location_id: int, now: datetime, note: str | None
) -> tuple[int, bool]:
    """The customer's open consultation at the store, created if none (concurrent requests
    meet on the partial unique index). Returns (id, created)."""
    created = await session.scalar(
        insert(ConsultationRow)
        .values(
            customer_id=customer_id,
            location_id=location_id,
            status=ConsultationStatus.REQUESTED,
            requested_at=now,
            note=note,
        )
        .on_conflict_do_nothing(
            index_elements=["customer_id", "location_id"],
            index_where=text("status IN ('REQUESTED', 'ACCEPTED')"),
        )
        .returning(ConsultationRow.id)
    )
    if created is not None:
        return int(created), True
    existing = await session.scalar(
        select(ConsultationRow.id).where(
            ConsultationRow.customer_id == customer_id,
            ConsultationRow.location_id == location_id,
            ConsultationRow.status.in_([ConsultationStatus.REQUESTED, ConsultationStatus.ACCEPTED]),
        )
    )
    assert existing is not None
    return int(existing), False


async def record_interactions(
    uow: UnitOfWork,
    *,
    events: list[EventIn],
    customer_id: int | None,
    session_id: str | None,
    origin: str,
    channel: str,
    actor: str,
    now: datetime | None = None,
) -> Recorded:
    """Record a batch from web, app or store: all or nothing on bad input; a replayed event
    (same origin and clientEventId) is counted as a duplicate, not stored twice.

    Anonymous batches need a session id. A signed-in batch with a session id first joins that
    session's anonymous events to the customer. For a customer who opted out of
    personalisation only the explicit events (check-in, consultant request) are kept.
    """
    now = now or utcnow()
    if customer_id is None and not session_id:
        raise ValidationFailed(
            "Anonymous events need a session id (input sessionId or the X-Session-Id header).",
            field="sessionId",
        )
    check_batch(events, has_customer=customer_id is not None)
    for n, e in enumerate(events):
        if e.event.occurred_at > now + MAX_CLOCK_SKEW:
            raise ValidationFailed(
                "occurredAt is in the future; check the device clock.",
                field=f"events[{n}].occurredAt",
            )
    async with uow:
        session = uow.session
        if customer_id is not None:
            active = await active_customer_id(session, customer_id)
            if active is None:
                raise NotFound(
                    f"Customer {customer_id} does not exist or was erased.", field="customerId"
                )
            customer_id = active
        await check_references(session, events)
        joined = 0
        if customer_id is not None and session_id:
            joined = await join_session(session, customer_id=customer_id, session_id=session_id)
        allowed = (
            (await personalisation(session, [customer_id]))[customer_id]
            if customer_id is not None
            else True
        )
        kept = [e for e in events if allowed or e.event.type in model.EXPLICIT]
        inserted: list[tuple[int, InteractionType, int | None]] = []
        if kept:
            values = [
                row_values(
                    e,
                    customer_id=customer_id,
                    session_id=session_id,
                    origin=origin,
                    channel=channel,
                    actor=actor,
                    now=now,
                )
                for e in kept
            ]
            rows = await session.execute(
                insert(InteractionRow)
                .values(values)
                .on_conflict_do_nothing(
                    index_elements=["origin", "client_event_id"],
                    index_where=text("client_event_id IS NOT NULL"),
                )
                .returning(InteractionRow.id, InteractionRow.type, InteractionRow.location_id)
            )
            inserted = [(int(i), t, loc) for i, t, loc in rows]
        consultation_ids = await _store_side_effects(
            uow, inserted, customer_id=customer_id, now=now
        )
        await uow.commit()
    ids = sorted(i for i, _, _ in inserted)
    return Recorded(
        interaction_ids=ids,
        duplicates=len(kept) - len(inserted),
        skipped=len(events) - len(kept),
        joined=joined,
        consultation_ids=consultation_ids,
    )


async def _store_side_effects(
    uow: UnitOfWork,
    inserted: list[tuple[int, InteractionType, int | None]],
    *,
    customer_id: int | None,
    now: datetime,
) -> list[int]:
    """Check-ins and consultant requests reach the store's staff devices; a request opens
    (or joins) a consultation in the store's queue."""
    consultation_ids: list[int] = []
    for interaction_id, kind, location_id in sorted(inserted):
        if kind not in model.STORE_ACTIVITY or location_id is None or customer_id is None:
            continue
        consultation_id = None
        if kind is InteractionType.CONSULTANT_REQUESTED:
            consultation_id, _created = await open_consultation(
                uow.session, customer_id=customer_id, location_id=location_id, now=now, note=None
            )
            consultation_ids.append(consultation_id)
            await uow.session.execute(
                update(InteractionRow)
                .where(InteractionRow.id == interaction_id)
                .values(consultation_id=consultation_id)
            )
        uow.record(
            StoreActivity(
                kind=kind.value,
                location_id=location_id,
                customer_id=customer_id,
                consultation_id=consultation_id,
                occurred_at=now.isoformat(),
            )
        )
    return consultation_ids


async def set_personalisation(
    uow: UnitOfWork, *, customer_id: int, enabled: bool, source: str
) -> bool:
    """Switch personalisation on or off for the customer (their own choice, or recorded by
    staff at their request). Off hides behavioural data from staff and recommendations at
    once; the stored events stay (turning it back on restores them) until the customer is
    erased."""
    async with uow:
        session = uow.session
        active = await active_customer_id(session, customer_id)
        if active is None:
            raise NotFound(f"Customer {customer_id} does not exist.", field="customerId")
        await session.execute(
            insert(PersonalisationRow)
            .values(customer_id=active, enabled=enabled, source=source)
            .on_conflict_do_update(
                index_elements=["customer_id"],
                set_={"enabled": enabled, "source": source, "updated_at": utcnow()},
            )
        )
        await uow.commit()
    return enabled


async def forget_customer(session: AsyncSession, *, customer_id: int) -> int:
    """Erasure: the behavioural timeline goes, consultations keep only what attribution needs
    (no free text). For ``loyalty.services.erase_customer`` to call inside its transaction."""
    result = await session.execute(
        delete(InteractionRow).where(InteractionRow.customer_id == customer_id)
    )
    await session.execute(
        update(ConsultationRow)
        .where(ConsultationRow.customer_id == customer_id)
        .values(note=None, summary=None)
    )
    await session.execute(
        delete(PersonalisationRow).where(PersonalisationRow.customer_id == customer_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
