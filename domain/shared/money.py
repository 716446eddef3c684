"""Money as integer minor units plus an ISO 4217 currency; splits by largest remainder."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units (kopecks for RUB)
    currency: str

    def __post_init__(self) -> None:
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(
                f"currency must be an ISO 4217 code such as RUB, got {self.currency!r}"
            )

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        return [Money(a, self.currency) for a in allocate(self.amount, weights)]


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` so the parts always sum to ``total``.

    Largest remainder (Hamilton): floor every share, then hand the leftover units one by one to
    the largest fractional remainders; ties go to the earlier part, so the result is stable.
    Works for negative totals too (the split of -total, negated).
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero amount over no parts")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if total < 0:
        return [-p for p in allocate(-total, weights)]
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * len(weights)
        weight_sum = len(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = [(total * w % weight_sum, -i) for i, w in enumerate(weights)]
    leftover = total - sum(shares)
    for _, neg_index in sorted(remainders, reverse=True)[:leftover]:
        shares[-neg_index] += 1
    return shares
