"""Customer identity and loyalty rules: pure functions, no I/O.

Identifier formats, the programme's earn and tier rules, points expiry dates and merge conflicts
are decided here; services load rows, call these, and save.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from math import floor

import phonenumbers

from domain.shared.errors import ValidationFailed


class CustomerStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    MERGED = "MERGED"  # a tombstone pointing at the survivor (old tokens and QR codes resolve)
    ERASED = "ERASED"  # personal data removed; financial records kept


class IdentifierKind(enum.StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"  # E.164
    CARD = "CARD"  # 13-digit loyalty card number (EAN-13 check digit)
    EXTERNAL = "EXTERNAL"  # "system:id", e.g. "crm:A-1042"


class Verification(enum.StrEnum):
    UNVERIFIED = "UNVERIFIED"
    VERIFIED = "VERIFIED"


class ContactChannel(enum.StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PUSH = "PUSH"


class PointsKind(enum.StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    REVERSE = "REVERSE"
    EXPIRE = "EXPIRE"
    ADJUST = "ADJUST"


class LookupMatch(enum.StrEnum):
    """How a till lookup found the customer: the stored identifier kinds plus the app QR."""

    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CARD = "CARD"
    EXTERNAL = "EXTERNAL"
    QR_TOKEN = "QR_TOKEN"


# ---------------------------------------------------------------- identifiers

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EXTERNAL_RE = re.compile(r"^([a-z][a-z0-9_-]{0,31}):(\S{1,100})$")
DEFAULT_REGION = "RU"  # "8 (916) ..." and "916 ..." are read as Russian numbers
CARD_PREFIX = "299"  # EAN-13 in-store range 200-299: never collides with a product barcode
CARD_LENGTH = 13


def normalise_email(raw: str, *, field: str = "email") -> str:
    value = raw.strip().lower()
    if not EMAIL_RE.match(value) or len(value) > 254:
        raise ValidationFailed(
            f"'{raw.strip()}' is not an email address; check it and type it again.", field=field
        )
    return value


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """Any common way of writing a phone to E.164: "8 (916) 123-45-67" -> "+79161234567"."""
    parsed = _parse_phone(raw)
    if parsed is None:
        raise ValidationFailed(
            f"'{raw.strip()}' is not a phone number we recognise; type it with the country code, "
            "e.g. +7 916 123-45-67.",
            field=field,
        )
    return parsed


def _parse_phone(raw: str) -> str | None:
    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or re.search(r"[^\d\s()+.\-]", text):
        return None
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_card_number(value: str) -> bool:
    return (
        len(value) == CARD_LENGTH and value.isdigit() and value[-1] == ean13_check_digit(value[:-1])
    )


def card_number_for(sequence: int) -> str:
    """The card number printed for the ``sequence``-th issued card."""
    if not 0 < sequence < 10**9:
        raise ValueError(f"card sequence {sequence} out of range")
    body = f"{CARD_PREFIX}{sequence:09d}"
    return body + ean13_check_digit(body)


def normalise_card(raw: str, *, field: str = "cardNumber") -> str:
    value = re.sub(r"[\s-]", "", raw)
    if not is_card_number(value):
        raise ValidationFailed(
            f"'{raw.strip()}' is not a loyalty card number: 13 digits with a valid check digit, "
            "as printed under the barcode.",
            field=field,
        )
    return value


def normalise_external(raw: str, *, field: str = "value") -> str:
    system, _, ident = raw.strip().partition(":")
    value = f"{system.lower()}:{ident.strip()}"
    if not EXTERNAL_RE.match(value):
        raise ValidationFailed(
            f"'{raw.strip()}' is not an external id; write it as system:id, e.g. crm:A-1042.",
            field=field,
        )
    return value


def normalise_identifier(kind: IdentifierKind, raw: str, *, field: str = "value") -> str:
    if kind is IdentifierKind.EMAIL:
        return normalise_email(raw, field=field)
    if kind is IdentifierKind.PHONE:
        return normalise_phone(raw, field=field)
    if kind is IdentifierKind.CARD:
        return normalise_card(raw, field=field)
    return normalise_external(raw, field=field)


def lookup_candidates(raw: str, *, field: str = "identifier") -> list[tuple[IdentifierKind, str]]:
    """What a typed or scanned string may be, most specific first (QR tokens are read apart).

    A 13-digit string with a valid check digit is a card before it is a phone.
    """
    text = raw.strip()
    if not text:
        raise ValidationFailed(
            "Type or scan a phone, email, card number or the app's QR code.", field=field
        )
    if "@" in text:
        return [(IdentifierKind.EMAIL, normalise_email(text, field=field))]
    candidates: list[tuple[IdentifierKind, str]] = []
    compact = re.sub(r"[\s-]", "", text)
    if is_card_number(compact):
        candidates.append((IdentifierKind.CARD, compact))
    phone = _parse_phone(text)
    if phone is not None:
        candidates.append((IdentifierKind.PHONE, phone))
    if ":" in text:
        try:
            candidates.append((IdentifierKind.EXTERNAL, normalise_external(text, field=field)))
        except ValidationFailed:
            pass
    if not candidates:
        raise ValidationFailed(
            f"'{text[:60]}' is not a phone, email, card number or QR code; phones are read as "
            "8 (916) 123-45-67 or +7 916 123-45-67, cards have 13 digits.",
            field=field,
            code="UNRECOGNISED_IDENTIFIER",
        )
    return candidates


def mask(kind: IdentifierKind, value: str) -> str:
    """What a receipt or a shared screen may show."""
    if kind is IdentifierKind.PHONE:
        return value[:-7] + "***" + value[-4:] if len(value) > 8 else "***"
    if kind is IdentifierKind.EMAIL:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind is IdentifierKind.CARD:
        return "*" * (len(value) - 4) + value[-4:]
    return value


# ---------------------------------------------------------------- programme rules


@dataclass(frozen=True)
class Tier:
    code: str
    name: str
    min_spend_minor: int  # rolling 12-month spend that reaches this tier
    discount_percent: int  # personalised discount the price engine applies
    earn_multiplier: Fraction


BASIC = Tier("BASIC", "Базовый", 0, 0, Fraction(1))
SILVER = Tier("SILVER", "Серебряный", 3_000_000, 3, Fraction(3, 2))  # 30 000 RUB
GOLD = Tier("GOLD", "Золотой", 10_000_000, 5, Fraction(2))  # 100 000 RUB


@dataclass(frozen=True)
class LoyaltyRules:
    currency: str = "RUB"
    minor_per_unit: int = 100  # kopecks in a rouble
    points_per_unit: Fraction = Fraction(1, 100)  # 1 point per 100 RUB before multipliers
    point_value_minor: int = 100  # 1 point pays 1 RUB at checkout
    tiers: tuple[Tier, ...] = (BASIC, SILVER, GOLD)  # ascending min_spend_minor
    category_multipliers: dict[str, Fraction] = field(
        default_factory=lambda: {"headphones": Fraction(2), "accessories": Fraction(3, 2)}
    )
    expiry_months: int = 12
    tier_window_days: int = 365


DEFAULT_RULES = LoyaltyRules()


def tier_for(spend_minor: int, rules: LoyaltyRules = DEFAULT_RULES) -> Tier:
    """The tier a rolling 12-month spend reaches (pure; the pricing engine calls this)."""
    reached = rules.tiers[0]
    for tier in rules.tiers:
        if spend_minor >= tier.min_spend_minor:
            reached = tier
    return reached


@dataclass(frozen=True)
class TierStatus:
    tier: Tier
    rolling_spend_minor: int
    next_tier: Tier | None
    spend_to_next_minor: int | None
    progress_percent: int  # 0..100 towards next_tier; 100 at the top tier
    currency: str


def tier_status(spend_minor: int, rules: LoyaltyRules = DEFAULT_RULES) -> TierStatus:
    tier = tier_for(spend_minor, rules)
    higher = [t for t in rules.tiers if t.min_spend_minor > tier.min_spend_minor]
    nxt = higher[0] if higher else None
    if nxt is None:
        return TierStatus(tier, spend_minor, None, None, 100, rules.currency)
    span = nxt.min_spend_minor - tier.min_spend_minor
    done = max(0, spend_minor - tier.min_spend_minor)
    return TierStatus(
        tier=tier,
        rolling_spend_minor=spend_minor,
        next_tier=nxt,
        spend_to_next_minor=nxt.min_spend_minor - max(spend_minor, 0),
        progress_percent=min(99, done * 100 // span),
        currency=rules.currency,
    )


@dataclass(frozen=True)
class PurchaseLine:
    amount_minor: int  # what the customer paid for the line, after discounts
    category: str | None = None
    # The category's parents, nearest first: a rule for "accessories" covers "chargers".
    ancestors: tuple[str, ...] = ()


def category_bonus(
    category: str | None, ancestors: Sequence[str] = (), rules: LoyaltyRules = DEFAULT_RULES
) -> Fraction:
    """The multiplier of the nearest category on the line's path that has a rule: a category
    rule covers its whole subtree (as promotions do), a subcategory's own rule wins."""
    ruled = bonus_category(category, ancestors, rules)
    return Fraction(1) if ruled is None else rules.category_multipliers[ruled]


