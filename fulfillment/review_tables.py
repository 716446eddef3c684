"""The store managers' review queue of till sales (``pos_sale_reviews``).

One row per till sale whose tenders differ from the server's total or that carries review
notes (something an offline replay got that the server could not honour). The row is written
in the sale's transaction and resolved once by a store manager of that store or an admin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at, pk
from fulfillment.model import PosReviewResolution, PosReviewStatus


class PosSaleReviewRow(Base):
    __tablename__ = "pos_sale_reviews"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False, unique=True
    )
    location_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=False
    )
    status: Mapped[PosReviewStatus] = mapped_column(
        SAEnum(PosReviewStatus, name="pos_review_status"), nullable=False
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # The server's total for the sale, what the tenders came to, and tendered - expected.
    expected_total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tendered_total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    discrepancy: Mapped[int] = mapped_column(BigInteger, nullable=False)
    notes: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    offline: Mapped[bool] = mapped_column(Boolean, nullable=False)
    offline_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    offline_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cashier: Mapped[str] = mapped_column(String(100), nullable=False)  # who sold (actor)
    created_at: Mapped[datetime] = created_at()
    resolution: Mapped[PosReviewResolution | None] = mapped_column(
        SAEnum(PosReviewResolution, name="pos_review_resolution"), nullable=True
    )
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_pos_sale_reviews_location_status", "location_id", "status", "id"),)
