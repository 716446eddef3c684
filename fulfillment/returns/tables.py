"""Return documents, their lines, and the return policy (window). Money in minor units of the
order's currency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at, pk
from fulfillment.returns.model import Disposition, ReturnReason, ReturnStatus


def _money() -> Mapped[int]:
    return mapped_column(BigInteger, nullable=False, default=0, server_default="0")


class ReturnPolicyRow(Base):
    """The return window, one row per channel ("*" for every channel not named)."""

    __tablename__ = "return_policies"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    window_days: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(100), nullable=False)
    updated_at: Mapped[datetime] = created_at()

    __table_args__ = (CheckConstraint("window_days >= 0", name="window_days_not_negative"),)


class ReturnRow(Base):
    """A return of (part of) one order. Started in any channel; received at any location."""

    __tablename__ = "returns"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=True
    )
    status: Mapped[ReturnStatus] = mapped_column(
        SAEnum(ReturnStatus, name="return_status"), nullable=False
    )
    channel: Mapped[str] = mapped_column(String(20), nullable=False)  # where it was started
    # the store that started it (staff), and the location that received the goods
    started_at_location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=True
    )
    location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=True
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    to_store_credit: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    window_closes_at: Mapped[datetime] = mapped_column(nullable=False)
    window_override_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    window_override_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    refund_goods: Mapped[int] = _money()
    refund_shipping: Mapped[int] = _money()
    refund_withheld: Mapped[int] = _money()  # multi-buy discount the kept goods lost
    refund_total: Mapped[int] = _money()
    points_reversed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # an exchange: the order that sold the replacement goods
    exchange_order_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    received_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = created_at()
    received_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __table_args__ = (
        Index("ix_returns_customer_id_id", "customer_id", "id"),
        Index("ix_returns_location_id_id", "location_id", "id"),
        Index("ix_returns_started_at_location_id_id", "started_at_location_id", "id"),
        CheckConstraint("refund_total = refund_goods + refund_shipping", name="refund_total_sum"),
    )


class ReturnLineRow(Base):
    """Units of one order line coming back. ``quantity`` units were handed over and are to be
    received; ``cancelled_quantity`` units had not left the building and were cancelled when the
    return was started (their stock released where it was committed)."""

    __tablename__ = "return_lines"

    id: Mapped[int] = pk()
    return_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("returns.id", ondelete="CASCADE"), nullable=False, index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("order_lines.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    variant_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    cancelled_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    received_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reason: Mapped[ReturnReason] = mapped_column(
        SAEnum(ReturnReason, name="return_reason"), nullable=False
    )
    disposition: Mapped[Disposition | None] = mapped_column(
        SAEnum(Disposition, name="return_disposition"), nullable=True
    )
    refund_amount: Mapped[int] = _money()
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (
        CheckConstraint(
            "quantity >= 0 AND cancelled_quantity >= 0 AND quantity + cancelled_quantity > 0 "
            "AND received_quantity >= 0 AND received_quantity <= quantity",
            name="quantities",
        ),
    )
