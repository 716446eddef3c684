"""Promotion and voucher definitions, their validation, and who/where/when they apply.

A promotion is data: a kind with its values, a target (what it discounts), scoping (channels,
stores, customers, tiers, segments, a time window), a priority and whether it is exclusive.
Vouchers are codes that unlock a promotion marked ``voucher_only``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.access.model import Channel
from domain.pricing.model.rounding import BP
from domain.shared.errors import DomainError, MultipleErrors, ValidationFailed


class PromotionKind(enum.StrEnum):
    # Catalogue promotions: a lower shelf price per unit.
    PERCENT_OFF_ITEMS = "PERCENT_OFF_ITEMS"
    AMOUNT_OFF_ITEMS = "AMOUNT_OFF_ITEMS"
    # Order promotions: computed on the cart, allocated to lines.
    ORDER_PERCENT = "ORDER_PERCENT"
    SPEND_GET_OFF = "SPEND_GET_OFF"  # spend X, get Y off
    BUY_X_GET_Y = "BUY_X_GET_Y"
    BUNDLE_PRICE = "BUNDLE_PRICE"
    FREE_SHIPPING = "FREE_SHIPPING"


CATALOGUE_KINDS = frozenset({PromotionKind.PERCENT_OFF_ITEMS, PromotionKind.AMOUNT_OFF_ITEMS})


class PromotionStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


@dataclass(frozen=True, slots=True)
class Target:
    """What a promotion discounts. Categories include their subcategories. Empty: everything
    (allowed for order promotions only)."""

    variant_ids: frozenset[int] = frozenset()
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    brand_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.variant_ids or self.product_ids or self.category_ids or self.brand_ids)

    def matches(self, item: Item) -> bool:
        if self.is_empty:
            return True
        return (
            item.variant_id in self.variant_ids
            or item.product_id in self.product_ids
            or (item.brand_id is not None and item.brand_id in self.brand_ids)
            or not self.category_ids.isdisjoint(item.category_path)
        )


@dataclass(frozen=True, slots=True)
class Item:
    """What the engine needs to know about a variant."""

    variant_id: int
    sku: str
    product_id: int
    brand_id: int | None = None
    category_path: tuple[int, ...] = ()  # the product's category and all its ancestors
    tax_class: str = "STANDARD"


@dataclass(frozen=True, slots=True)
class Promotion:
    id: int
    name: str
    kind: PromotionKind
    currency: str = "RUB"
    percent_bp: int = 0  # PERCENT_OFF_ITEMS, ORDER_PERCENT, BUY_X_GET_Y (share off the Y units)
    amount: int = 0  # AMOUNT_OFF_ITEMS (per unit), SPEND_GET_OFF (off), BUNDLE_PRICE (bundle)
    threshold: int = 0  # minimum spend of eligible lines (after catalogue discounts)
    buy_quantity: int = 0  # BUY_X_GET_Y: X; BUNDLE_PRICE: units in a bundle
    get_quantity: int = 0  # BUY_X_GET_Y: Y
    target: Target = field(default_factory=Target)
    channels: frozenset[Channel] = frozenset()  # empty: every channel
    location_ids: frozenset[int] = frozenset()  # empty: every store and online
    customer_ids: frozenset[int] = frozenset()  # personalised: named customers ...
    tiers: frozenset[str] = frozenset()  # ... or loyalty tiers ...
    segments: frozenset[str] = frozenset()  # ... or segments (any one matching is enough)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0  # higher first
    exclusive: bool = False
    voucher_only: bool = False
    status: PromotionStatus = PromotionStatus.ACTIVE

    @property
    def is_catalogue(self) -> bool:
        return self.kind in CATALOGUE_KINDS

    @property
    def personalised(self) -> bool:
        return bool(self.customer_ids or self.tiers or self.segments)


@dataclass(frozen=True, slots=True)
class Voucher:
    """A code and its usage as read (the quote only predicts; consumption is the real check)."""

    code: str
    promotion_id: int
    usage_limit: int | None = None  # total uses; None: unlimited
    used: int = 0
    per_customer_limit: int | None = None
    used_by_customer: int = 0
    min_spend: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True


def normalise_code(code: str) -> str:
    return code.strip().upper()


def validate_promotion(p: Promotion) -> None:
    """Raise every rule the definition breaks at once; nothing is saved when one does."""
    errors: list[DomainError] = []

    def bad(message: str, field: str) -> None:
        errors.append(ValidationFailed(message, field=field))

    if not p.name.strip():
        bad("Give the promotion a name shoppers will see.", "name")
    if p.kind in (PromotionKind.PERCENT_OFF_ITEMS, PromotionKind.ORDER_PERCENT):
        if not 0 < p.percent_bp <= BP:
            bad(f"Percent must be above 0 and at most 100; got {p.percent_bp / 100:g}.", "percent")
    if p.kind is PromotionKind.BUY_X_GET_Y and not 0 < p.percent_bp <= BP:
        bad("Percent off the free units must be above 0 and at most 100 (100 = free).", "percent")
    if p.kind in (PromotionKind.AMOUNT_OFF_ITEMS, PromotionKind.SPEND_GET_OFF) and p.amount <= 0:
        bad("Set the amount off in kopecks, above 0.", "amount")
    if p.kind is PromotionKind.BUNDLE_PRICE:
        if p.amount <= 0:
            bad("Set the bundle price in kopecks, above 0.", "amount")
        if p.buy_quantity < 2:
            bad("A bundle has at least 2 units (buyQuantity).", "buyQuantity")
    if p.kind is PromotionKind.BUY_X_GET_Y and (p.buy_quantity < 1 or p.get_quantity < 1):
        bad("Buy X get Y needs buyQuantity and getQuantity of at least 1.", "buyQuantity")
    if p.kind is PromotionKind.SPEND_GET_OFF and p.threshold <= 0:
        bad("Spend X get Y off needs the spend threshold (kopecks) above 0.", "threshold")
    if p.threshold < 0:
        bad("The minimum spend cannot be negative.", "threshold")
    if p.target.is_empty and (
        p.is_catalogue or p.kind in (PromotionKind.BUY_X_GET_Y, PromotionKind.BUNDLE_PRICE)
    ):
        bad(
            "Say what the promotion applies to: products, variants, categories or brands.", "target"
        )
    if p.starts_at is not None and p.ends_at is not None and p.ends_at <= p.starts_at:
        bad("The end must be after the start.", "endsAt")
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)


def validate_voucher(v: Voucher) -> None:
    errors: list[DomainError] = []
    code = normalise_code(v.code)
    if not 3 <= len(code) <= 64 or not all(c.isalnum() or c in "-_" for c in code):
        errors.append(ValidationFailed("A code is 3-64 letters, digits, '-' or '_'.", field="code"))
    if v.usage_limit is not None and v.usage_limit < 1:
        errors.append(ValidationFailed("The usage limit must be at least 1.", field="usageLimit"))
    if v.per_customer_limit is not None and v.per_customer_limit < 1:
        errors.append(
            ValidationFailed("The per-customer limit must be at least 1.", field="perCustomerLimit")
        )
    if v.min_spend < 0:
        errors.append(ValidationFailed("The minimum spend cannot be negative.", field="minSpend"))
    if v.starts_at is not None and v.ends_at is not None and v.ends_at <= v.starts_at:
        errors.append(ValidationFailed("The end must be after the start.", field="endsAt"))
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)


def category_paths(
    parents: dict[int, int | None], category_ids: Sequence[int | None]
) -> dict[int, tuple[int, ...]]:
    """Each category with its ancestors (cycle-safe), from a {id: parent_id} map."""
    out: dict[int, tuple[int, ...]] = {}
    for cid in category_ids:
        if cid is None or cid in out:
            continue
        path: list[int] = []
        node: int | None = cid
        while node is not None and node not in path:
            path.append(node)
            node = parents.get(node)
        out[cid] = tuple(path)
    return out
