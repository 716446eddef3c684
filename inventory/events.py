"""Inventory events. Topic ``inventory``: one per changed level, after commit, carrying the new
figures (store screens and electronic shelf labels redraw from the payload alone)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from domain.shared.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class InventoryChanged(Event):
    topic: ClassVar[str] = "inventory"

    location_id: int
    variant_id: int
    kind: str  # the movement kind that changed it
    movement_id: int
    on_hand: int
    committed: int
    reserved: int
    safety_stock: int
    damaged: int
    quality_control: int
    incoming: int
    available: int
    needs_recount: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class LocationChanged(Event):
    topic: ClassVar[str] = "locations"

    location_id: int
    kind: str  # CREATED, UPDATED, DEACTIVATED
    actor: str
