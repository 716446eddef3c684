"""Clienteling events (topic "store_activity"): what staff devices in a store show live.
Payloads carry ids only, never personal data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.shared.events import Event

TOPIC = "store_activity"


@dataclass(frozen=True, kw_only=True)
class StoreActivity(Event):
    topic: ClassVar[str] = TOPIC
    kind: str  # STORE_CHECK_IN | CONSULTANT_REQUESTED | CONSULTATION_ACCEPTED | CONSULTATION_CLOSED
    location_id: int
    customer_id: int
    consultation_id: int | None = None
    staff_user_id: int | None = None
    occurred_at: str
