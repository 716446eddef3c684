"""The "interactions" merge step: a duplicate profile's timeline, consultations and
personalisation choice move to the survivor (preferences follow, being derived). And the
"interactions" erasure step: an erased customer's timeline goes."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.clienteling.model import ConsultationStatus
from loyalty.clienteling.tables import ConsultationRow, InteractionRow, PersonalisationRow
from loyalty.services.merge import MergeContext, register_merge_step
from loyalty.services.privacy import register_erasure_step

OPEN = (ConsultationStatus.REQUESTED, ConsultationStatus.ACCEPTED)


async def move_interactions(ctx: MergeContext) -> dict[str, int]:
    s = ctx.session
    moved = await s.execute(
        update(InteractionRow)
        .where(InteractionRow.customer_id == ctx.duplicate_id)
        .values(customer_id=ctx.survivor_id)
    )
    # One open consultation per customer and store: the duplicate's open one at a store
    # where the survivor has one too is closed as merged.
    survivor_open = select(ConsultationRow.location_id).where(
        ConsultationRow.customer_id == ctx.survivor_id, ConsultationRow.status.in_(OPEN)
    )
    await s.execute(
        update(ConsultationRow)
        .where(
            ConsultationRow.customer_id == ctx.duplicate_id,
            ConsultationRow.status.in_(OPEN),
            ConsultationRow.location_id.in_(survivor_open.scalar_subquery()),
        )
        .values(status=ConsultationStatus.CLOSED, summary="closed: customer profiles merged")
    )
    consultations = await s.execute(
        update(ConsultationRow)
        .where(ConsultationRow.customer_id == ctx.duplicate_id)
        .values(customer_id=ctx.survivor_id)
    )
    # Opting out wins: if either profile switched personalisation off, the merged one is off.
    rows = {
        r.customer_id: r
        for r in await s.scalars(
            select(PersonalisationRow).where(
                PersonalisationRow.customer_id.in_([ctx.survivor_id, ctx.duplicate_id])
            )
        )
    }
    dup = rows.get(ctx.duplicate_id)
    if dup is not None:
        survivor = rows.get(ctx.survivor_id)
        if survivor is None:
            s.add(
                PersonalisationRow(
                    customer_id=ctx.survivor_id,
                    enabled=dup.enabled,
                    source=dup.source,
                    updated_at=dup.updated_at,
                )
            )
        elif survivor.enabled and not dup.enabled:
            survivor.enabled, survivor.source = False, dup.source
        await s.execute(
            delete(PersonalisationRow).where(PersonalisationRow.customer_id == ctx.duplicate_id)
        )
        await s.flush()
    return {
        "interactions": int(moved.rowcount or 0),  # type: ignore[attr-defined]
        "consultations": int(consultations.rowcount or 0),  # type: ignore[attr-defined]
    }


register_merge_step("interactions", move_interactions)


async def _forget(session: AsyncSession, customer_id: int) -> int:
    from loyalty.clienteling.services import forget_customer

    return await forget_customer(session, customer_id=customer_id)


register_erasure_step("interactions", _forget)
