from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Double, Integer, String, Text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at, pk
from inventory.model import LocationKind


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
    created_at: Mapped[datetime] = created_at()
