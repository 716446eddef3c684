"""Price entries and the one resolution rule that picks the price in force.

A variant has any number of price entries per currency. An entry may be limited to some channels
(an online-only price names WEB and APP) and to a validity window ``[starts_at, ends_at)``; a
scheduled change is just an entry whose window starts in the future. Entries are never
overwritten, so the entries themselves are the price history.

Resolution for (variant, currency, channel, at):
1. keep entries of that variant and currency whose window contains ``at`` and whose channels
   are empty (every channel) or include the channel;
2. a channel-specific entry beats an entry for every channel;
3. then the latest ``starts_at`` wins (no start counts as the beginning of time), so a scheduled
   change supersedes the standing price the moment it starts and the standing price returns when
   it ends;
4. then the most recently created entry (highest id) wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from domain.access.model import Channel


@dataclass(frozen=True, slots=True)
class PriceEntry:
    id: int
    variant_id: int
    currency: str
    amount: int  # tax-inclusive minor units
    compare_at: int | None = None  # the "was" price shown struck through
    channels: frozenset[Channel] = field(default_factory=frozenset)  # empty: every channel
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def in_force_at(self, at: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= at) and (
            self.ends_at is None or at < self.ends_at
        )

    def serves(self, channel: Channel) -> bool:
        return not self.channels or channel in self.channels


_BEGINNING = datetime.min


def _rank(entry: PriceEntry) -> tuple[int, datetime, int]:
    start = entry.starts_at.replace(tzinfo=None) if entry.starts_at is not None else _BEGINNING
    return (1 if entry.channels else 0, start, entry.id)


def resolve_price(
    entries: Iterable[PriceEntry], *, currency: str, channel: Channel, at: datetime
) -> PriceEntry | None:
    """The entry in force (see the module docstring), or None when the variant has no price."""
    candidates = [
        e for e in entries if e.currency == currency and e.serves(channel) and e.in_force_at(at)
    ]
    if not candidates:
        return None
    return max(candidates, key=_rank)


def effective_compare_at(entry: PriceEntry) -> int | None:
    """A "was" price is shown only when it is above the price (never a fake saving)."""
    if entry.compare_at is not None and entry.compare_at > entry.amount:
        return entry.compare_at
    return None
