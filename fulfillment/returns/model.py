"""Return vocabulary and the pure rules of a return (window, quantities). The refund amounts
are in ``refund_rules``; docs/returns.md states both in words."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.shared.errors import ValidationFailed
from fulfillment.returns.errors import ReturnWindowClosed

DEFAULT_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 365


class ReturnStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"  # started (app or store); the goods are on their way
    RECEIVED = "RECEIVED"  # the goods arrived at a location; refunded
    CANCELLED = "CANCELLED"  # the customer kept the goods


class ReturnReason(enum.StrEnum):
    CHANGED_MIND = "CHANGED_MIND"
    DOES_NOT_FIT = "DOES_NOT_FIT"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"
    DEFECTIVE = "DEFECTIVE"
    WRONG_ITEM = "WRONG_ITEM"
    DAMAGED_IN_TRANSIT = "DAMAGED_IN_TRANSIT"
    OTHER = "OTHER"


#: the store's fault: a return of the whole order for one of these also refunds delivery
STORE_FAULT = frozenset(
    {ReturnReason.DEFECTIVE, ReturnReason.WRONG_ITEM, ReturnReason.DAMAGED_IN_TRANSIT}
)


class Disposition(enum.StrEnum):
    RESTOCK = "RESTOCK"  # back on the shelf at the receiving location (sellable)
    DAMAGED = "DAMAGED"
    QUALITY_CONTROL = "QUALITY_CONTROL"


@dataclass(frozen=True)
class ReturnWindow:
    days: int
    starts_at: datetime  # when the goods were handed over (or the order placed)

    @property
    def closes_at(self) -> datetime:
        return self.starts_at + timedelta(days=self.days)

    def is_open(self, now: datetime) -> bool:
        return now < self.closes_at


def check_window(
    window: ReturnWindow,
    *,
    now: datetime,
    order_number: str,
    override_reason: str | None,
    may_override: bool,
) -> str | None:
    """Passes inside the window. After it, staff may override with a reason (recorded on the
    return); returns the override reason in effect, or None."""
    reason = (override_reason or "").strip() or None
    if window.is_open(now):
        return None
    if reason is not None and may_override:
        return reason
    closed = window.closes_at.strftime("%d.%m.%Y")
    hint = (
        "Store staff can still accept it with a reason (windowOverrideReason)."
        if may_override
        else "Bring it to a store: staff can accept a late return with a reason."
    )
    raise ReturnWindowClosed(
        f"Order {order_number} could be returned within {window.days} days, until {closed}. "
        + hint,
        field="windowOverrideReason" if may_override else "orderId",
    )


def check_window_days(days: int) -> int:
    if days < 0 or days > MAX_WINDOW_DAYS:
        raise ValidationFailed(
            f"A return window is 0 to {MAX_WINDOW_DAYS} days; got {days}.", field="days"
        )
    return days
