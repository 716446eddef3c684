"""Who may see and work a fulfillment order.

- Staff of the location that fulfils it, and for a pickup staff of the pickup store (transfers
  arriving there); merchandisers and admins everywhere (``Principal.can_act_at``).
- The customer who placed the order sees it (read only, with its pickup code).
"""

from __future__ import annotations

from collections.abc import Callable

from strawberry.types import Info

from domain.access.model import Principal, PrincipalKind
from fulfillment.tables import FulfillmentOrderRow


def may_act(principal: Principal) -> Callable[[int], bool]:
    return principal.can_act_at


def staff_sees(principal: Principal, row: FulfillmentOrderRow) -> bool:
    return principal.can_act_at(row.location_id) or (
        row.pickup_location_id is not None and principal.can_act_at(row.pickup_location_id)
    )


async def visible(info: Info, row: FulfillmentOrderRow) -> bool:
    from api.fulfillment.types import order_ref_loader

    p = info.context.principal
    if p.is_staff:
        return staff_sees(p, row)
    if p.kind is PrincipalKind.CUSTOMER and p.customer_id is not None:
        ref = await order_ref_loader(info).load(row.order_id)
        return ref is not None and ref.customer_id == p.customer_id
    return False
