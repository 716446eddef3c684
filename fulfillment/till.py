"""Who may sell at a till, and when a till sale counts as an offline replay (pure rules).

A till sale needs two credentials at once: the store's POS terminal (an API key of channel POS
bound to the store) AND a signed-in staff member who sells at that store (cashier, store
manager, admin). A terminal alone, a customer, a web or app key, or staff of another store are
refused before anything is written (DESIGN: "Till tenders are recorded by a signed-in cashier
of that store").

An offline replay is one the till *declares* (``OfflineDeclaration``) and that happened within
the offline window. Only such a sale gets the offline leniency (tenders, vouchers, points taken
as the till recorded them, differences noted for review: DESIGN invariant 2). A sale that does
not declare it was offline is checked strictly, whatever time it gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.access.model import Channel, Principal, Role
from domain.shared.errors import Forbidden, ValidationFailed

#: Roles that sell at a till (in their own stores; admins in every store).
SELLING_ROLES = frozenset({Role.CASHIER, Role.STORE_MANAGER, Role.ADMIN})
#: Till clocks drift: an online sale's time may be this far from the server's.
CLOCK_SKEW = timedelta(minutes=5)
DEFAULT_OFFLINE_WINDOW = timedelta(hours=72)
MAX_REASON = 200


class OfflineWindowExceeded(ValidationFailed):
    code = "OFFLINE_WINDOW_EXCEEDED"


class OfflineNotDeclared(ValidationFailed):
    code = "OFFLINE_NOT_DECLARED"


@dataclass(frozen=True)
class OfflineDeclaration:
    """The till says it lost the connection at ``since`` (and why, if it knows)."""

    since: datetime
    reason: str = ""


def till_store(principal: Principal, location_id: int | None = None) -> int:
    """The store a till sale is made in; raises FORBIDDEN unless a POS terminal of that store
    and a staff member who sells there are both signed in."""
    store = principal.client_location_id
    if principal.channel is not Channel.POS or store is None:
        raise Forbidden(
            "Till sales come from a store's POS terminal: send the terminal's POS API key "
            f"(this request came with a {principal.channel.value} client) and sign in the cashier.",
            field="locationId" if location_id is not None else None,
        )
    if location_id is not None and location_id != store:
        raise Forbidden(
            "This terminal belongs to another store: sell at your own store's till, or leave "
            "locationId out.",
            field="locationId",
        )
    if not principal.is_staff or principal.role not in SELLING_ROLES:
        raise Forbidden(
            "Sign in at the till as a cashier or store manager of this store to sell "
            "(the terminal's key alone, or a customer account, cannot take a sale)."
        )
    if not principal.can_act_at(store):
        raise Forbidden(
            "You are signed in as staff of another store: a cashier of this terminal's store "
            "must sign in to sell here."
        )
    return store


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.0f}"


def sale_time(
    *,
    occurred_at: datetime | None,
    offline: OfflineDeclaration | None,
    now: datetime,
    window: timedelta,
) -> tuple[datetime | None, bool]:
    """When the sale happened and whether it is an offline replay; raises if the till's times
    do not add up. An undeclared sale is online: its time may only drift by ``CLOCK_SKEW``."""
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise ValidationFailed("Give occurredAt with its time zone.", field="occurredAt")
    if occurred_at is not None and occurred_at > now + CLOCK_SKEW:
        raise ValidationFailed(
            "occurredAt is in the future; check the till's clock.", field="occurredAt"
        )
    if offline is None:
        if occurred_at is not None and occurred_at < now - CLOCK_SKEW:
            raise OfflineNotDeclared(
                f"This sale happened {_minutes(now - occurred_at)} minutes ago. A till that "
                "could not send a sale at once replays it with offline { since, reason } "
                "(when it lost the connection); otherwise leave occurredAt out.",
                field="offline",
            )
        return occurred_at, False
    if offline.since.tzinfo is None:
        raise ValidationFailed("Give offline.since with its time zone.", field="offline.since")
    if len(offline.reason) > MAX_REASON:
        raise ValidationFailed(
            f"Keep offline.reason to {MAX_REASON} characters.", field="offline.reason"
        )
    if occurred_at is None:
        raise ValidationFailed(
            "An offline replay needs occurredAt: when the sale happened at the till.",
            field="occurredAt",
        )
    if offline.since > occurred_at:
        raise ValidationFailed(
            "offline.since is after occurredAt: the till went offline before the sale it "
            "replays; check the till's clock.",
            field="offline.since",
        )
    if occurred_at < now - window:
        raise OfflineWindowExceeded(
            f"This sale happened {_hours(now - occurred_at)} hours ago, beyond the "
            f"{_hours(window)}-hour offline window: the till cannot replay it. Keep the "
            "receipt and call the back office to record it.",
            field="occurredAt",
        )
    return occurred_at, True


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.0f}"
