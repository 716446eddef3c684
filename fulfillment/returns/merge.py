"""Customer merge: the duplicate's returns move to the survivor (registered at import)."""

from __future__ import annotations

from sqlalchemy import update

from fulfillment.returns.tables import ReturnRow
from loyalty.services import MergeContext, register_merge_step


async def move_returns(ctx: MergeContext) -> int:
    result = await ctx.session.execute(
        update(ReturnRow)
        .where(ReturnRow.customer_id == ctx.duplicate_id)
        .values(customer_id=ctx.survivor_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


register_merge_step("returns", move_returns)
