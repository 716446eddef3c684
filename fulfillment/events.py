"""Order and fulfillment events, written to the outbox with the change (DESIGN invariant 6).

Topics:
- ``orders``: ``OrderUpdated`` on every change of an order (placed, paid, cancelled, a
  fulfillment order moved, a return) - behind the ``orderUpdated(orderId)`` subscription.
- ``fulfillment``: ``FulfillmentOrderChanged`` per fulfillment order change - behind a store's
  work-queue subscription.
- ``returns``: ``ReturnChanged`` for return documents.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from domain.shared.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderUpdated(Event):
    topic: ClassVar[str] = "orders"

    order_id: int
    number: str
    status: str
    change: str  # PLACED, CANCELLED, LINES_CANCELLED, FULFILLMENT, RETURN, REFUND, COMPLETED
    channel: str
    customer_id: int | None
    location_id: int | None  # the selling store, if any
    total: int
    currency: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class FulfillmentOrderChanged(Event):
    topic: ClassVar[str] = "fulfillment"

    fulfillment_order_id: int
    order_id: int
    location_id: int
    method: str
    status: str
    previous_status: str | None  # None when created
    # PICKUP: the store where the customer collects (differs from location_id for a transfer)
    pickup_location_id: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReturnChanged(Event):
    topic: ClassVar[str] = "returns"

    return_id: int
    order_id: int
    location_id: int | None
    status: str
    customer_id: int | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class StoreCreditChanged(Event):
    """A store-credit ledger entry was written (issue, redeem, reverse)."""

    topic: ClassVar[str] = "store_credit"

    customer_id: int
    entry_id: int
    entry_kind: str
    amount: int  # signed, minor units
    balance: int
    reference: str
    actor: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PosSaleReviewChanged(Event):
    """A till sale entered the store managers' review queue (OPENED) or was resolved."""

    topic: ClassVar[str] = "pos_reviews"

    review_id: int
    order_id: int
    number: str
    location_id: int
    change: str  # OPENED, RESOLVED
    discrepancy: int  # tendered - expected, minor units
    currency: str
    resolution: str | None
    actor: str
