"""Cancellation gives back exactly what the order took."""

from __future__ import annotations

import pytest

from api.runtime import Runtime
from domain.shared.errors import DomainError
from fulfillment.model import TenderKind
from fulfillment.services import cancel
from fulfillment.services.tenders import TenderRequest
from tests.support.orders import (
    counters,
    enrol_customer,
    give_points,
    give_store_credit,
    make_voucher,
    make_world,
    place_order,
    pos_sale,
    scalar,
)

STAFF = None


def _admin(world):
    from domain.access.model import Principal, PrincipalKind, Role

    return Principal(kind=PrincipalKind.STAFF, role=Role.ADMIN, staff_user_id=1)


async def test_cancelling_the_whole_order_restores_stock_voucher_points_and_store_credit(
    runtime: Runtime,
) -> None:
    world = await make_world(runtime, stock={("HP-200", "WH"): 5, ("CB-400", "S01"): 4})
    customer = await enrol_customer(runtime)
    await give_points(runtime, customer, 1_000)
    await give_store_credit(runtime, customer, 200_000)
    code = await make_voucher(runtime)
    before = await counters(runtime, world, customer, code)

    placed = await place_order(
        runtime,
        world,
        lines=[("HP-200", 2, "SHIP"), ("CB-400", 1, "PICKUP", "S01")],
        customer_id=customer,
        vouchers=[code],
        tenders=[
            TenderRequest(TenderKind.POINTS, points=500),
            TenderRequest(TenderKind.STORE_CREDIT, amount=100_000),
            TenderRequest(TenderKind.CARD, reference="PSP-77"),
        ],
    )
    total = await scalar(runtime, "SELECT total FROM orders WHERE id = :i", i=placed.order_id)
    # 2 x 3 490 + 990 - 500 voucher = 7 470 roubles; delivery free over 5 000
    assert total == 2 * 349_000 + 99_000 - 50_000
    during = await counters(runtime, world, customer, code)
    assert during["voucher_used"] == 1
    assert during["store_credit"] == 100_000
    earned = await scalar(
        runtime, "SELECT points_earned FROM orders WHERE id = :i", i=placed.order_id
    )
    assert earned > 0
    assert during["points"] == 1_000 - 500 + earned

    result = await cancel.cancel_order(
        runtime.uow(), _admin(world), order_id=placed.order_id, quantities=None, reason="CUSTOMER"
    )
    assert result.order_cancelled and result.refunded == total
    assert await counters(runtime, world, customer, code) == before
    assert (
        await scalar(runtime, "SELECT status::text FROM orders WHERE id = :i", i=placed.order_id)
        == "CANCELLED"
    )
    assert (
        await scalar(
            runtime, "SELECT sum(amount) FROM order_refunds WHERE order_id = :i", i=placed.order_id
        )
        == total
    )


async def test_cancelling_in_two_steps_ends_exactly_where_one_step_would(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("HP-200", "WH"): 5})
    customer = await enrol_customer(runtime)
    before = await counters(runtime, world, customer, None)
    placed = await place_order(runtime, world, lines=[("HP-200", 3, "SHIP")], customer_id=customer)
    line = await scalar(
        runtime, "SELECT id FROM order_lines WHERE order_id = :i", i=placed.order_id
    )
    first = await cancel.cancel_order(
        runtime.uow(),
        _admin(world),
        order_id=placed.order_id,
        quantities={line: 1},
        reason="CUSTOMER",
    )
    assert not first.order_cancelled and first.quantities == {line: 1}
    assert await scalar(runtime, "SELECT committed FROM stock_levels") == 2
    second = await cancel.cancel_order(
        runtime.uow(), _admin(world), order_id=placed.order_id, quantities=None, reason="CUSTOMER"
    )
    total = await scalar(runtime, "SELECT total FROM orders WHERE id = :i", i=placed.order_id)
    assert first.refunded + second.refunded == total
    assert await counters(runtime, world, customer, None) == before


async def test_a_carried_out_sale_cannot_be_cancelled_and_nothing_changes(runtime: Runtime) -> None:
    world = await make_world(runtime, stock={("CB-400", "S01"): 4})
    sale = await pos_sale(runtime, world, "S01", lines=[("CB-400", 1)], client_sale_id="T-1")
    before = await counters(runtime, world, None, None)
    with pytest.raises(DomainError) as err:
        await cancel.cancel_order(
            runtime.uow(), _admin(world), order_id=sale.order_id, quantities=None, reason="CUSTOMER"
        )
    assert err.value.code == "NOT_CANCELLABLE"
    assert await counters(runtime, world, None, None) == before
    assert await scalar(runtime, "SELECT count(*) FROM order_refunds") == 0


async def test_a_voucher_with_one_use_left_goes_to_one_of_two_racing_checkouts(
    runtime: Runtime,
) -> None:
    import asyncio

    from fulfillment.services import checkout
    from tests.support.orders import build_cart, level

    world = await make_world(runtime, stock={("HP-200", "WH"): 5})
    code = await make_voucher(runtime, "ONCE", limit=1)
    carts = [
        await build_cart(runtime, world, lines=[("HP-200", 1, "SHIP")], vouchers=[code])
        for _ in range(2)
    ]
    results = await asyncio.gather(
        *(
            checkout.checkout_cart(
                runtime.uow(), p, ref, tenders=[TenderRequest(TenderKind.CARD, reference=f"P{i}")]
            )
            for i, (p, ref) in enumerate(carts)
        ),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1 and errors[0].code == "VOUCHER_EXHAUSTED"
    assert await scalar(runtime, "SELECT count(*) FROM orders") == 1
    # the loser's stock went back with its rollback: its cart hold is still a hold
    assert await level(runtime, world, "HP-200", "WH") == {
        "on_hand": 5,
        "committed": 1,
        "reserved": 1,
    }
    assert await scalar(runtime, "SELECT used FROM vouchers WHERE code = 'ONCE'") == 1
