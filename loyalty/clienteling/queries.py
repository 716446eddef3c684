"""Read-side SQL for clienteling: timelines, visitors, queues, consultations, and the product
facts recommendations rank (catalog, stock and prices through their contexts' public reads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import queries as catalog
from domain.catalog.tables import VariantRow
from inventory.queries import in_stock_clause
from loyalty.clienteling.model import (
    AttributeFilter,
    AttributeInfo,
    AttributeScore,
    ConsultationStatus,
    Direction,
    Interaction,
    InteractionType,
    ProductFacts,
)
from loyalty.clienteling.tables import ConsultationRow, InteractionRow, PersonalisationRow

OPEN = (ConsultationStatus.REQUESTED, ConsultationStatus.ACCEPTED)


def to_model(row: InteractionRow) -> Interaction:
    filters = row.filters or {}
    return Interaction(
        id=row.id,
        type=row.type,
        occurred_at=row.occurred_at,
        product_id=row.product_id,
        product_ids=tuple(row.product_ids or ()),
        location_id=row.location_id,
        query=row.query,
        filters=tuple(
            AttributeFilter(f["attribute"], f.get("min"), f.get("max"), f.get("equals"))
            for f in filters.get("attributes", [])
        ),
        brands=tuple(filters.get("brands", [])),
        price_min=row.price_min,
        price_max=row.price_max,
        ratings=tuple(
            AttributeScore(
                r["attribute"],
                int(r["score"]),
                Direction(r["direction"]) if r.get("direction") else None,
                r.get("comment") or "",
            )
            for r in row.ratings or []
        ),
        comment=row.comment,
        channel=row.channel,
    )


async def timeline(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    session_id: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
    types: Sequence[InteractionType] | None = None,
) -> list[InteractionRow]:
    """A customer's (or an anonymous session's) interactions, newest first."""
    stmt = select(InteractionRow)
    if customer_id is not None:
        stmt = stmt.where(InteractionRow.customer_id == customer_id)
    elif session_id is not None:
        stmt = stmt.where(
            InteractionRow.session_id == session_id, InteractionRow.customer_id.is_(None)
        )
    else:
        return []
    if since is not None:
        stmt = stmt.where(InteractionRow.occurred_at >= since)
    if types:
        stmt = stmt.where(InteractionRow.type.in_(types))
    stmt = stmt.order_by(InteractionRow.occurred_at.desc(), InteractionRow.id.desc()).limit(limit)
    return list(await session.scalars(stmt))


async def personalisation(session: AsyncSession, customer_ids: Sequence[int]) -> dict[int, bool]:
    """Per customer: may their behaviour be used (absent = yes)."""
    rows = await session.execute(
        select(PersonalisationRow.customer_id, PersonalisationRow.enabled).where(
            PersonalisationRow.customer_id.in_(set(customer_ids))
        )
    )
    found = {cid: bool(enabled) for cid, enabled in rows}
    return {cid: found.get(cid, True) for cid in customer_ids}


async def personalisation_rows(
    session: AsyncSession, customer_ids: Sequence[int]
) -> dict[int, PersonalisationRow]:
    rows = await session.scalars(
        select(PersonalisationRow).where(PersonalisationRow.customer_id.in_(set(customer_ids)))
    )
    return {r.customer_id: r for r in rows}


async def check_ins(
    session: AsyncSession, location_id: int, *, since: datetime, limit: int = 200
) -> list[tuple[int, datetime]]:
    """(customer id, latest check-in) of customers checked in at the store since ``since``,
    latest first."""
    latest = func.max(InteractionRow.occurred_at).label("at")
    rows = await session.execute(
        select(InteractionRow.customer_id, latest)
        .where(
            InteractionRow.location_id == location_id,
            InteractionRow.type == InteractionType.STORE_CHECK_IN,
            InteractionRow.occurred_at >= since,
            InteractionRow.customer_id.is_not(None),
        )
        .group_by(InteractionRow.customer_id)
        .order_by(latest.desc())
        .limit(limit)
    )
    return [(int(cid), at) for cid, at in rows]


async def consultation_queue(session: AsyncSession, location_id: int) -> list[ConsultationRow]:
    """Open consultations at the store: waiting requests first (oldest first), then those in
    progress."""
    rows = await session.scalars(
        select(ConsultationRow)
        .where(ConsultationRow.location_id == location_id, ConsultationRow.status.in_(OPEN))
        .order_by(ConsultationRow.status.desc(), ConsultationRow.requested_at, ConsultationRow.id)
    )
    return list(rows)


async def consultations_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, ConsultationRow]:
    rows = await session.scalars(select(ConsultationRow).where(ConsultationRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def consultations_of_customer(
    session: AsyncSession, customer_id: int, *, limit: int = 20
) -> list[ConsultationRow]:
    rows = await session.scalars(
        select(ConsultationRow)
        .where(ConsultationRow.customer_id == customer_id)
        .order_by(ConsultationRow.requested_at.desc(), ConsultationRow.id.desc())
        .limit(limit)
    )
    return list(rows)


async def consultations_accepted(
    session: AsyncSession,
    *,
    location_id: int,
    since: datetime,
    until: datetime,
    staff_user_id: int | None = None,
) -> list[ConsultationRow]:
    stmt = select(ConsultationRow).where(
        ConsultationRow.location_id == location_id,
        ConsultationRow.accepted_at.is_not(None),
        ConsultationRow.accepted_at >= since,
        ConsultationRow.accepted_at < until,
    )
    if staff_user_id is not None:
        stmt = stmt.where(ConsultationRow.staff_user_id == staff_user_id)
    return list(await session.scalars(stmt.order_by(ConsultationRow.accepted_at)))


async def was_at(
    session: AsyncSession, customer_id: int, location_id: int, *, since: datetime
) -> bool:
    """Did the customer check in or consult at the store since ``since`` (or is a consultation
    there still open)?"""
    visited = await session.scalar(
        select(InteractionRow.id)
        .where(
            InteractionRow.customer_id == customer_id,
            InteractionRow.location_id == location_id,
            InteractionRow.occurred_at >= since,
        )
        .limit(1)
    )
    if visited is not None:
        return True
    consulted = await session.scalar(
        select(ConsultationRow.id)
        .where(
            ConsultationRow.customer_id == customer_id,
            ConsultationRow.location_id == location_id,
            or_(ConsultationRow.status.in_(OPEN), ConsultationRow.accepted_at >= since),
        )
        .limit(1)
    )
    return consulted is not None


# ------------------------------------------------------------------ catalog facts


async def attribute_infos(session: AsyncSession) -> dict[str, AttributeInfo]:
    rows = await catalog.all_attributes(session)
    return {
        code: AttributeInfo(
            code=code,
            label=(row.name_en or row.name).lower(),
            unit=row.unit,
            min_value=row.min_value,
            max_value=row.max_value,
        )
        for code, row in rows.items()
        if row.archived_at is None
    }


async def product_facts(
    session: AsyncSession, product_ids: Sequence[int]
) -> dict[int, ProductFacts]:
    """Title (English brand + model, as customers say it), brand, category and attribute
    values of the products (no price or stock: those depend on the channel)."""
    products = await catalog.products_by_ids(session, list(set(product_ids)))
    brands = await catalog.brands_by_ids(
        session, [p.brand_id for p in products.values() if p.brand_id is not None]
    )
    out = {}
    for pid, p in products.items():
        brand = brands[p.brand_id].name if p.brand_id in brands else None
        out[pid] = ProductFacts(
            id=pid,
            title=display_title(p.title_en or p.title),
            brand=brand,
            category_id=p.category_id,
            attributes=dict(p.attributes),
        )
    return out


def display_title(title: str) -> str:
    """ "Sony WH-1000XM5 headphones" -> "Sony WH-1000XM5": how a consultant names a model."""
    for suffix in (" headphones", " smartphone", " laptop"):
        if title.endswith(suffix):
            return title[: -len(suffix)]
    return title


async def in_stock_variants(
    session: AsyncSession, variant_ids: Sequence[int], *, location_id: int | None
) -> set[int]:
    """Of these variants, those available now online (``location_id`` None: any active shipping
    location) or at the store."""
    if not variant_ids:
        return set()
    rows = await session.scalars(
        select(VariantRow.id).where(
            VariantRow.id.in_(set(variant_ids)),
            in_stock_clause(VariantRow.id, location_id=location_id),
        )
    )
    return set(rows)


def variant_ids_of(variants: dict[int, list[Any]]) -> list[int]:
    return [v.id for vs in variants.values() for v in vs]