def bonus_category(
    category: str | None, ancestors: Sequence[str] = (), rules: LoyaltyRules = DEFAULT_RULES
) -> str | None:
    """The nearest category on the path (itself first) that has a bonus rule."""
    for slug in (category, *ancestors):
        if slug is not None and slug in rules.category_multipliers:
            return slug
    return None


def points_for_purchase(
    lines: Sequence[PurchaseLine], *, tier: Tier, rules: LoyaltyRules = DEFAULT_RULES
) -> int:
    """Points earned: per line amount x base rate x tier multiplier x category bonus, summed
    exactly and rounded down once (so splitting a basket never loses a point)."""
    exact = Fraction(0)
    for i, line in enumerate(lines):
        if line.amount_minor < 0:
            raise ValidationFailed(
                f"Line {i + 1} has a negative amount; earn on what was paid.", field="lines"
            )
        bonus = category_bonus(line.category, line.ancestors, rules)
        exact += (
            Fraction(line.amount_minor, rules.minor_per_unit)
            * rules.points_per_unit
            * tier.earn_multiplier
            * bonus
        )
    return floor(exact)


def points_value_minor(points: int, rules: LoyaltyRules = DEFAULT_RULES) -> int:
    """What ``points`` pay at checkout, in minor units of ``rules.currency``."""
    return points * rules.point_value_minor


