"""Who may see and work a fulfillment order.

- Staff of the location that fulfils it, and for a pickup staff of the pickup store (transfers
  arriving there); merchandisers and admins everywhere (``Principal.can_act_at``).
- A store's own device (POS or staff tablet API key) reads that store's queue and its
  subscription without a staff sign-in (a wall screen in the stockroom); working an order
  always needs a signed-in staff member, so every step names who did it.
- The customer who placed the order sees it (read only, with its pickup code).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from domain.access.model import STORE_CHANNELS, Principal, PrincipalKind, Role
from fulfillment.tables import FulfillmentOrderRow

QUEUE_STAFF = frozenset(
    {Role.CASHIER, Role.STORE_MANAGER, Role.WAREHOUSE, Role.MERCHANDISER, Role.ADMIN}
)


def may_act(principal: Principal) -> Callable[[int], bool]:
    return principal.can_act_at


def is_store_device(principal: Principal) -> bool:
    return principal.channel in STORE_CHANNELS and principal.client_location_id is not None


def may_read_queue(principal: Principal, location_id: int) -> bool:
    return principal.can_act_at(location_id) or (
        is_store_device(principal) and principal.client_location_id == location_id
    )


class QueueReader(BasePermission):
    """Staff, or a store's own device (its queue only; checked per location)."""

    message = "Sign in as staff, or use a store device's API key."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        p = info.context.principal
        return p.role in QUEUE_STAFF or is_store_device(p)


def staff_sees(principal: Principal, row: FulfillmentOrderRow) -> bool:
    return may_read_queue(principal, row.location_id) or (
        row.pickup_location_id is not None and may_read_queue(principal, row.pickup_location_id)
    )


async def visible(info: Info, row: FulfillmentOrderRow) -> bool:
    from api.fulfillment.types import order_ref_loader

    p = info.context.principal
    if p.is_staff or is_store_device(p):
        return staff_sees(p, row)
    if p.kind is PrincipalKind.CUSTOMER and p.customer_id is not None:
        ref = await order_ref_loader(info).load(row.order_id)
        return ref is not None and ref.customer_id == p.customer_id
    return False
