"""Pricing events (topic ``pricing``). Shelf labels and price caches react to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from domain.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class PricingChanged(Event):
    """A price or promotion changed, or a scheduled one started or ended.

    ``shelf`` says whether store shelf prices may change (a catalogue promotion or a price that
    POS uses); ``all_stores`` or ``location_ids`` say which stores.
    """

    topic: ClassVar[str] = "pricing"
    kind: str  # PRICE_SET | PRICE_STARTED | PRICE_ENDED | PROMOTION_CREATED | ..._UPDATED |
    #            ..._ENDED | ..._STARTED | VOUCHER_CREATED | VOUCHER_UPDATED
    subject: str  # "price:12", "promotion:3", "voucher:5"
    variant_ids: list[int] = field(default_factory=list)
    shelf: bool = False
    all_stores: bool = False
    location_ids: list[int] = field(default_factory=list)
    actor: str = "system"
    effective_at: str | None = None
