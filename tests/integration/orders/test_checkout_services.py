"""Checkout, POS and cancel through the services, against real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.runtime import Runtime
from domain.shared.errors import DomainError
from fulfillment.model import TenderKind
from fulfillment.services import carts, checkout
from fulfillment.services.holding import StockShortfall
from fulfillment.services.tenders import TenderRequest
from tests.support.orders import (
    ADDRESS,
    build_cart,
    cart_total,
    level,
    make_world,
    place_order,
    pos_sale,
    scalar,
)


async def test_web_ship_order_commits_held_stock_and_snapshots_prices(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-100", "WH"): 5})
    principal, ref = await build_cart(runtime, world, lines=[("HP-100", 2, "SHIP")])
    assert await level(runtime, world, "HP-100", "WH") == {
        "on_hand": 5,
        "committed": 0,
        "reserved": 2,
    }
    total = await cart_total(runtime, principal, ref)
    assert total == 2 * 2_999_000  # over the free-delivery threshold: no shipping
    placed = await checkout.checkout_cart(
        runtime.uow(), principal, ref, tenders=[TenderRequest(TenderKind.CARD, reference="PSP-1")]
    )
    assert placed.number.startswith("W-")
    assert await level(runtime, world, "HP-100", "WH") == {
        "on_hand": 5,
        "committed": 2,
        "reserved": 0,
    }
    assert (
        await scalar(runtime, "SELECT total FROM orders WHERE id = :i", i=placed.order_id) == total
    )
    assert (
        await scalar(
            runtime,
            "SELECT count(*) FROM fulfillment_orders WHERE order_id = :i",
            i=placed.order_id,
        )
        == 1
    )
    assert (
        await scalar(
            runtime, "SELECT sum(amount) FROM order_tenders WHERE order_id = :i", i=placed.order_id
        )
        == total
    )


async def test_checkout_short_of_stock_reports_the_line_and_changes_nothing(
    runtime: Runtime,
) -> None:
    world = await make_world(runtime, stock={("HP-100", "S02"): 1})
    principal, ref = await build_cart(runtime, world, lines=[("HP-100", 3, "SHIP")])
    before = await level(runtime, world, "HP-100", "S02")
    with pytest.raises(StockShortfall) as err:
        await checkout.checkout_cart(
            runtime.uow(),
            principal,
            ref,
            tenders=[TenderRequest(TenderKind.CARD, reference="PSP-1")],
        )
    assert err.value.shortfalls[0].wanted == 3
    assert await level(runtime, world, "HP-100", "S02") == before
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 0


async def test_pos_sale_replayed_is_recorded_once_even_past_an_empty_shelf(
    runtime: Runtime,
) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 1})
    at = datetime.now(UTC) - timedelta(hours=2)
    first = await pos_sale(
        runtime, world, "S01", lines=[("CB-400", 2)], client_sale_id="T1-1", occurred_at=at
    )
    again = await pos_sale(
        runtime, world, "S01", lines=[("CB-400", 2)], client_sale_id="T1-1", occurred_at=at
    )
    assert again.order_id == first.order_id and again.replayed
    assert (await level(runtime, world, "CB-400", "S01"))["on_hand"] == -1
    assert (
        await scalar(runtime, "SELECT needs_recount FROM orders WHERE id = :i", i=first.order_id)
        is True
    )


async def test_an_offline_sale_paid_at_stale_prices_is_recorded_with_the_difference(
    runtime: Runtime,
) -> None:
    """The till priced the sale from its cache; the server's price then differs. Online that
    is a TENDER_MISMATCH; offline the money already changed hands, so the sale is recorded and
    the difference is kept on the order for the back office."""
    world = await make_world(runtime, stock={("CB-400", "S01"): 5})
    card = [TenderRequest(TenderKind.CARD, amount=100_000, reference="TERM-77")]
    with pytest.raises(DomainError) as err:
        await pos_sale(
            runtime, world, "S01", lines=[("CB-400", 1)], client_sale_id="T1-7", tenders=card
        )
    assert err.value.code == "TENDER_MISMATCH"
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 0
    assert (await level(runtime, world, "CB-400", "S01"))["on_hand"] == 5

    at = datetime.now(UTC) - timedelta(hours=3)
    placed = await pos_sale(
        runtime,
        world,
        "S01",
        lines=[("CB-400", 1)],
        client_sale_id="T1-8",
        occurred_at=at,
        tenders=card,
    )
    total = await scalar(runtime, "SELECT total FROM orders WHERE id = :i", i=placed.order_id)
    discrepancy = await scalar(
        runtime, "SELECT payment_discrepancy FROM orders WHERE id = :i", i=placed.order_id
    )
    paid = await scalar(
        runtime, "SELECT amount FROM order_tenders WHERE order_id = :i", i=placed.order_id
    )
    assert total != 100_000
    assert (paid, discrepancy) == (100_000, 100_000 - total)
    assert (await level(runtime, world, "CB-400", "S01"))["on_hand"] == 4


async def test_an_offline_sale_is_recorded_when_its_points_or_voucher_are_gone(
    runtime: Runtime,
) -> None:
    """The till took 500 points and a voucher while offline; by the replay the customer has
    100 points and the voucher's last use went to a web order. The sale is still recorded at
    the server's price: neither is taken, review notes say why, and the payment discrepancy is
    what the back office has to settle."""
    from fulfillment.services import pos
    from tests.support.orders import enrol_customer, give_points, make_voucher

    world = await make_world(runtime, stock={("HP-200", "S01"): 5, ("HP-200", "WH"): 5})
    member = await enrol_customer(runtime)
    await give_points(runtime, member, 100)
    code = await make_voucher(runtime, "LAST1", amount=50_000, threshold=100_000, limit=1)
    await place_order(runtime, world, lines=[("HP-200", 1)], vouchers=[code])
    till = world.till("S01")
    sold_at = datetime.now(UTC) - timedelta(hours=1)
    placed = await pos.complete_sale(
        runtime.uow(),
        till,
        pos.PosSale(
            client_sale_id="T1-OFF-1",
            lines=(pos.SaleLine(world.variants["HP-200"], 1),),
            tenders=(
                TenderRequest(TenderKind.POINTS, points=500),
                TenderRequest(TenderKind.CARD, amount=249_000, reference="TERM-9"),
            ),
            occurred_at=sold_at,
            customer_id=member,
            voucher_codes=(code,),
            offline=pos.OfflineDeclaration(since=sold_at - timedelta(minutes=10)),
        ),
    )
    total = await scalar(runtime, "SELECT total FROM orders WHERE id = :i", i=placed.order_id)
    assert total == 349_000  # no voucher discount: its last use was gone
    notes = await scalar(
        runtime, "SELECT review_notes FROM orders WHERE id = :i", i=placed.order_id
    )
    assert [n.split(":")[0] for n in notes] == [
        "voucher LAST1 not honoured",
        "POINTS tender of 500.00 not taken",
    ]
    assert (
        await scalar(
            runtime, "SELECT payment_discrepancy FROM orders WHERE id = :i", i=placed.order_id
        )
        == 249_000 - 349_000
    )
    assert await scalar(
        runtime,
        "SELECT array_agg(kind::text) FROM order_tenders WHERE order_id = :i",
        i=placed.order_id,
    ) == ["CARD"]
    earned = await scalar(
        runtime, "SELECT points_earned FROM orders WHERE id = :i", i=placed.order_id
    )
    assert earned > 0
    # nothing redeemed: the balance is what she had plus what this sale earned
    assert (
        await scalar(
            runtime, "SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=member
        )
        == 100 + earned
    )
    assert await scalar(runtime, "SELECT used FROM vouchers WHERE code = :c", c=code) == 1
    assert (await level(runtime, world, "HP-200", "S01"))["on_hand"] == 4


async def test_tenders_must_cover_the_total(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-200", "WH"): 5})
    principal, ref = await build_cart(runtime, world, lines=[("HP-200", 1, "SHIP")])
    with pytest.raises(DomainError) as err:
        await checkout.checkout_cart(
            runtime.uow(),
            principal,
            ref,
            tenders=[TenderRequest(TenderKind.CARD, amount=100_000, reference="PSP-1")],
        )
    assert err.value.code == "TENDER_MISMATCH"
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 0


async def test_a_till_cart_with_a_member_sells_carry_out_at_tender(runtime: Runtime) -> None:
    from tests.support.orders import enrol_customer

    world = await make_world(runtime, stock={("HP-100", "S01"): 2, ("CB-400", "WH"): 3})
    member = await enrol_customer(runtime)
    till = world.till("S01")
    _, token = await carts.create_cart(runtime.uow(), till)
    ref = carts.CartRef(token=token)
    await carts.attach_customer(runtime.uow(), till, ref, customer_id=member)
    await carts.add_lines(
        runtime.uow(),
        till,
        ref,
        [
            carts.NewLine(world.variants["HP-100"], 1, carts.FulfillmentMethod.CARRY_OUT),
            carts.NewLine(world.variants["CB-400"], 1, carts.FulfillmentMethod.SHIP),
        ],
    )
    await carts.set_shipping(runtime.uow(), till, ref, address=dict(ADDRESS), method="POST")
    # carry-out is not held; the endless-aisle line is
    assert await level(runtime, world, "HP-100", "S01") == {
        "on_hand": 2,
        "committed": 0,
        "reserved": 0,
    }
    assert await level(runtime, world, "CB-400", "WH") == {
        "on_hand": 3,
        "committed": 0,
        "reserved": 1,
    }
    placed = await checkout.checkout_cart(
        runtime.uow(), till, ref, tenders=[TenderRequest(TenderKind.CASH, tendered=4_000_000)]
    )
    assert placed.number.startswith("S01-")
    assert await level(runtime, world, "HP-100", "S01") == {
        "on_hand": 1,
        "committed": 0,
        "reserved": 0,
    }
    assert await level(runtime, world, "CB-400", "WH") == {
        "on_hand": 3,
        "committed": 1,
        "reserved": 0,
    }
    row = await scalar(
        runtime,
        "SELECT status::text || ' ' || points_earned || ' ' || (SELECT change FROM order_tenders "
        "WHERE order_id = orders.id) FROM orders WHERE id = :i",
        i=placed.order_id,
    )
    # 29 990 + 990 = 30 980 RUB, free post over 3 000; cash 40 000 -> change 9 020
    # points per 100 RUB: 29 990 x 2 (headphones) + 990 x 1.5 (accessories) = 614.65 -> 614
    assert row == "PLACED 614 902000"


async def test_a_cart_whose_hold_was_swept_is_sourced_again_at_checkout(runtime: Runtime) -> None:
    from inventory.services.holds import sweep_expired

    world = await make_world(runtime, stock={("HP-200", "WH"): 2})
    principal, ref = await build_cart(runtime, world, lines=[("HP-200", 2, "SHIP")])
    async with runtime.engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(text("UPDATE stock_holds SET expires_at = now() - interval '1 minute'"))
    assert await sweep_expired(runtime.uow) == 1
    assert await level(runtime, world, "HP-200", "WH") == {
        "on_hand": 2,
        "committed": 0,
        "reserved": 0,
    }
    placed = await checkout.checkout_cart(
        runtime.uow(), principal, ref, tenders=[TenderRequest(TenderKind.CARD, reference="P")]
    )
    assert await level(runtime, world, "HP-200", "WH") == {
        "on_hand": 2,
        "committed": 2,
        "reserved": 0,
    }
    assert (
        await scalar(
            runtime,
            "SELECT count(*) FROM stock_holds WHERE status = 'COMMITTED' AND owner_ref = :o",
            o=f"order:{placed.number}",
        )
        == 1
    )


async def test_carts_with_the_same_items_in_opposite_orders_check_out_side_by_side(
    runtime: Runtime,
) -> None:
    import asyncio

    world = await make_world(runtime, stock={("HP-200", "WH"): 40, ("CB-400", "WH"): 40})
    pairs = []
    for i in range(20):
        lines = [("HP-200", 1, "SHIP"), ("CB-400", 1, "SHIP")]
        pairs.append(await build_cart(runtime, world, lines=lines if i % 2 else lines[::-1]))
    placed = await asyncio.gather(
        *(
            checkout.checkout_cart(
                runtime.uow(), p, ref, tenders=[TenderRequest(TenderKind.CARD, reference="P")]
            )
            for p, ref in pairs
        )
    )
    assert len({p.number for p in placed}) == 20
    for sku in ("HP-200", "CB-400"):
        assert await level(runtime, world, sku, "WH") == {
            "on_hand": 40,
            "committed": 20,
            "reserved": 0,
        }
