"""Clienteling tables: the interaction timeline, consultations, the personalisation switch.

Preferences are not stored: they are derived from the timeline on read (model.derive_preferences),
so they never go stale and a merge only has to move interactions and consultations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at, pk
from loyalty.clienteling.model import ConsultationStatus, InteractionType


class InteractionRow(Base):
    """One thing a customer (or an anonymous session) did, on any channel. Append-only.

    ``origin`` + ``client_event_id`` make a batch replay insert nothing twice: the origin is who
    sent it (``customer:1``, ``session:abc``; staff events are scoped to whom they are about:
    ``staff:7/customer:1``, ``staff:7/consultation:3``), the id is the client's own.
    """

    __tablename__ = "interactions"

    id: Mapped[int] = pk()
    customer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=True
    )
    session_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    origin: Mapped[str] = mapped_column(String(120), nullable=False)
    client_event_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    type: Mapped[InteractionType] = mapped_column(
        SAEnum(InteractionType, name="interaction_type"), nullable=False
    )
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)
    product_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("products.id", ondelete="SET NULL"), nullable=True
    )
    variant_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    product_ids: Mapped[list[int]] = mapped_column(JSONB, nullable=False, default=list)
    location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="SET NULL"), nullable=True
    )
    query: Mapped[str | None] = mapped_column(Text, nullable=True)
    # {"attributes": [{"attribute", "min", "max", "equals"}], "brands": [...]}
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    price_min: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    price_max: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # [{"attribute", "score", "direction", "comment"}]
    ratings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    consultation_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("consultations.id", ondelete="SET NULL"), nullable=True
    )
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    recorded_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_interactions_customer_id_occurred_at", "customer_id", "occurred_at"),
        Index(
            "ix_interactions_session_id",
            "session_id",
            postgresql_where=text("customer_id IS NULL"),
        ),
        Index("ix_interactions_location_id_type_occurred_at", "location_id", "type", "occurred_at"),
        Index(
            "uq_interactions_origin_client_event_id",
            "origin",
            "client_event_id",
            unique=True,
            postgresql_where=text("client_event_id IS NOT NULL"),
        ),
    )


class ConsultationRow(Base):
    """A consultant with a customer in a store: requested in the app (queue) or started by the
    consultant; accepted by one staff member (a conditional UPDATE, so two never both win)."""

    __tablename__ = "consultations"

    id: Mapped[int] = pk()
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False
    )
    location_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=False
    )
    status: Mapped[ConsultationStatus] = mapped_column(
        SAEnum(ConsultationStatus, name="consultation_status"), nullable=False
    )
    requested_at: Mapped[datetime] = mapped_column(nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    staff_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("staff_users.id", ondelete="RESTRICT"), nullable=True
    )
    accepted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        # One open consultation per customer and store: a second "call a consultant" joins it.
        Index(
            "uq_consultations_open_customer_location",
            "customer_id",
            "location_id",
            unique=True,
            postgresql_where=text("status IN ('REQUESTED', 'ACCEPTED')"),
        ),
        Index("ix_consultations_location_id_status", "location_id", "status", "requested_at"),
        Index("ix_consultations_staff_accepted", "location_id", "accepted_at"),
    )


class PersonalisationRow(Base):
    """The customer's choice about personalisation (absent: allowed). Off: staff see no
    behavioural data, recommendations are not personal, behavioural events are not kept."""

    __tablename__ = "customer_personalisation"

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    source: Mapped[str] = mapped_column(String(100), nullable=False)
    updated_at: Mapped[datetime] = created_at()
