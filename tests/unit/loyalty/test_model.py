from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import ValidationFailed
from loyalty import model, qr
from loyalty.errors import QrTokenExpired, QrTokenInvalid
from loyalty.model import (
    BASIC,
    GOLD,
    SILVER,
    IdentifierKind,
    IdentifierView,
    PurchaseLine,
    Verification,
)

SECRET = "unit-test-secret"


@pytest.mark.parametrize(
    "typed",
    [
        "8 (916) 123-45-67",
        "+7 916 1234567",
        "+7 (916) 123-45-67",
        "+7 916 123 45 67",
        "89161234567",
        "79161234567",
        "9161234567",
        "8-916-123-45-67",
        " +79161234567 ",
    ],
)
def test_russian_phones_in_any_common_format_normalise_to_one_e164(typed):
    assert model.normalise_phone(typed) == "+79161234567"


def test_a_foreign_number_with_its_country_code_keeps_it():
    assert model.normalise_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("typed", ["123", "8 (916) 123-45", "phone me", "+7 916 123 45 67 89 00"])
def test_a_string_that_is_not_a_phone_is_rejected_naming_the_field(typed):
    with pytest.raises(ValidationFailed) as err:
        model.normalise_phone(typed, field="phone")
    assert err.value.field == "phone"


def test_card_numbers_carry_an_ean13_check_digit():
    assert model.card_number_for(1) == "2990000000019"
    assert model.is_card_number("2990000000019")
    assert not model.is_card_number("2990000000016")
    assert model.normalise_card("299 0000 0000 19") == "2990000000019"


@given(st.integers(min_value=1, max_value=10**9 - 1))
def test_every_issued_card_number_is_a_valid_13_digit_card(sequence):
    number = model.card_number_for(sequence)
    assert len(number) == 13 and number.startswith("299") and model.is_card_number(number)


def test_lookup_reads_a_13_digit_card_before_a_phone_and_an_email_only_as_email():
    assert model.lookup_candidates("2990000000019")[0] == (IdentifierKind.CARD, "2990000000019")
    assert model.lookup_candidates(" Anna@Example.RU ") == [
        (IdentifierKind.EMAIL, "anna@example.ru")
    ]
    assert model.lookup_candidates("8 (916) 123-45-67") == [(IdentifierKind.PHONE, "+79161234567")]
    assert model.lookup_candidates("CRM:A-1042") == [(IdentifierKind.EXTERNAL, "crm:A-1042")]


def test_lookup_of_unreadable_input_says_what_it_accepts():
    with pytest.raises(ValidationFailed) as err:
        model.lookup_candidates("hello")
    assert err.value.code == "UNRECOGNISED_IDENTIFIER"
    assert err.value.field == "identifier"


def test_tiers_come_from_rolling_spend_thresholds():
    assert model.tier_for(0) is BASIC
    assert model.tier_for(2_999_999) is BASIC
    assert model.tier_for(3_000_000) is SILVER
    assert model.tier_for(10_000_000) is GOLD
    assert (SILVER.discount_percent, GOLD.discount_percent) == (3, 5)


def test_tier_progress_counts_what_is_left_to_the_next_tier():
    status = model.tier_status(1_500_000)
    assert status.tier is BASIC and status.next_tier is SILVER
    assert status.spend_to_next_minor == 1_500_000
    assert status.progress_percent == 50
    top = model.tier_status(12_000_000)
    assert top.next_tier is None and top.spend_to_next_minor is None
    assert top.progress_percent == 100


def test_earn_is_base_rate_times_tier_times_category_bonus_rounded_down_once():
    lines = [
        PurchaseLine(amount_minor=1_999_000),  # 19 990 RUB -> 199.9
        PurchaseLine(amount_minor=999_000, category="headphones"),  # 9 990 RUB x2 -> 199.8
    ]
    assert model.points_for_purchase(lines, tier=BASIC) == 399  # 399.7
    assert model.points_for_purchase(lines, tier=SILVER) == 599  # 599.55
    assert model.points_for_purchase(lines, tier=GOLD) == 799  # 799.4


