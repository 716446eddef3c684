"""Issue 20.2: a category's loyalty bonus covers its subcategories, in earning, in reversal on
return and in the programme the storefront publishes."""

from __future__ import annotations

from sqlalchemy import text

from api.runtime import Runtime
from fulfillment.returns import services as returns
from fulfillment.returns.model import Disposition, ReturnReason
from fulfillment.returns.services import ReceiveLine, ReturnLineRequest
from tests.conftest import GQL
from tests.integration.returns.support import fulfil_all, rows, scalar, staff
from tests.support.orders import World, enrol_customer, make_world, place_order

PROGRAMME = "{ loyaltyProgramme { categoryBonuses { category multiplier subcategories } } }"


async def _charger_world(runtime: Runtime) -> World:
    """CB-400 moves from "accessories" to its child "chargers" (as in the demo catalogue)."""
    world = await make_world(runtime, stock={("CB-400", "WH"): 20, ("HP-200", "WH"): 5})
    async with runtime.engine.begin() as conn:
        chargers = (
            await conn.execute(
                text(
                    "INSERT INTO categories (name, slug, position, parent_id) "
                    "SELECT 'Зарядные устройства', 'chargers', 0, id FROM categories "
                    "WHERE slug = 'accessories' RETURNING id"
                )
            )
        ).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO categories (name, slug, position, parent_id) "
                "VALUES ('Быстрые', 'fast-chargers', 0, :c)"
            ),
            {"c": chargers},
        )
        await conn.execute(
            text(
                "UPDATE products SET category_id = :c "
                "WHERE id = (SELECT product_id FROM variants WHERE id = :v)"
            ),
            {"c": chargers, "v": world.variants["CB-400"]},
        )
    return world


async def _give_back(
    runtime: Runtime, world: World, cid: int, order_id: int, line_id: int, quantity: int
) -> int:
    """Return ``quantity`` units of one order line and receive them; the points reversed."""
    rid = await returns.create_return(
        runtime.uow(),
        world.principal("APP", customer_id=cid),
        order_id=order_id,
        lines=[ReturnLineRequest(line_id, quantity, ReturnReason.CHANGED_MIND)],
    )
    (rl,) = [
        r[0] for r in await rows(runtime, "SELECT id FROM return_lines WHERE return_id = :r", r=rid)
    ]
    await returns.receive_return(
        runtime.uow(),
        staff([world.locations["WH"]]),
        return_id=rid,
        location_id=world.locations["WH"],
        lines=[ReceiveLine(rl, Disposition.RESTOCK)],
    )
    return int(await scalar(runtime, "SELECT points_reversed FROM returns WHERE id = :r", r=rid))


async def test_the_programme_says_which_subcategories_a_bonus_covers(runtime: Runtime, gql: GQL):
    await _charger_world(runtime)
    data = await gql(PROGRAMME)
    assert data["loyaltyProgramme"]["categoryBonuses"] == [
        {
            "category": "accessories",
            "multiplier": 1.5,
            "subcategories": ["chargers", "fast-chargers"],
        },
        {"category": "headphones", "multiplier": 2.0, "subcategories": []},
    ]


async def test_a_charger_earns_the_accessories_bonus_and_a_return_reverses_exactly_that(
    runtime: Runtime,
):
    world = await _charger_world(runtime)
    cid = await enrol_customer(runtime)
    # 10 x 990 RUB = 9 900 RUB: 99 base points x 1.5 (accessories, parent of chargers) = 148.5
    placed = await place_order(runtime, world, lines=[("CB-400", 10, "SHIP")], customer_id=cid)
    assert await rows(
        runtime, "SELECT total, points_earned FROM orders WHERE id = :o", o=placed.order_id
    ) == [(990_000, 148)]
    balance = "SELECT balance FROM loyalty_accounts WHERE customer_id = :c"
    assert await scalar(runtime, balance, c=cid) == 148
    await fulfil_all(runtime, placed.order_id)
    line_id = await scalar(
        runtime, "SELECT id FROM order_lines WHERE order_id = :o", o=placed.order_id
    )

    assert (
        await _give_back(runtime, world, cid, placed.order_id, line_id, 4) == 59
    )  # 148 x 4/10 = 59.2
    assert await scalar(runtime, balance, c=cid) == 148 - 59
    assert (
        await _give_back(runtime, world, cid, placed.order_id, line_id, 6) == 89
    )  # the rest: all 148 taken back, not one point more
    assert await scalar(runtime, balance, c=cid) == 0


async def test_a_mixed_basket_earns_each_line_by_its_nearest_category_rule(runtime: Runtime):
    world = await _charger_world(runtime)
    cid = await enrol_customer(runtime)
    # HP-200 sits in "headphones" (x2); the charger in chargers < accessories (x1.5).
    placed = await place_order(
        runtime, world, lines=[("CB-400", 2, "SHIP"), ("HP-200", 1, "SHIP")], customer_id=cid
    )
    # 1 980 RUB -> 19.8 x 1.5 = 29.7; 3 490 RUB -> 34.9 x 2 = 69.8; 99.5 rounded down once
    assert (
        await scalar(runtime, "SELECT points_earned FROM orders WHERE id = :o", o=placed.order_id)
        == 99
    )
    await fulfil_all(runtime, placed.order_id)
    charger, phones = [
        r[0]
        for r in await rows(
            runtime,
            "SELECT id FROM order_lines WHERE order_id = :o ORDER BY line_no",
            o=placed.order_id,
        )
    ]
    # The chargers earned 29.7 of the 99.5: returning them takes back 29 (by money alone it
    # would be 99 x 1 980 / 5 470 = 35); the last return takes the rest.
    assert await _give_back(runtime, world, cid, placed.order_id, charger, 2) == 29
    assert await _give_back(runtime, world, cid, placed.order_id, phones, 1) == 70
    balance = "SELECT balance FROM loyalty_accounts WHERE customer_id = :c"
    assert await scalar(runtime, balance, c=cid) == 0
