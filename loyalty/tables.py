"""Loyalty tables: customers, identifiers, addresses, consents, points ledger, spend, merges."""

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
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at, pk
from loyalty.model import (
    ContactChannel,
    CustomerStatus,
    IdentifierKind,
    PointsKind,
    Verification,
)

CARD_SEQUENCE = "loyalty_card_seq"


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[int] = pk()
    status: Mapped[CustomerStatus] = mapped_column(
        SAEnum(CustomerStatus, name="customer_status"), nullable=False
    )
    first_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    last_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    preferred_contact_channel: Mapped[ContactChannel | None] = mapped_column(
        SAEnum(ContactChannel, name="contact_channel"), nullable=True
    )
    preferred_store_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="SET NULL"), nullable=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=True
    )
    # Bumped whenever the app asks for a new QR code: older codes stop working (rotation).
    qr_generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    registered_via: Mapped[str] = mapped_column(String(20), nullable=False)  # SIGN_UP|ENROLMENT
    registered_channel: Mapped[str] = mapped_column(String(20), nullable=False)
    registered_location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = created_at()
    erased_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        CheckConstraint(
            "(status = 'MERGED') = (merged_into_id IS NOT NULL)", name="merged_has_target"
        ),
    )


class CustomerIdentifierRow(Base):
    """Every way to find a customer; one (kind, value) belongs to one customer."""

    __tablename__ = "customer_identifiers"

    id: Mapped[int] = pk()
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    kind: Mapped[IdentifierKind] = mapped_column(
        SAEnum(IdentifierKind, name="identifier_kind"), nullable=False
    )
    value: Mapped[str] = mapped_column(String(254), nullable=False)
    verification: Mapped[Verification] = mapped_column(
        SAEnum(Verification, name="identifier_verification"), nullable=False
    )
    verified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (UniqueConstraint("kind", "value"),)


class CustomerAddressRow(Base):
    __tablename__ = "customer_addresses"

    id: Mapped[int] = pk()
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    label: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    recipient: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    line1: Mapped[str] = mapped_column(Text, nullable=False)
    line2: Mapped[str] = mapped_column(Text, nullable=False, default="")
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    postal_code: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="RU")
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = created_at()


class CustomerConsentRow(Base):
    """The latest marketing decision per channel; ``updated_at`` decides on merge."""

    __tablename__ = "customer_consents"

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), primary_key=True
    )
    channel: Mapped[ContactChannel] = mapped_column(
        SAEnum(ContactChannel, name="contact_channel"), primary_key=True
    )
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    source: Mapped[str] = mapped_column(String(100), nullable=False)  # who recorded it
    updated_at: Mapped[datetime] = created_at()


class LoyaltyAccountRow(Base):
    """The balance row every points change goes through (one conditional UPDATE, or a lock).

    Invariants: balance >= 0 (CHECK); balance == sum(points_entries.points) ==
    sum(points_entries.remaining) for the customer.
    """

    __tablename__ = "loyalty_accounts"

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = created_at()

    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)


class PointsEntryRow(Base):
    """Append-only points ledger. Credits are lots: ``remaining`` is what is left of them to
    spend or expire, oldest expiry first (FIFO)."""

    __tablename__ = "points_entries"

    id: Mapped[int] = pk()
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False
    )
    kind: Mapped[PointsKind] = mapped_column(SAEnum(PointsKind, name="points_kind"), nullable=False)
    points: Mapped[int] = mapped_column(BigInteger, nullable=False)  # signed
    remaining: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reversed_kind: Mapped[PointsKind | None] = mapped_column(
        SAEnum(PointsKind, name="points_kind"), nullable=True
    )
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("points <> 0", name="points_not_zero"),
        CheckConstraint("remaining >= 0 AND remaining <= greatest(points, 0)", name="remaining"),
        Index("ix_points_entries_customer_id_id", "customer_id", "id"),
        Index(
            "ix_points_entries_open_lots",
            "customer_id",
            "expires_at",
            "id",
            postgresql_where=text("remaining > 0"),
        ),
        Index(
            "ix_points_entries_due",
            "expires_at",
            postgresql_where=text("remaining > 0"),
        ),
        Index("ix_points_entries_reference", "reference"),
        Index(
            "uq_points_entries_kind_idempotency_key",
            "kind",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )


class SpendEntryRow(Base):
    """Spend that drives tiers (orders record it; returns record a negative amount)."""

    __tablename__ = "spend_entries"

    id: Mapped[int] = pk()
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)
    order_ref: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_spend_entries_customer_id_occurred_at", "customer_id", "occurred_at"),
    )


class CustomerMergeRow(Base):
    """Audit of a merge: who, when, what moved (counts per step), which conflicts were seen."""

    __tablename__ = "customer_merges"

    id: Mapped[int] = pk()
    survivor_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    duplicate_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False, unique=True
    )
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    moved: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    conflicts: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    merged_at: Mapped[datetime] = created_at()