def test_splitting_a_basket_into_lines_never_loses_a_point():
    whole = model.points_for_purchase([PurchaseLine(15_000)], tier=SILVER)
    split = model.points_for_purchase([PurchaseLine(7_500), PurchaseLine(7_500)], tier=SILVER)
    assert whole == split == 2  # 150 RUB x 1/100 x 1.5 = 2.25


def test_points_expire_the_same_day_months_later_clamped_to_month_end():
    earned = datetime(2025, 1, 31, 10, tzinfo=UTC)
    assert model.points_expire_at(earned) == datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert model.add_months(earned, 1) == datetime(2025, 2, 28, 10, tzinfo=UTC)
    assert model.add_months(datetime(2024, 3, 31, tzinfo=UTC), -1) == datetime(
        2024, 2, 29, tzinfo=UTC
    )


def test_two_different_verified_emails_are_a_blocking_merge_conflict():
    a = [IdentifierView(IdentifierKind.EMAIL, "a@x.ru", Verification.VERIFIED)]
    b = [IdentifierView(IdentifierKind.EMAIL, "b@x.ru", Verification.VERIFIED)]
    unverified = [IdentifierView(IdentifierKind.EMAIL, "b@x.ru", Verification.UNVERIFIED)]
    conflicts = model.merge_conflicts(
        survivor_identifiers=a, duplicate_identifiers=b, survivor_name="", duplicate_name=""
    )
    assert [(c.kind, c.blocking) for c in conflicts] == [("VERIFIED_EMAILS", True)]
    assert not model.merge_conflicts(
        survivor_identifiers=a,
        duplicate_identifiers=unverified,
        survivor_name="",
        duplicate_name="",
    )


def test_different_names_are_reported_but_do_not_block():
    conflicts = model.merge_conflicts(
        survivor_identifiers=[],
        duplicate_identifiers=[],
        survivor_name="Анна Петрова",
        duplicate_name="Аня Петрова",
    )
    assert [(c.kind, c.blocking) for c in conflicts] == [("NAME", False)]


def test_qr_token_round_trips_until_it_expires():
    token = qr.issue(secret=SECRET, customer_id=42, generation=3, now=1_000, ttl_seconds=300)
    assert qr.looks_like_qr(token) and len(token) < 60
    assert qr.read(token, secret=SECRET, now=1_299) == qr.QrClaims(42, 3, 1_300)
    with pytest.raises(QrTokenExpired) as err:
        qr.read(token, secret=SECRET, now=1_300)
    assert "refresh" in err.value.message


def test_a_tampered_or_foreign_qr_token_is_invalid():
    token = qr.issue(secret=SECRET, customer_id=42, generation=3, now=1_000, ttl_seconds=300)
    forged = token.replace("OCQ1.42.", "OCQ1.43.")
    for bad in (forged, token[:-2], "OCQ1.x", token):
        secret = "another-secret" if bad == token else SECRET
        with pytest.raises(QrTokenInvalid):
            qr.read(bad, secret=secret, now=1_000)


def test_rules_value_a_point_at_one_rouble():
    assert model.points_value_minor(250) == 25_000
    assert model.DEFAULT_RULES.points_per_unit == Fraction(1, 100)


def test_a_category_bonus_covers_its_subcategories_and_the_nearest_rule_wins():
    bonuses = {"accessories": Fraction(3, 2), "chargers": Fraction(2)}
    rules = model.LoyaltyRules(category_multipliers=bonuses)
    charger = PurchaseLine(amount_minor=100_000, category="chargers", ancestors=("accessories",))
    case = PurchaseLine(amount_minor=100_000, category="cases", ancestors=("accessories",))
    deep = PurchaseLine(100_000, category="usb-c", ancestors=("chargers", "accessories"))
    other = PurchaseLine(amount_minor=100_000, category="phones", ancestors=("electronics",))
    # 1 000 RUB = 10 base points each
    earned = [
        model.points_for_purchase([ln], tier=BASIC, rules=rules)
        for ln in (charger, case, deep, other)
    ]
    assert earned == [20, 15, 20, 10]
