"""Order and fulfillment vocabulary shared by carts, checkout, sourcing, fulfillment orders
and returns. Rules that need no database live next to these enums in their own modules."""

from __future__ import annotations

import enum


class FulfillmentMethod(enum.StrEnum):
    SHIP = "SHIP"  # delivered to an address (from a warehouse or ship-from-store)
    PICKUP = "PICKUP"  # click-and-collect at a store
    CARRY_OUT = "CARRY_OUT"  # POS: the customer takes it now


class CartStatus(enum.StrEnum):
    OPEN = "OPEN"
    CHECKED_OUT = "CHECKED_OUT"
    MERGED = "MERGED"  # an anonymous cart adopted into the customer's cart on sign-in
    ABANDONED = "ABANDONED"


class OrderStatus(enum.StrEnum):
    PLACED = "PLACED"  # accepted; fulfillment under way
    COMPLETED = "COMPLETED"  # every line handed over, delivered or cancelled
    CANCELLED = "CANCELLED"  # every line cancelled before fulfillment


class TenderKind(enum.StrEnum):
    CARD = "CARD"  # captured by an external terminal / PSP; we keep its reference
    CASH = "CASH"  # tendered amount and change
    POINTS = "POINTS"  # loyalty points redeemed (loyalty ledger)
    STORE_CREDIT = "STORE_CREDIT"  # customer's store credit balance


class FulfillmentStatus(enum.StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    SHIPPED = "SHIPPED"
    PICKED_UP = "PICKED_UP"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"  # the location could not fulfil; the lines were re-sourced


class RefundReason(enum.StrEnum):
    CANCELLATION = "CANCELLATION"
    RETURN = "RETURN"
    EXCHANGE = "EXCHANGE"


class StoreCreditKind(enum.StrEnum):
    ISSUE = "ISSUE"  # refund to store credit, goodwill
    REDEEM = "REDEEM"  # used as a tender
    REVERSE = "REVERSE"  # a redeem given back (order cancelled)


class PosReviewStatus(enum.StrEnum):
    OPEN = "OPEN"  # waiting for a store manager
    RESOLVED = "RESOLVED"


class PosReviewResolution(enum.StrEnum):
    ACCEPTED = "ACCEPTED"  # the difference stands (e.g. the till's stale price is honoured)
    COLLECTED = "COLLECTED"  # the missing money was collected from the customer
    WRITTEN_OFF = "WRITTEN_OFF"  # a loss the store books (till error, fraud, not recoverable)
