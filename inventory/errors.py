"""Inventory's expected failures, each with a stable code."""

from __future__ import annotations

from domain.shared.errors import Conflict, DomainError, NotFound, ValidationFailed


class InsufficientStock(DomainError):
    code = "INSUFFICIENT_STOCK"


class UnknownVariant(NotFound):
    code = "UNKNOWN_SKU"


class UnknownLocation(NotFound):
    code = "UNKNOWN_LOCATION"


class InvalidQuantity(ValidationFailed):
    code = "INVALID_QUANTITY"


class SameLocation(ValidationFailed):
    code = "SAME_LOCATION"


class ReceiptExceedsShipment(ValidationFailed):
    code = "RECEIPT_EXCEEDS_SHIPMENT"


class HoldNotFound(NotFound):
    code = "HOLD_NOT_FOUND"


class HoldExpired(Conflict):
    code = "HOLD_EXPIRED"


class TransferState(Conflict):
    code = "TRANSFER_STATE"


def positive(quantity: int, *, field: str = "quantity") -> int:
    if quantity <= 0:
        raise InvalidQuantity(f"Quantity must be 1 or more; got {quantity}.", field=field)
    if quantity > 1_000_000:
        raise InvalidQuantity(
            "Quantity is too large; split it into several documents.", field=field
        )
    return quantity


def not_negative(quantity: int, *, field: str = "quantity") -> int:
    if quantity < 0:
        raise InvalidQuantity(f"Quantity cannot be negative; got {quantity}.", field=field)
    if quantity > 1_000_000:
        raise InvalidQuantity("Quantity is too large.", field=field)
    return quantity
