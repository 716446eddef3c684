"""Exchanges at a store: the returned goods pay for the new ones; stock moves both ways."""

from __future__ import annotations

import pytest

from api.runtime import Runtime
from domain.shared.errors import ValidationFailed
from fulfillment.model import TenderKind
from fulfillment.returns import services as returns
from fulfillment.returns.model import Disposition, ReturnReason
from fulfillment.services.tenders import TenderRequest
from tests.integration.returns.support import rows, scalar, staff
from tests.support.orders import World, enrol_customer, level, make_world, pos_sale


async def _sold(runtime: Runtime, sku: str) -> tuple[World, int, int, int]:
    world = await make_world(runtime, stock={("HP-200", "S01"): 3, ("HP-100", "S01"): 3})
    cid = await enrol_customer(runtime)
    sale = await pos_sale(
        runtime, world, "S01", lines=[(sku, 1)], client_sale_id="T1-1", customer_id=cid
    )
    line_id = await scalar(
        runtime, "SELECT id FROM order_lines WHERE order_id = :o", o=sale.order_id
    )
    return world, cid, sale.order_id, line_id


async def test_exchange_for_dearer_goods_charges_the_difference(runtime: Runtime) -> None:
    world, cid, order_id, line_id = await _sold(runtime, "HP-200")
    s01 = world.locations["S01"]
    hp200, hp100 = (
        await level(runtime, world, "HP-200", "S01"),
        await level(runtime, world, "HP-100", "S01"),
    )
    done = await returns.create_exchange(
        runtime.uow(),
        staff([s01]),
        order_id=order_id,
        location_id=s01,
        returning=[
            returns.ExchangeReturnLine(line_id, 1, ReturnReason.DOES_NOT_FIT, Disposition.RESTOCK)
        ],
        new_lines=[returns.NewLine(world.variants["HP-100"], 1)],
        tenders=[TenderRequest(TenderKind.CARD, reference="PSP-9")],
    )
    assert (done.returned_value, done.new_total, done.charged, done.refunded) == (
        349_000,
        2_999_000,
        2_650_000,
        0,
    )
    assert (await level(runtime, world, "HP-200", "S01"))["on_hand"] == hp200["on_hand"] + 1
    assert (await level(runtime, world, "HP-100", "S01"))["on_hand"] == hp100["on_hand"] - 1
    assert await rows(
        runtime,
        "SELECT kind::text, amount FROM order_tenders WHERE order_id = :o ORDER BY id",
        o=done.order_id,
    ) == [("STORE_CREDIT", 349_000), ("CARD", 2_650_000)]
    assert await rows(
        runtime,
        "SELECT reason::text, kind::text, amount FROM order_refunds WHERE order_id = :o",
        o=order_id,
    ) == [("EXCHANGE", "STORE_CREDIT", 349_000)]
    assert (
        await scalar(
            runtime, "SELECT balance FROM store_credit_accounts WHERE customer_id = :c", c=cid
        )
        == 0
    )
    assert await rows(
        runtime, "SELECT status::text, exchange_order_id, refund_total FROM returns"
    ) == [("RECEIVED", done.order_id, 349_000)]


async def test_exchange_for_cheaper_goods_refunds_the_difference_to_the_original_tender(
    runtime: Runtime,
) -> None:
    world, cid, order_id, line_id = await _sold(runtime, "HP-100")
    s01 = world.locations["S01"]
    done = await returns.create_exchange(
        runtime.uow(),
        staff([s01]),
        order_id=order_id,
        location_id=s01,
        returning=[
            returns.ExchangeReturnLine(line_id, 1, ReturnReason.CHANGED_MIND, Disposition.RESTOCK)
        ],
        new_lines=[returns.NewLine(world.variants["HP-200"], 1)],
    )
    assert (done.charged, done.refunded) == (0, 2_650_000)
    assert await rows(
        runtime,
        "SELECT reason::text, kind::text, amount FROM order_refunds "
        "WHERE order_id = :o ORDER BY id",
        o=order_id,
    ) == [("EXCHANGE", "STORE_CREDIT", 349_000), ("RETURN", "CASH", 2_650_000)]
    assert await rows(
        runtime, "SELECT kind::text, amount FROM order_tenders WHERE order_id = :o", o=done.order_id
    ) == [("STORE_CREDIT", 349_000)]
    assert (
        await scalar(
            runtime, "SELECT balance FROM store_credit_accounts WHERE customer_id = :c", c=cid
        )
        == 0
    )


async def test_an_exchange_without_a_tender_for_the_difference_changes_nothing(
    runtime: Runtime,
) -> None:
    world, _, order_id, line_id = await _sold(runtime, "HP-200")
    s01 = world.locations["S01"]
    before = await rows(runtime, "SELECT variant_id, on_hand FROM stock_levels ORDER BY 1, 2")
    with pytest.raises(ValidationFailed) as err:
        await returns.create_exchange(
            runtime.uow(),
            staff([s01]),
            order_id=order_id,
            location_id=s01,
            returning=[
                returns.ExchangeReturnLine(
                    line_id, 1, ReturnReason.DOES_NOT_FIT, Disposition.RESTOCK
                )
            ],
            new_lines=[returns.NewLine(world.variants["HP-100"], 1)],
        )
    assert err.value.field == "tenders"
    assert (
        await rows(runtime, "SELECT variant_id, on_hand FROM stock_levels ORDER BY 1, 2") == before
    )
    assert await scalar(runtime, "SELECT count(*) FROM returns") == 0
    assert await scalar(runtime, "SELECT count(*) FROM order_refunds") == 0
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 1
    assert await scalar(runtime, "SELECT count(*) FROM store_credit_entries") == 0
