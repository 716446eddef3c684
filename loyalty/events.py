"""Loyalty events (topic "loyalty"). Payloads carry ids and numbers, never personal data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class LoyaltyEvent(Event):
    topic: ClassVar[str] = "loyalty"


@dataclass(frozen=True, kw_only=True)
class CustomerRegistered(LoyaltyEvent):
    kind: str = "CUSTOMER_REGISTERED"
    customer_id: int
    via: str  # SIGN_UP | ENROLMENT
    actor: str


@dataclass(frozen=True, kw_only=True)
class PointsChanged(LoyaltyEvent):
    kind: str = "POINTS_CHANGED"
    customer_id: int
    entry_id: int
    entry_kind: str  # EARN | REDEEM | REVERSE | EXPIRE | ADJUST
    points: int  # signed
    balance: int  # after the change
    reference: str | None
    actor: str


@dataclass(frozen=True, kw_only=True)
class CustomersMerged(LoyaltyEvent):
    kind: str = "CUSTOMERS_MERGED"
    merge_id: int
    survivor_id: int
    duplicate_id: int
    points_moved: int
    actor: str


@dataclass(frozen=True, kw_only=True)
class CustomerErased(LoyaltyEvent):
    kind: str = "CUSTOMER_ERASED"
    customer_id: int
    actor: str
