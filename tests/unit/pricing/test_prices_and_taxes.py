from datetime import timedelta

from domain.access.model import Channel
from domain.pricing.model import (
    PriceEntry,
    TaxRate,
    div_half_up,
    included_tax,
    percent_of,
    resolve_price,
    resolve_rate,
)
from tests.unit.pricing.helpers import NOW

H = timedelta(hours=1)


def entry(id: int, amount: int, **kw: object) -> PriceEntry:
    return PriceEntry(id, 1, "RUB", amount, **kw)  # type: ignore[arg-type]


def test_a_channel_specific_price_beats_the_price_for_every_channel():
    entries = [entry(1, 1000), entry(2, 900, channels=frozenset({Channel.WEB, Channel.APP}))]
    assert resolve_price(entries, currency="RUB", channel=Channel.WEB, at=NOW).amount == 900
    assert resolve_price(entries, currency="RUB", channel=Channel.APP, at=NOW).amount == 900
    assert resolve_price(entries, currency="RUB", channel=Channel.POS, at=NOW).amount == 1000


def test_a_scheduled_change_takes_over_when_it_starts_and_the_standing_price_returns_after():
    entries = [entry(1, 1000), entry(2, 800, starts_at=NOW, ends_at=NOW + 24 * H)]
    at = lambda t: resolve_price(entries, currency="RUB", channel=Channel.POS, at=t).amount  # noqa: E731
    assert at(NOW - H) == 1000
    assert at(NOW) == 800
    assert at(NOW + 24 * H) == 1000


def test_the_latest_start_then_the_newest_entry_wins_among_equals():
    entries = [
        entry(1, 1000, starts_at=NOW - 2 * H),
        entry(2, 1100, starts_at=NOW - H),
        entry(3, 1200, starts_at=NOW - H),
    ]
    assert resolve_price(entries, currency="RUB", channel=Channel.WEB, at=NOW).id == 3


def test_no_price_in_another_currency_or_outside_the_window():
    entries = [entry(1, 1000, ends_at=NOW)]
    assert resolve_price(entries, currency="RUB", channel=Channel.WEB, at=NOW) is None
    assert resolve_price(entries, currency="EUR", channel=Channel.WEB, at=NOW - H) is None


def test_half_up_rounding_is_deterministic():
    assert div_half_up(5, 2) == 3
    assert div_half_up(-5, 2) == -3
    assert div_half_up(4, 3) == 1
    assert percent_of(999, 1250) == 125  # 124.875
    assert percent_of(10, 500) == 1  # 0.5 -> 1


def test_vat_included_in_a_gross_price_is_a_sixth_at_20_percent():
    assert included_tax(999_000, 2000) == 166_500
    assert included_tax(100, 2000) == 17  # 16.67
    assert included_tax(59_900, 1000) == 5_445  # 5445.45


def test_a_regional_rate_beats_the_country_rate():
    rates = [TaxRate("STANDARD", "RU", 2000), TaxRate("STANDARD", "RU", 1800, region="RU-X")]
    assert resolve_rate(rates, tax_class="STANDARD", country="RU", region="RU-X").rate_bp == 1800
    assert resolve_rate(rates, tax_class="STANDARD", country="RU", region="RU-MOW").rate_bp == 2000
    assert resolve_rate(rates, tax_class="STANDARD", country="DE", region=None) is None
