"""The demo pricing step: every demo variant has a RUB price, promotions work, re-runs no-op."""

from __future__ import annotations

from sqlalchemy import func, select

from api import demo
from domain.access.model import Channel
from domain.catalog.tables import VariantRow
from domain.pricing import services
from domain.pricing.services import LineRequest
from domain.pricing.tables import PriceRow, PromotionRow, VoucherRow


async def test_demo_prices_cover_every_variant_and_rerun_is_a_no_op(runtime):
    await demo.load_locations(runtime)
    await demo.load_catalog(runtime)
    await demo.load_prices(runtime)
    async with runtime.session_factory() as s:
        variants = list(await s.scalars(select(VariantRow.id)))
        shelf = await services.shelf_prices(s, variants, channel=Channel.POS)
        counts = [
            await s.scalar(select(func.count()).select_from(t))
            for t in (PriceRow, PromotionRow, VoucherRow)
        ]
        skus = list(await s.scalars(select(VariantRow.sku).order_by(VariantRow.sku).limit(3)))
        q = await services.price_quote(
            s,
            channel=Channel.APP,
            lines=[LineRequest(2, sku=sku) for sku in skus],
            voucher_codes=["APP10"],
            shipping=39_900,
        )
    assert len(variants) > 200 and set(shelf) == set(variants)
    assert all(p.amount % 10_000 == 9_000 or p.amount < p.list_amount for p in shelf.values())
    assert counts[1:] == [8, 2]
    assert q.vouchers[0].accepted and q.total > 0
    await demo.load_prices(runtime)
    async with runtime.session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(PriceRow)) == counts[0]
