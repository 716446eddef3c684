from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from domain.access.model import Channel, Role
from domain.shared.db import Base, created_at, pk


class ApiKeyRow(Base):
    """A client application. The secret is stored as a SHA-256 hash (it is 256 random bits,
    so a slow hash buys nothing); ``public_id`` finds the row without scanning."""

    __tablename__ = "api_keys"

    id: Mapped[int] = pk()
    public_id: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    channel: Mapped[Channel] = mapped_column(SAEnum(Channel, name="channel"), nullable=False)
    location_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=True
    )
    created_at: Mapped[datetime] = created_at()
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class StaffUserRow(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = pk()
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[Role] = mapped_column(SAEnum(Role, name="staff_role"), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = created_at()


class StaffUserLocationRow(Base):
    __tablename__ = "staff_user_locations"
    __table_args__ = (UniqueConstraint("staff_user_id", "location_id"),)

    id: Mapped[int] = pk()
    staff_user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    location_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("locations.id", ondelete="RESTRICT"), nullable=False, index=True
    )


class TrustedDocumentRow(Base):
    """A GraphQL document a client build registered ahead of time (a trusted document): clients
    send its id, ``sha256:<sha256>`` of the exact body, instead of the text."""

    __tablename__ = "trusted_documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = created_at()
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
