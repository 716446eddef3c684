"""Setting prices (one or many at once), tax classes and rates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.access.model import Channel
from domain.catalog import queries as catalog
from domain.pricing.errors import UnknownSku
from domain.pricing.events import PricingChanged
from domain.pricing.repository import PricingRepository
from domain.pricing.services.common import serves_stores
from domain.pricing.tables import PriceRow
from domain.shared.clock import utcnow
from domain.shared.errors import DomainError, MultipleErrors, NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork

MAX_BATCH = 1000


@dataclass(frozen=True)
class PriceInput:
    amount: int  # tax-inclusive minor units
    sku: str | None = None
    variant_id: int | None = None
    currency: str = "RUB"
    compare_at: int | None = None
    channels: frozenset[Channel] = frozenset()  # empty: every channel
    starts_at: datetime | None = None  # None: now
    ends_at: datetime | None = None


def _check(i: int, p: PriceInput, now: datetime) -> list[DomainError]:
    f = f"prices[{i}]"
    errors: list[DomainError] = []
    if (p.sku is None) == (p.variant_id is None):
        errors.append(ValidationFailed("Give a sku or a variantId.", field=f"{f}.sku"))
    if p.amount < 0:
        errors.append(ValidationFailed("A price cannot be negative.", field=f"{f}.amount"))
    if p.compare_at is not None and p.compare_at <= p.amount:
        errors.append(
            ValidationFailed(
                "The compare-at (was) price must be above the price, or left empty.",
                field=f"{f}.compareAt",
            )
        )
    if len(p.currency) != 3 or not p.currency.isalpha() or not p.currency.isupper():
        errors.append(
            ValidationFailed("Currency is an ISO code such as RUB.", field=f"{f}.currency")
        )
    start = p.starts_at or now
    if p.ends_at is not None and p.ends_at <= start:
        errors.append(ValidationFailed("The end must be after the start.", field=f"{f}.endsAt"))
    return errors


async def set_prices(
    uow: UnitOfWork, *, actor: str, prices: Sequence[PriceInput], now: datetime | None = None
) -> list[int]:
    """Add price entries (all or nothing). A price starting now reaches shelf labels at once; a
    scheduled one when ``announce_due`` sees its start pass."""
    now = now or utcnow()
    if not prices or len(prices) > MAX_BATCH:
        raise ValidationFailed(f"Send 1 to {MAX_BATCH} prices at once.", field="prices")
    errors = [e for i, p in enumerate(prices) for e in _check(i, p, now)]
    async with uow:
        session = uow.session
        by_sku = await catalog.variants_by_skus(session, [p.sku for p in prices if p.sku])
        by_id = await catalog.variants_by_ids(
            session, [p.variant_id for p in prices if p.variant_id is not None]
        )
        rows = []
        for i, p in enumerate(prices):
            variant = by_sku.get(p.sku) if p.sku is not None else by_id.get(p.variant_id or 0)
            if variant is None:
                if p.sku is not None:
                    errors.append(UnknownSku(f"There is no SKU {p.sku}.", field=f"prices[{i}].sku"))
                elif p.variant_id is not None:
                    errors.append(NotFound("No such variant.", field=f"prices[{i}].variantId"))
                continue
            immediate = p.starts_at is None or p.starts_at <= now
            rows.append(
                {
                    "variant_id": variant.id,
                    "currency": p.currency,
                    "amount": p.amount,
                    "compare_at": p.compare_at,
                    "channels": sorted(c.value for c in p.channels),
                    "starts_at": p.starts_at or now,
                    "ends_at": p.ends_at,
                    "start_announced_at": now if immediate else None,
                    "created_by": actor,
                }
            )
        if errors:
            raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
        added = await PricingRepository(session).add_prices(rows)
        now_rows = [r for r in added if r.start_announced_at is not None]
        later = [r for r in added if r.start_announced_at is None]
        if now_rows:
            uow.record(price_event("PRICE_SET", now_rows, actor=actor, at=now))
        if later:
            uow.record(price_event("PRICE_SCHEDULED", later, actor=actor, at=now, shelf=False))
        await uow.commit()
    return [r.id for r in added]


def price_event(
    kind: str, rows: Sequence[PriceRow], *, actor: str, at: datetime, shelf: bool = True
) -> PricingChanged:
    """Prices are not store-specific: one POS-visible change reaches every store's labels."""
    shelf = shelf and any(serves_stores(r.channels) for r in rows)
    return PricingChanged(
        kind=kind,
        subject="price:" + ",".join(str(r.id) for r in rows),
        variant_ids=sorted({r.variant_id for r in rows}),
        shelf=shelf,
        all_stores=shelf,
        actor=actor,
        effective_at=at.isoformat(),
    )


async def set_tax_rate(
    uow: UnitOfWork,
    *,
    tax_class: str,
    country: str,
    rate_bp: int,
    region: str | None = None,
    name: str = "",
) -> None:
    if not 0 <= rate_bp <= 10_000:
        raise ValidationFailed("A tax rate is between 0 and 100 %.", field="rate")
    if len(country) != 2 or not country.isupper():
        raise ValidationFailed("Country is an ISO code such as RU.", field="country")
    async with uow:
        await PricingRepository(uow.session).upsert_tax_rate(
            {
                "tax_class": tax_class.upper(),
                "country": country,
                "region": region,
                "rate_bp": rate_bp,
                "name": name,
            }
        )
        await uow.commit()


async def set_product_tax_class(uow: UnitOfWork, *, product_id: int, tax_class: str) -> None:
    async with uow:
        if not await catalog.products_by_ids(uow.session, [product_id]):
            raise NotFound(f"Product {product_id} does not exist.", field="productId")
        await PricingRepository(uow.session).set_tax_class(product_id, tax_class.upper())
        await uow.commit()


async def set_customer_segments(
    uow: UnitOfWork, *, customer_id: int, segments: Sequence[str]
) -> None:
    async with uow:
        await PricingRepository(uow.session).set_segments(customer_id, segments)
        await uow.commit()
