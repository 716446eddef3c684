"""Tax classes and rates. Shelf prices include tax (Russian and EU retail): the engine works on
gross amounts and reports the tax contained in each line.

Resolution for (tax class, country, region): a rate for that region beats the country-wide rate
(region empty). A class with no rate for the country is taxed at 0 and says so (``rate_found``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

STANDARD = "STANDARD"


@dataclass(frozen=True, slots=True)
class TaxRate:
    tax_class: str
    country: str  # ISO 3166-1 alpha-2
    rate_bp: int  # basis points: 2000 = 20 %
    region: str | None = None  # e.g. "RU-MOW"; None: the whole country
    name: str = ""


def resolve_rate(
    rates: Iterable[TaxRate], *, tax_class: str, country: str, region: str | None
) -> TaxRate | None:
    best: TaxRate | None = None
    for rate in rates:
        if rate.tax_class != tax_class or rate.country != country:
            continue
        if rate.region is not None and rate.region != region:
            continue
        if best is None or (rate.region is not None and best.region is None):
            best = rate
    return best


#: Russian VAT as of 2019: used for any (class, country, region) the tax_rates table does not set.
DEFAULT_RATES: tuple[TaxRate, ...] = (
    TaxRate(STANDARD, "RU", 2000, name="НДС 20%"),
    TaxRate("REDUCED", "RU", 1000, name="НДС 10%"),
    TaxRate("ZERO", "RU", 0, name="НДС 0%"),
)


def with_defaults(rates: Iterable[TaxRate]) -> tuple[TaxRate, ...]:
    """Configured rates, plus each default rate that no configured rate overrides."""
    configured = tuple(rates)
    keys = {(r.tax_class, r.country, r.region) for r in configured}
    return configured + tuple(
        d for d in DEFAULT_RATES if (d.tax_class, d.country, d.region) not in keys
    )
