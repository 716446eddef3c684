"""Demo prices and promotions (docs/pricing.md, "Demo data"). Runs after the catalog step;
skipped when prices already exist, so re-runs leave everything alone.

- Every demo variant gets a RUB price from its category's band, derived from its SKU (stable
  across runs); every fifth has a compare-at ("was") price 15-25 % higher; smartphones get an
  online-only price 3 % lower; one variant per category has a price change scheduled tomorrow.
- Promotions: headphones −10 % (everywhere); −1 500 ₽ on smartphones at Omni Тверская (POS);
  3 for 2 on cables; spend 50 000 ₽ get 3 000 ₽ off; free delivery from 5 000 ₽;
  +2 % for SILVER and GOLD members; vouchers WELCOME500 (500 ₽ off from 5 000 ₽, once per
  customer, 1 000 uses) and APP10 (10 % off in the app, 100 uses).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from api.runtime import Runtime
from domain.access.model import Channel
from domain.catalog.tables import CategoryRow, ProductRow, VariantRow
from domain.pricing import model, services
from domain.pricing.services import PriceInput, utcnow
from domain.pricing.tables import PriceRow
from inventory.tables import LocationRow

ACTOR = "system:demo"
#: category slug -> (lowest, highest) price in roubles; children inherit their parent's band.
BANDS = {
    "headphones": (2_990, 49_990),
    "speakers": (3_990, 39_990),
    "smartphones": (14_990, 149_990),
    "laptops": (44_990, 249_990),
    "tv": (24_990, 299_990),
    "cases": (790, 3_990),
    "chargers": (990, 5_990),
    "cables": (390, 2_490),
    "power-banks": (1_490, 7_990),
}
DEFAULT_BAND = (990, 9_990)


def retail(kopecks: int) -> int:
    """Round to a shelf-looking price ending in 90 roubles (29 090,00 ₽)."""
    return (kopecks // 10_000 * 100 + 90) * 100


def demo_price(sku: str, band: tuple[int, int]) -> int:
    """A retail-looking price (ending in 90 roubles) in the band, stable for the SKU."""
    low, high = band
    n = int.from_bytes(hashlib.sha256(sku.encode()).digest()[:4], "big")
    roubles = low + (n % ((high - low) // 100 + 1)) * 100
    return (roubles // 100 * 100 + 90) * 100


async def load_prices(runtime: Runtime) -> None:
    async with runtime.session_factory() as session:
        if await session.scalar(select(func.count()).select_from(PriceRow)):
            return
        categories = {r.id: r for r in await session.scalars(select(CategoryRow))}
        rows = (
            await session.execute(
                select(VariantRow.sku, ProductRow.category_id)
                .join(ProductRow, ProductRow.id == VariantRow.product_id)
                .order_by(VariantRow.sku)
            )
        ).all()
        stores = {r.code: r.id for r in await session.scalars(select(LocationRow))}
    if not rows:
        return
    slug_of = {cid: c.slug for cid, c in categories.items()}
    prices: list[PriceInput] = []
    seen_category: set[str] = set()
    tomorrow = utcnow().replace(hour=6, minute=0, second=0, microsecond=0) + timedelta(days=1)
    for i, (sku, category_id) in enumerate(rows):
        slug = slug_of.get(category_id, "")
        amount = demo_price(sku, BANDS.get(slug, DEFAULT_BAND))
        compare_at = retail(amount * (115 + i % 11) // 100) if i % 5 == 0 else None
        prices.append(PriceInput(amount, sku=sku, compare_at=compare_at))
        if slug == "smartphones":
            online = amount * 97 // 10_000 * 100 - 10
            prices.append(
                PriceInput(online, sku=sku, channels=frozenset({Channel.WEB, Channel.APP}))
            )
        if slug not in seen_category:
            seen_category.add(slug)
            prices.append(
                PriceInput(
                    amount - 100_000 if amount > 200_000 else amount - 10_000,
                    sku=sku,
                    starts_at=tomorrow,
                )
            )
    for start in range(0, len(prices), 1000):
        await services.set_prices(runtime.uow(), actor=ACTOR, prices=prices[start : start + 1000])
    await _promotions(runtime, {c.slug: cid for cid, c in categories.items()}, stores)


async def _promotions(runtime: Runtime, category: dict[str, int], stores: dict[str, int]) -> None:
    s01 = frozenset({stores["S01"]}) if "S01" in stores else frozenset()

    def cat(*slugs: str) -> model.Target:
        return model.Target(category_ids=frozenset(category[s] for s in slugs if s in category))

    K = model.PromotionKind
    definitions = [
        model.Promotion(
            0,
            "Наушники −10%",
            K.PERCENT_OFF_ITEMS,
            percent_bp=1000,
            target=cat("headphones"),
            priority=10,
        ),
        model.Promotion(
            0,
            "Тверская: −1 500 ₽ на смартфоны",
            K.AMOUNT_OFF_ITEMS,
            amount=150_000,
            target=cat("smartphones"),
            channels=frozenset({Channel.POS}),
            location_ids=s01,
        ),
        model.Promotion(
            0,
            "Кабели: 3 по цене 2",
            K.BUY_X_GET_Y,
            buy_quantity=2,
            get_quantity=1,
            percent_bp=10_000,
            target=cat("cables"),
        ),
        model.Promotion(
            0, "От 50 000 ₽ — минус 3 000 ₽", K.SPEND_GET_OFF, amount=300_000, threshold=5_000_000
        ),
        model.Promotion(0, "Бесплатная доставка от 5 000 ₽", K.FREE_SHIPPING, threshold=500_000),
        model.Promotion(
            0,
            "Участникам SILVER и GOLD: ещё −2%",
            K.ORDER_PERCENT,
            percent_bp=200,
            tiers=frozenset({"SILVER", "GOLD"}),
            priority=-10,
        ),
    ]
    for p in definitions:
        await services.create_promotion(runtime.uow(), actor=ACTOR, promotion=p)
    welcome = await services.create_promotion(
        runtime.uow(),
        actor=ACTOR,
        promotion=model.Promotion(
            0,
            "WELCOME500: −500 ₽",
            K.SPEND_GET_OFF,
            amount=50_000,
            threshold=500_000,
            voucher_only=True,
        ),
    )
    await services.create_voucher(
        runtime.uow(),
        actor=ACTOR,
        voucher=model.Voucher(
            "WELCOME500", welcome, usage_limit=1000, per_customer_limit=1, min_spend=500_000
        ),
    )
    app = await services.create_promotion(
        runtime.uow(),
        actor=ACTOR,
        promotion=model.Promotion(
            0,
            "APP10: −10% в приложении",
            K.ORDER_PERCENT,
            percent_bp=1000,
            voucher_only=True,
            channels=frozenset({Channel.APP}),
            exclusive=True,
        ),
    )
    await services.create_voucher(
        runtime.uow(), actor=ACTOR, voucher=model.Voucher("APP10", app, usage_limit=100)
    )
