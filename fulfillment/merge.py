"""The "orders" customer-merge step: a duplicate profile's orders and carts move to the
survivor (open carts too, so a cart started before the merge is still found). And the "orders"
erasure step: an erased customer's orders stay for the accounts, without their contact details
and delivery addresses."""

from __future__ import annotations

from sqlalchemy import null, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment.tables import CartRow, OrderRow
from loyalty.services.merge import MergeContext, register_merge_step
from loyalty.services.privacy import register_erasure_step


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


async def forget_contacts(session: AsyncSession, customer_id: int) -> int:
    """Orders and carts keep their lines, prices and payments; the e-mail, phone and delivery
    address go."""
    changed = 0
    for table in (OrderRow, CartRow):
        result = await session.execute(
            update(table)
            .where(table.customer_id == customer_id)
            .values(email=None, phone=None, ship_address=null())  # SQL NULL, not JSON null
        )
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return changed


register_erasure_step("orders", forget_contacts)
