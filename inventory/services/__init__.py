"""Inventory use cases. Services open ``async with uow`` and commit; called inside a caller's
unit of work they join it (the caller commits)."""

from inventory.services.common import retry_on_contention
from inventory.services.holds import (
    Hold,
    Sale,
    commit_direct,
    commit_hold,
    lock_stock,
    record_sale,
    release,
    reserve,
    reserve_any,
    ship,
    sweep_expired,
)
from inventory.services.locations import create_location, deactivate_location, update_location
from inventory.services.stock import (
    StockResult,
    adjust_stock,
    count_stock,
    move_stock_state,
    receive_stock,
    return_stock,
    set_safety_stock,
)
from inventory.services.transfers import (
    cancel_transfer,
    create_transfer,
    receive_transfer,
    ship_transfer,
)

__all__ = [
    "Hold",
    "Sale",
    "StockResult",
    "adjust_stock",
    "cancel_transfer",
    "commit_direct",
    "commit_hold",
    "count_stock",
    "create_location",
    "create_transfer",
    "deactivate_location",
    "lock_stock",
    "move_stock_state",
    "receive_stock",
    "receive_transfer",
    "record_sale",
    "release",
    "reserve",
    "reserve_any",
    "retry_on_contention",
    "return_stock",
    "set_safety_stock",
    "ship",
    "ship_transfer",
    "sweep_expired",
    "update_location",
]
