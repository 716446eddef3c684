"""Pricing services against real PostgreSQL: prices, quotes, schedule, promotions, vouchers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from api.runtime import Runtime
from domain.access.model import Channel
from domain.pricing import model, services
from domain.pricing.errors import VoucherRejected
from domain.pricing.services import LineRequest, PriceInput
from domain.pricing.tables import PriceRow, PromotionRow, VoucherRedemptionRow, VoucherRow
from domain.shared.errors import MultipleErrors
from tests.integration.pricing.conftest import Catalog

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
ACTOR = "staff:1"


async def outbox(runtime: Runtime) -> list[dict]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox_events WHERE topic = 'pricing' ORDER BY id")
        )
        return [r[0] for r in rows]


async def count(runtime: Runtime, table) -> int:
    async with runtime.session_factory() as s:
        return await s.scalar(select(func.count()).select_from(table))


async def quote(runtime: Runtime, *lines: tuple[str, int], **kw):
    async with runtime.session_factory() as s:
        return await services.price_quote(
            s,
            channel=kw.pop("channel", Channel.WEB),
            lines=[LineRequest(q, sku=sku) for sku, q in lines],
            at=kw.pop("at", NOW),
            **kw,
        )


async def test_prices_set_in_bulk_price_a_quote_with_vat(runtime: Runtime, shop: Catalog):
    ids = await services.set_prices(
        runtime.uow(),
        actor=ACTOR,
        now=NOW,
        prices=[
            PriceInput(2_999_000, sku="HP-100", compare_at=3_499_000),
            PriceInput(1_999_000, sku="EB-200"),
            PriceInput(2_899_000, sku="HP-100", channels=frozenset({Channel.WEB, Channel.APP})),
        ],
    )
    assert len(ids) == 3
    web = await quote(runtime, ("HP-100", 1), ("EB-200", 2))
    pos = await quote(runtime, ("HP-100", 1), ("EB-200", 2), channel=Channel.POS)
    assert [line.unit_price for line in web.lines] == [2_899_000, 1_999_000]
    assert [line.unit_price for line in pos.lines] == [2_999_000, 1_999_000]
    assert (web.total, web.tax_total) == (6_897_000, 483_167 + 666_333)
    assert pos.lines[0].compare_at == 3_499_000
    (event,) = await outbox(runtime)
    assert (event["kind"], event["shelf"], event["all_stores"]) == ("PRICE_SET", True, True)
    assert event["variant_ids"] == sorted([shop.variant["HP-100"], shop.variant["EB-200"]])


async def test_an_unknown_sku_in_a_batch_saves_nothing(runtime: Runtime, shop: Catalog):
    with pytest.raises(MultipleErrors) as err:
        await services.set_prices(
            runtime.uow(),
            actor=ACTOR,
            now=NOW,
            prices=[
                PriceInput(1000, sku="HP-100"),
                PriceInput(1000, sku="NOPE-1"),
                PriceInput(1000, sku="EB-200", compare_at=900),
            ],
        )
    assert [(e.code, e.field) for e in err.value.errors] == [
        ("INVALID", "prices[2].compareAt"),
        ("UNKNOWN_SKU", "prices[1].sku"),
    ]
    assert await count(runtime, PriceRow) == 0
    assert await outbox(runtime) == []


async def test_a_scheduled_price_is_announced_once_when_it_starts(runtime: Runtime, shop: Catalog):
    await services.set_prices(
        runtime.uow(),
        actor=ACTOR,
        now=NOW,
        prices=[
            PriceInput(1_000_000, sku="PH-300"),
            PriceInput(
                900_000,
                sku="PH-300",
                starts_at=NOW + timedelta(hours=1),
                ends_at=NOW + timedelta(hours=5),
            ),
        ],
    )
    assert (await quote(runtime, ("PH-300", 1))).total == 1_000_000
    assert (await quote(runtime, ("PH-300", 1), at=NOW + timedelta(hours=2))).total == 900_000
    assert await services.announce_due(runtime.uow(), now=NOW + timedelta(minutes=30)) == []
    ticks = await asyncio.gather(
        *(services.announce_due(runtime.uow(), now=NOW + timedelta(hours=1)) for _ in range(4))
    )
    assert sorted(e.kind for t in ticks for e in t) == ["PRICE_STARTED"]
    later = await services.announce_due(runtime.uow(), now=NOW + timedelta(hours=6))
    assert [e.kind for e in later] == ["PRICE_ENDED"]
    kinds = [e["kind"] for e in await outbox(runtime)]
    assert kinds == ["PRICE_SET", "PRICE_SCHEDULED", "PRICE_STARTED", "PRICE_ENDED"]


async def test_a_catalogue_promotion_on_a_category_reaches_the_quote_and_shelf(
    runtime: Runtime, shop: Catalog
):
    await services.set_prices(
        runtime.uow(),
        actor=ACTOR,
        now=NOW,
        prices=[PriceInput(2_999_000, sku="HP-100"), PriceInput(7_999_000, sku="PH-300")],
    )
    pid = await services.create_promotion(
        runtime.uow(),
        actor=ACTOR,
        now=NOW,
        promotion=model.Promotion(
            id=0,
            name="Наушники -10%",
            kind=model.PromotionKind.PERCENT_OFF_ITEMS,
            percent_bp=1000,
            target=model.Target(category_ids=frozenset({shop.category["electronics"]})),
            channels=frozenset({Channel.POS}),
            location_ids=frozenset({7}),
        ),
    )
    pos = await quote(runtime, ("HP-100", 1), channel=Channel.POS, location_id=7)
    web = await quote(runtime, ("HP-100", 1))
    assert (pos.total, web.total) == (2_699_100, 2_999_000)
    assert pos.lines[0].discounts[0].promotion_name == "Наушники -10%"
    event = (await outbox(runtime))[-1]
    assert (event["kind"], event["subject"], event["shelf"], event["location_ids"]) == (
        "PROMOTION_CREATED",
        f"promotion:{pid}",
        True,
        [7],
    )
    assert event["variant_ids"] == sorted(shop.variant.values())
    async with runtime.session_factory() as s:
        shelf = await services.shelf_prices(
            s,
            [shop.variant["HP-100"], shop.variant["HP-101"]],
            channel=Channel.POS,
            location_id=7,
            at=NOW,
        )
    assert list(shelf) == [shop.variant["HP-100"]]
    assert (shelf[shop.variant["HP-100"]].amount, shelf[shop.variant["HP-100"]].compare_at) == (
        2_699_100,
        2_999_000,
    )

    await services.end_promotion(
        runtime.uow(), actor=ACTOR, promotion_id=pid, now=NOW + timedelta(minutes=1)
    )
    after = await quote(
        runtime, ("HP-100", 1), channel=Channel.POS, location_id=7, at=NOW + timedelta(minutes=2)
    )
    assert after.total == 2_999_000
    assert (await outbox(runtime))[-1]["kind"] == "PROMOTION_ENDED"


async def test_an_invalid_promotion_saves_nothing(runtime: Runtime, shop: Catalog):
    with pytest.raises(MultipleErrors):
        await services.create_promotion(
            runtime.uow(),
            actor=ACTOR,
            now=NOW,
            promotion=model.Promotion(
                id=0,
                name="x",
                kind=model.PromotionKind.PERCENT_OFF_ITEMS,
                percent_bp=15_000,
                starts_at=NOW,
                ends_at=NOW - timedelta(days=1),
            ),
        )
    assert await count(runtime, PromotionRow) == 0 and await outbox(runtime) == []


async def _voucher(runtime: Runtime, *, limit: int | None, per_customer: int | None = None) -> str:
    pid = await services.create_promotion(
        runtime.uow(),
        actor=ACTOR,
        now=NOW,
        promotion=model.Promotion(
            id=0,
            name="Код -500",
            kind=model.PromotionKind.SPEND_GET_OFF,
            amount=50_000,
            threshold=100_000,
            voucher_only=True,
        ),
    )
    await services.create_voucher(
        runtime.uow(),
        actor=ACTOR,
        voucher=model.Voucher(
            code="save500", promotion_id=pid, usage_limit=limit, per_customer_limit=per_customer
        ),
    )
    return "SAVE500"


# At most this many orders hold a transaction at once: enough for real contention on the voucher
# row, and within a PostgreSQL server shared with other test runs (max_connections 100).
IN_FLIGHT = asyncio.Semaphore(40)


async def _consume(runtime: Runtime, code: str, order_ref: str, customer_id: int | None = None):
    async with IN_FLIGHT:
        return await _consume_now(runtime, code, order_ref, customer_id)


async def _consume_now(runtime: Runtime, code: str, order_ref: str, customer_id: int | None):
    try:
        return await services.consume_vouchers(
            runtime.uow(), codes=[code], customer_id=customer_id, order_ref=order_ref
        )
    except VoucherRejected as exc:
        return exc.code


async def test_a_hundred_concurrent_orders_consume_a_ten_use_voucher_exactly_ten_times(
    runtime: Runtime, shop: Catalog
):
    code = await _voucher(runtime, limit=10)
    results = await asyncio.gather(*(_consume(runtime, code, f"order-{i}") for i in range(100)))
    assert sum(isinstance(r, list) for r in results) == 10
    assert sorted({r for r in results if isinstance(r, str)}) == ["VOUCHER_EXHAUSTED"]
    async with runtime.session_factory() as s:
        assert await s.scalar(select(VoucherRow.used)) == 10
    assert await count(runtime, VoucherRedemptionRow) == 10


async def test_the_per_customer_limit_holds_under_concurrency(runtime: Runtime, shop: Catalog):
    code = await _voucher(runtime, limit=None, per_customer=1)
    results = await asyncio.gather(*(_consume(runtime, code, f"o-{i}", 42) for i in range(20)))
    assert sum(isinstance(r, list) for r in results) == 1
    assert {r for r in results if isinstance(r, str)} == {"VOUCHER_CUSTOMER_LIMIT"}
    assert isinstance(await _consume(runtime, code, "o-other", 43), list)
    assert await _consume(runtime, code, "o-anon") == "VOUCHER_NEEDS_CUSTOMER"
    async with runtime.session_factory() as s:
        assert await s.scalar(select(VoucherRow.used)) == 2


async def test_consuming_again_for_the_same_order_is_a_replay_and_release_gives_back(
    runtime: Runtime, shop: Catalog
):
    code = await _voucher(runtime, limit=1)
    first = await _consume(runtime, code, "A-1")
    again = await _consume(runtime, code, "A-1")
    assert [c.replayed for c in first] == [False] and [c.replayed for c in again] == [True]
    assert await _consume(runtime, code, "B-1") == "VOUCHER_EXHAUSTED"
    assert await services.release_vouchers(runtime.uow(), order_ref="A-1") == 1
    assert await services.release_vouchers(runtime.uow(), order_ref="A-1") == 0
    assert isinstance(await _consume(runtime, code, "B-1"), list)


async def test_a_rolled_back_order_gives_its_voucher_use_back(runtime: Runtime, shop: Catalog):
    code = await _voucher(runtime, limit=5)
    uow = runtime.uow()
    async with uow:
        await services.consume_vouchers(uow, codes=[code], customer_id=None, order_ref="X")
        # the order fails later in the same transaction: no commit
    async with runtime.session_factory() as s:
        assert await s.scalar(select(VoucherRow.used)) == 0


async def test_a_quote_explains_a_voucher_and_the_tier_boundary(
    runtime: Runtime, shop: Catalog, monkeypatch: pytest.MonkeyPatch
):
    from domain.pricing.services import common

    async def gold(session, customer_id, at):
        return ("GOLD", 5) if customer_id == 9 else None

    monkeypatch.setattr(common, "tier_lookup", gold)
    await services.set_prices(
        runtime.uow(), actor=ACTOR, now=NOW, prices=[PriceInput(2_000_000, sku="PH-300")]
    )
    code = await _voucher(runtime, limit=10)
    q = await quote(runtime, ("PH-300", 1), voucher_codes=[code.lower(), "NOPE"], customer_id=9)
    assert [(v.code, v.reason) for v in q.vouchers] == [
        ("SAVE500", model.VoucherReason.ACCEPTED),
        ("NOPE", model.VoucherReason.VOUCHER_UNKNOWN),
    ]
    # 2 000 000 - 50 000 (code) = 1 950 000; GOLD 5 % of that = 97 500
    assert q.total == 1_852_500
    assert [d.promotion_name for d in q.lines[0].discounts] == ["Код -500", "Loyalty GOLD: 5% off"]


async def test_a_gold_customer_gets_the_loyalty_tier_discount_from_loyalty(
    runtime: Runtime, shop: Catalog
):
    from loyalty import services as loyalty

    customer = await loyalty.sign_up(
        runtime.uow(),
        email="gold@test.omni",
        password="correct-horse-battery",
        first_name="Анна",
        channel="WEB",
    )
    await loyalty.record_spend(
        runtime.uow(),
        customer,
        amount_minor=12_000_000,
        currency="RUB",
        occurred_at=NOW - timedelta(days=30),
        order_ref="past-1",
    )
    await services.set_prices(
        runtime.uow(), actor=ACTOR, now=NOW, prices=[PriceInput(1_000_000, sku="PH-300")]
    )
    q = await quote(runtime, ("PH-300", 1), customer_id=customer)
    assert [(d.promotion_name, d.amount) for d in q.lines[0].discounts] == [
        ("Loyalty GOLD: 5% off", 50_000)
    ]
    assert q.total == 950_000
