"""A customer merge moves the duplicate's orders and carts to the survivor."""

from __future__ import annotations

from api.runtime import Runtime
from loyalty.services import merge_customers
from tests.support.orders import build_cart, enrol_customer, make_world, place_order, scalar


async def test_merge_moves_orders_and_open_carts(runtime: Runtime) -> None:
    from fulfillment.merge import move_orders
    from loyalty.services import register_merge_step

    # The API registers it at startup; registered again here because another test may have
    # unregistered a step of that name for its own purposes.
    register_merge_step("orders", move_orders)

    world = await make_world(runtime, stock={("HP-200", "WH"): 5}, keys=False)
    survivor = await enrol_customer(runtime, "+79160000011")
    duplicate = await enrol_customer(runtime, "+79160000012")
    placed = await place_order(runtime, world, lines=[("HP-200", 1)], customer_id=duplicate)
    await build_cart(runtime, world, lines=[("HP-200", 1)], customer_id=duplicate)
    result = await merge_customers(
        runtime.uow(), survivor_id=survivor, duplicate_id=duplicate, actor="test"
    )
    assert (result.moved["orders"], result.moved["carts"]) == (1, 2)  # checked out + open
    assert (
        await scalar(runtime, "SELECT customer_id FROM orders WHERE id = :i", i=placed.order_id)
        == survivor
    )
    assert (
        await scalar(runtime, "SELECT count(*) FROM carts WHERE customer_id = :c", c=duplicate) == 0
    )


async def test_erasure_keeps_orders_without_contact_details(runtime: Runtime) -> None:
    from loyalty.services import erase_customer

    world = await make_world(runtime, stock={("HP-200", "WH"): 5}, keys=False)
    customer = await enrol_customer(runtime, "+79160000013")
    placed = await place_order(runtime, world, lines=[("HP-200", 1)], customer_id=customer)
    before = await scalar(
        runtime, "SELECT ship_address IS NOT NULL FROM orders WHERE id = :i", i=placed.order_id
    )
    assert before is True
    erased = await erase_customer(runtime.uow(), customer, actor="admin:1")
    assert erased.steps is not None and erased.steps["orders"] == 2  # the order + its cart
    assert await scalar(
        runtime,
        "SELECT (email, phone, ship_address) IS NULL AND total > 0 FROM orders WHERE id = :i",
        i=placed.order_id,
    )
    assert (
        await scalar(runtime, "SELECT count(*) FROM orders WHERE customer_id = :c", c=customer) == 1
    )