def add_months(moment: datetime, months: int) -> datetime:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def points_expire_at(earned_at: datetime, rules: LoyaltyRules = DEFAULT_RULES) -> datetime:
    return add_months(earned_at, rules.expiry_months)


def require_positive_points(points: int, *, field: str = "points") -> None:
    if points <= 0:
        raise ValidationFailed(
            f"Points must be a positive whole number; got {points}.", field=field
        )


# ---------------------------------------------------------------- merge


@dataclass(frozen=True)
class IdentifierView:
    kind: IdentifierKind
    value: str
    verification: Verification


@dataclass(frozen=True)
class MergeConflictView:
    kind: str  # VERIFIED_EMAILS | NAME
    survivor_value: str
    duplicate_value: str
    blocking: bool  # needs the operator's confirmation (acceptConflicts)
    resolution: str


def merge_conflicts(
    *,
    survivor_identifiers: Iterable[IdentifierView],
    duplicate_identifiers: Iterable[IdentifierView],
    survivor_name: str,
    duplicate_name: str,
) -> list[MergeConflictView]:
    """What may mean the two profiles are different people, or data the merge will drop.

    Two different verified emails block the merge until the operator confirms: each was proven
    by someone, and they may be two people. Different names do not block: the survivor's wins.
    """
    out: list[MergeConflictView] = []

    def verified_emails(items: Iterable[IdentifierView]) -> list[str]:
        return sorted(
            i.value
            for i in items
            if i.kind is IdentifierKind.EMAIL and i.verification is Verification.VERIFIED
        )

    mine, theirs = verified_emails(survivor_identifiers), verified_emails(duplicate_identifiers)
    if mine and theirs and set(mine) != set(theirs):
        out.append(
            MergeConflictView(
                kind="VERIFIED_EMAILS",
                survivor_value=", ".join(mine),
                duplicate_value=", ".join(theirs),
                blocking=True,
                resolution="both emails are kept on the survivor",
            )
        )
    if survivor_name.strip() and duplicate_name.strip() and survivor_name != duplicate_name:
        out.append(
            MergeConflictView(
                kind="NAME",
                survivor_value=survivor_name,
                duplicate_value=duplicate_name,
                blocking=False,
                resolution="the survivor's name is kept",
            )
        )
    return out
