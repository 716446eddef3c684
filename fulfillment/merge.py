"""The "orders" customer-merge step: a duplicate profile's orders and carts move to the
survivor (open carts too, so a cart started before the merge is still found)."""

from __future__ import annotations

from sqlalchemy import update

from fulfillment.tables import CartRow, OrderRow
from loyalty.services.merge import MergeContext, register_merge_step


async def move_orders(ctx: MergeContext) -> dict[str, int]:
    orders = await ctx.session.execute(
        update(OrderRow)
        .where(OrderRow.customer_id == ctx.duplicate_id)
        .values(customer_id=ctx.survivor_id)
    )
    carts = await ctx.session.execute(
        update(CartRow)
        .where(CartRow.customer_id == ctx.duplicate_id)
        .values(customer_id=ctx.survivor_id)
    )
    return {
        "orders": int(orders.rowcount or 0),  # type: ignore[attr-defined]
        "carts": int(carts.rowcount or 0),  # type: ignore[attr-defined]
    }


register_merge_step("orders", move_orders)
