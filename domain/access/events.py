from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class AccessChanged(Event):
    """Audit stream of access changes: keys created or revoked, staff created."""

    topic: ClassVar[str] = "access"
    kind: str  # API_KEY_CREATED | API_KEY_REVOKED | STAFF_USER_CREATED
    subject: str  # e.g. "api_key:12"
    actor: str
