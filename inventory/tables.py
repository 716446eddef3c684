"""Inventory tables. Levels are a cache of the movement ledger (DESIGN invariant 3); the CHECK
constraints are the last line of the no-oversell rule (invariant 1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at, pk
from inventory.model import HoldStatus, LocationKind, MovementKind, TransferStatus


class LocationRow(Base):
    __tablename__ = "locations"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[LocationKind] = mapped_column(
        SAEnum(LocationKind, name="location_kind"), nullable=False
    )
    address: Mapped[str] = mapped_column(Text, nullable=False, default="")
    city: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    latitude: Mapped[float | None] = mapped_column(Double, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Double, nullable=True)
    ships: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    offers_pickup: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sells_in_store: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    pickup_lead_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=120)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Opening hours are local wall-clock times.
    timezone: Mapped[str] = mapped_column(
        String(64), nullable=False, default="UTC", server_default="UTC"
    )
    created_at: Mapped[datetime] = created_at()


def _count() -> Mapped[int]:
    return mapped_column(Integer, nullable=False, default=0, server_default="0")


class StockLevelRow(Base):
    __tablename__ = "stock_levels"

    id: Mapped[int] = pk()
    variant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("variants.id", ondelete="RESTRICT"), nullable=False
    )
    location_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    on_hand: Mapped[int] = _count()
    committed: Mapped[int] = _count()
    reserved: Mapped[int] = _count()
    safety_stock: Mapped[int] = _count()
    damaged: Mapped[int] = _count()
    quality_control: Mapped[int] = _count()
    incoming: Mapped[int] = _count()
    # Set when promises exceed the shelf (a POS sale took the last units, a count came short);
    # cleared by the next cycle count that finds enough.
    needs_recount: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default="false"
    )
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), nullable=False)

    __table_args__ = (
        UniqueConstraint("variant_id", "location_id"),
        CheckConstraint(
            "committed >= 0 AND reserved >= 0 AND safety_stock >= 0 AND damaged >= 0 "
            "AND quality_control >= 0 AND incoming >= 0",
            name="buckets_not_negative",
        ),
        # Invariant 1: online promises never exceed the shelf. Only a recorded physical fact
        # (POS sale, count) may break it, and that raises the recount flag in the same write.
        CheckConstraint(
            "needs_recount OR on_hand >= committed + reserved", name="promises_within_on_hand"
        ),
    )


class StockHoldRow(Base):
    """A claim on stock: ACTIVE counts in ``reserved``, COMMITTED in ``committed``."""

    __tablename__ = "stock_holds"

    id: Mapped[int] = pk()
    variant_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    location_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    owner_ref: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[HoldStatus] = mapped_column(
        SAEnum(HoldStatus, name="stock_hold_status"), nullable=False
    )
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at()
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(
            "ix_stock_holds_active_level",
            "variant_id",
            "location_id",
            "expires_at",
            postgresql_where=text("status = 'ACTIVE'"),
        ),
        Index(
            "ix_stock_holds_active_expiry", "expires_at", postgresql_where=text("status = 'ACTIVE'")
        ),
    )


class StockMovementRow(Base):
    """Append-only (a trigger refuses UPDATE and DELETE). Each row carries the change of every
    bucket, so a level is the sum of its movements."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = pk()
    variant_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    location_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[MovementKind] = mapped_column(
        SAEnum(MovementKind, name="stock_movement_kind"), nullable=False
    )
    reason: Mapped[str] = mapped_column(String(64), nullable=False)
    d_on_hand: Mapped[int] = _count()
    d_committed: Mapped[int] = _count()
    d_reserved: Mapped[int] = _count()
    d_safety_stock: Mapped[int] = _count()
    d_damaged: Mapped[int] = _count()
    d_quality_control: Mapped[int] = _count()
    d_incoming: Mapped[int] = _count()
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    document_ref: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    hold_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_stock_movements_level", "variant_id", "location_id", "id"),
        Index("ix_stock_movements_document_ref", "document_ref"),
    )


class TransferRow(Base):
    __tablename__ = "stock_transfers"

    id: Mapped[int] = pk()
    from_location_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=False
    )
    to_location_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=False
    )
    status: Mapped[TransferStatus] = mapped_column(
        SAEnum(TransferStatus, name="stock_transfer_status"), nullable=False
    )
    document_ref: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    expected_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_at()
    shipped_at: Mapped[datetime | None] = mapped_column(nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
    )


class TransferLineRow(Base):
    __tablename__ = "stock_transfer_lines"

    id: Mapped[int] = pk()
    transfer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stock_transfers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    variant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("variants.id", ondelete="RESTRICT"), nullable=False
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    received: Mapped[int] = _count()
    discrepancy: Mapped[int] = _count()
    hold_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("transfer_id", "variant_id"),
        CheckConstraint(
            "quantity > 0 AND received >= 0 AND received + discrepancy <= quantity",
            name="quantities",
        ),
    )
