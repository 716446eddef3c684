"""Carts, orders (with their price snapshot), tenders, refunds, fulfillment orders and store
credit. Money columns are integer minor units in the order's currency (DESIGN invariant 7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at, pk
from domain.shared.db import created_at as _now
from fulfillment.model import (
    CartStatus,
    FulfillmentMethod,
    FulfillmentStatus,
    OrderStatus,
    RefundReason,
    StoreCreditKind,
    TenderKind,
)

ORDER_NUMBER_SEQUENCE = Sequence("order_number_seq", start=100001, metadata=Base.metadata)


def _money() -> Mapped[int]:
    return mapped_column(BigInteger, nullable=False, default=0, server_default="0")


def _method() -> Mapped[FulfillmentMethod]:
    return mapped_column(SAEnum(FulfillmentMethod, name="fulfillment_method"), nullable=False)


class CartRow(Base):
    """A basket in any channel. Anonymous web/app carts are found by ``token``; a signed-in
    customer's open cart by ``customer_id``; POS and endless-aisle carts carry the store
    (``location_id``) and the staff member who builds them."""

    __tablename__ = "carts"

    id: Mapped[int] = pk()
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[CartStatus] = mapped_column(
        SAEnum(CartStatus, name="cart_status"), nullable=False
    )
    customer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=True
    )
    location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=True
    )
    staff_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="RUB")
    voucher_codes: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    # {"name", "line1", "city", "postcode", "country", "latitude", "longitude", "phone"}
    ship_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    shipping_method: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        Index(
            "ix_carts_open_customer",
            "customer_id",
            postgresql_where=text("status = 'OPEN'"),
        ),
    )


class CartLineRow(Base):
    """One variant and fulfillment method in a cart. Stock holds for the line are owned by
    ``cart-line:<id>`` in the inventory context."""

    __tablename__ = "cart_lines"

    id: Mapped[int] = pk()
    cart_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("carts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    variant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("variants.id", ondelete="RESTRICT"), nullable=False
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[FulfillmentMethod] = _method()
    pickup_location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=True
    )
    # The inventory holds behind the line, as sourced when it was (re)held:
    # [{"holdId", "locationId", "quantity", "transfer", "readyAt", "expiresAt", "reasons"}].
    # Checkout commits them; a line without (enough) holds is sourced afresh.
    holds: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, default=list, server_default="[]"
    )
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "(method = 'PICKUP') = (pickup_location_id IS NOT NULL)", name="pickup_has_store"
        ),
    )


class OrderRow(Base):
    """A placed order from any channel. ``price_snapshot`` is the pricing engine's quote at
    checkout (every refund is computed from it); ``sourcing`` the routing decision and its
    reasons."""

    __tablename__ = "orders"

    id: Mapped[int] = pk()
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[OrderStatus] = mapped_column(
        SAEnum(OrderStatus, name="order_status"), nullable=False
    )
    customer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=True
    )
    # The selling store (POS, endless aisle); None for web/app.
    location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=True
    )
    cart_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    staff_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A POS terminal's own id for an offline sale: the sale is recorded once per (location, id).
    client_sale_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    placed_at: Mapped[datetime] = _now()  # when the sale happened (offline: the till's time)
    recorded_at: Mapped[datetime] = _now()  # when the server recorded it
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    subtotal: Mapped[int] = _money()
    discount_total: Mapped[int] = _money()
    shipping: Mapped[int] = _money()
    shipping_discount: Mapped[int] = _money()
    tax_total: Mapped[int] = _money()
    total: Mapped[int] = _money()
    voucher_codes: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    price_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    sourcing: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    ship_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    shipping_method: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    needs_recount: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # An offline till sale whose tenders differ from the server's price for that moment (the
    # till's cached prices were stale): tenders minus total, for the back office to reconcile.
    payment_discrepancy: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0"
    )
    # What the back office should look at on an offline sale the server could not honour in
    # full (a voucher used up meanwhile, points no longer there); the sale is recorded anyway.
    review_notes: Mapped[list[str]] = mapped_column(
        JSONB, nullable=False, default=list, server_default="[]"
    )
    # Loyalty points the order earned (loyalty ledger reference: the order number).
    points_earned: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0"
    )
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        UniqueConstraint("location_id", "client_sale_id"),
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
        Index("ix_orders_location_placed", "location_id", "placed_at"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )


class OrderLineRow(Base):
    """A line with its price snapshot: ``discount_total`` includes the line's share of order
    discounts (allocated by the engine), so ``total`` is what the customer paid for it."""

    __tablename__ = "order_lines"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    variant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("variants.id", ondelete="RESTRICT"), nullable=False
    )
    sku: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[FulfillmentMethod] = _method()
    pickup_location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=True
    )
    unit_price: Mapped[int] = _money()
    subtotal: Mapped[int] = _money()
    discount_total: Mapped[int] = _money()
    total: Mapped[int] = _money()
    tax: Mapped[int] = _money()
    tax_rate_bp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    discounts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    cancelled_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fulfilled_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    returned_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "cancelled_quantity >= 0 AND fulfilled_quantity >= 0 AND returned_quantity >= 0 "
            "AND cancelled_quantity + fulfilled_quantity <= quantity "
            "AND returned_quantity <= fulfilled_quantity",
            name="quantities",
        ),
    )


class TenderRow(Base):
    """How the order was paid. ``refunded`` rises with each refund to this tender."""

    __tablename__ = "order_tenders"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[TenderKind] = mapped_column(SAEnum(TenderKind, name="tender_kind"), nullable=False)
    amount: Mapped[int] = _money()  # applied to the order
    tendered: Mapped[int] = _money()  # cash handed over (amount + change)
    change: Mapped[int] = _money()
    points: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # POINTS tender
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)  # card / PSP ref
    refunded: Mapped[int] = _money()
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded >= 0 AND refunded <= amount", name="refunded_within_amount"),
    )


class RefundRow(Base):
    """Money given back for a cancellation, a return or an exchange, per tender (or to store
    credit when ``tender_id`` is None). ``reference`` names the document (cancellation or
    return id) and is unique with the tender, so a replay cannot refund twice."""

    __tablename__ = "order_refunds"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    tender_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("order_tenders.id", ondelete="RESTRICT"), nullable=True
    )
    kind: Mapped[TenderKind] = mapped_column(SAEnum(TenderKind, name="tender_kind"), nullable=False)
    reason: Mapped[RefundReason] = mapped_column(
        SAEnum(RefundReason, name="refund_reason"), nullable=False
    )
    amount: Mapped[int] = _money()
    points: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    reference: Mapped[str] = mapped_column(String(200), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_order_refunds_reference", "reference"),
    )


class FulfillmentOrderRow(Base):
    """The part of an order one location fulfils, with one method."""

    __tablename__ = "fulfillment_orders"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    location_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=False
    )
    method: Mapped[FulfillmentMethod] = _method()
    status: Mapped[FulfillmentStatus] = mapped_column(
        SAEnum(FulfillmentStatus, name="fulfillment_status"), nullable=False
    )
    # PICKUP: where the customer collects (equals location_id unless the goods are transferred).
    pickup_location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=True
    )
    transfer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ready_at: Mapped[datetime | None] = mapped_column(nullable=True)  # promised
    pickup_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Pickup codes tried since the code was issued or released; at PICKUP_CODE_MAX_ATTEMPTS
    # the code is locked until a store manager releases it. In the row, so every replica and
    # a restart see the same count.
    pickup_code_attempts: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    pickup_deadline: Mapped[datetime | None] = mapped_column(nullable=True)
    carrier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tracking_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Set when a REJECTED fulfillment order's lines were re-sourced into another one.
    replaced_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The allocations behind this fulfillment order and their reasons ("why this location").
    sourcing: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, default=dict, server_default=text("'{}'::jsonb")
    )
    shipped_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ready_since: Mapped[datetime | None] = mapped_column(nullable=True)  # READY_FOR_PICKUP
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)  # handed over / closed
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        Index("ix_fulfillment_orders_queue", "location_id", "status", "id"),
        # a pickup store's queue also shows transfers coming to it
        Index("ix_fulfillment_orders_pickup_queue", "pickup_location_id", "status", "id"),
        Index(
            "ix_fulfillment_orders_pickup_due",
            "pickup_deadline",
            postgresql_where=text("status = 'READY_FOR_PICKUP'"),
        ),
    )


class FulfillmentOrderLineRow(Base):
    __tablename__ = "fulfillment_order_lines"

    id: Mapped[int] = pk()
    fulfillment_order_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("fulfillment_orders.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    order_line_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False, index=True
    )
    variant_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    cancelled_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The inventory hold (COMMITTED at this location) behind these units.
    hold_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "cancelled_quantity >= 0 AND cancelled_quantity <= quantity", name="cancelled"
        ),
    )


class StoreCreditAccountRow(Base):
    """Balance row every store-credit change goes through (conditional UPDATE, never < 0)."""

    __tablename__ = "store_credit_accounts"

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="RUB")
    balance: Mapped[int] = _money()
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)


class StoreCreditEntryRow(Base):
    """Append-only store-credit ledger; the balance is its sum. (kind, reference) is unique so
    a replayed refund or redemption cannot apply twice."""

    __tablename__ = "store_credit_entries"

    id: Mapped[int] = pk()
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    kind: Mapped[StoreCreditKind] = mapped_column(
        SAEnum(StoreCreditKind, name="store_credit_kind"), nullable=False
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # signed
    reference: Mapped[str] = mapped_column(String(200), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("kind", "reference"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
    )


class SourcingProfileRow(Base):
    """A versioned, data-driven routing profile. Versions are immutable; the active one routes
    new orders, and each order records the version that routed it."""

    __tablename__ = "sourcing_profiles"

    id: Mapped[int] = pk()
    version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index(
            "uq_sourcing_profiles_active",
            "active",
            unique=True,
            postgresql_where=text("active"),
        ),
    )
