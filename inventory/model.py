"""Inventory rules, free of persistence."""

from __future__ import annotations

import enum


class LocationKind(enum.StrEnum):
    WAREHOUSE = "WAREHOUSE"
    STORE = "STORE"
    PICKUP_POINT = "PICKUP_POINT"
