"""Guessing a pickup code is stopped: after PICKUP_CODE_MAX_ATTEMPTS tries the code is locked
(even the right one is refused) until a store manager of the pickup store releases it; the
tries are counted in the fulfillment order's row, exactly, also when they come at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from strawberry import relay

from api.runtime import Runtime
from domain.access.model import Role
from fulfillment.model import FulfillmentMethod as M
from tests.conftest import GQL
from tests.integration.fulfillment.support import fo_row, order_state, place_order, stock
from tests.integration.inventory.support import figures, level, make_variants, snapshot

STEP = """mutation($input: {name}Input!) { {field}(input: $input) {
  userErrors { code field message } fulfillmentOrder { id status pickupCodeAttempts } } }"""


def step(field: str) -> str:
    return STEP.replace("{name}", field[0].upper() + field[1:]).replace("{field}", field)


PICK_UP = step("fulfillmentOrderPickUp")
UNLOCK = step("pickupCodeUnlock")
LOCKED = (
    "The pickup code of fulfillment order {id} is locked after 5 tries. A store manager of this "
    "store must check the customer's ID and release it (pickupCodeUnlock); then enter the code "
    "from the customer's app again."
)
WRONG = (
    "That pickup code does not match this order; ask the customer to open the order in their "
    "app and read the code again."
)


@pytest.fixture
async def ready(runtime: Runtime, gql: GQL, make_location: Any, staff_token: Any) -> Any:
    """A click-and-collect order READY_FOR_PICKUP at S1, and the people around it."""
    s1 = await make_location("S1", offers_pickup=True)
    s2 = await make_location("S2", offers_pickup=True)
    (tv,) = await make_variants(runtime, "TV-55")
    await stock(runtime, tv, s1, 3)
    placed = await place_order(runtime, [(tv, 1, M.PICKUP, s1)])
    (fo_id,) = placed.fo_ids
    _, manager = await staff_token(Role.STORE_MANAGER, [s1])
    _, cashier = await staff_token(Role.CASHIER, [s1])
    _, other_manager = await staff_token(Role.STORE_MANAGER, [s2])
    fo = str(relay.GlobalID("FulfillmentOrder", str(fo_id)))
    as_manager = gql.as_(authorization=manager)
    for name in ("fulfillmentOrderStart", "fulfillmentOrderMarkReady"):
        out = await as_manager(
            f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input) "
            "{ userErrors { code } } }",
            {"input": {"fulfillmentOrderId": fo}},
        )
        assert out[name]["userErrors"] == []
    code = (await fo_row(runtime, fo_id)).pickup_code
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    return {
        "fo": fo,
        "fo_id": fo_id,
        "code": code,
        "wrong": wrong,
        "tv": tv,
        "s1": s1,
        "order_id": placed.order_id,
        "manager": gql.as_(authorization=manager),
        "cashier": gql.as_(authorization=cashier),
        "other_manager": gql.as_(authorization=other_manager),
    }


async def _attempts(runtime: Runtime, fo_id: int) -> int:
    return (await fo_row(runtime, fo_id)).pickup_code_attempts


async def test_the_code_locks_after_five_tries_even_for_the_right_code_until_a_manager_releases_it(
    runtime: Runtime, ready
):
    r = ready
    before = await snapshot(runtime)

    async def pick(caller: GQL, code: str) -> dict[str, Any]:
        out = await caller(PICK_UP, {"input": {"fulfillmentOrderId": r["fo"], "code": code}})
        return dict(out["fulfillmentOrderPickUp"])

    for left in (4, 3, 2, 1):
        assert await pick(r["cashier"], r["wrong"]) == {
            "userErrors": [
                {
                    "code": "PICKUP_CODE_INVALID",
                    "field": "code",
                    "message": f"{WRONG} {left} tries left before the code locks.",
                }
            ],
            "fulfillmentOrder": None,
        }
    last = await pick(r["cashier"], r["wrong"])
    assert last["userErrors"][0]["message"] == (
        f"{WRONG} That was the last try: the code is now locked until a store manager "
        "releases it (pickupCodeUnlock)."
    )
    locked = {
        "userErrors": [
            {
                "code": "PICKUP_CODE_LOCKED",
                "field": "code",
                "message": LOCKED.format(id=r["fo_id"]),
            }
        ],
        "fulfillmentOrder": None,
    }
    assert await pick(r["cashier"], r["code"]) == locked  # the right code: still locked
    assert await pick(r["manager"], r["code"]) == locked
    assert await _attempts(runtime, r["fo_id"]) == 5
    assert await snapshot(runtime) == before  # no stock moved
    assert (await fo_row(runtime, r["fo_id"])).status.value == "READY_FOR_PICKUP"

    # a cashier cannot release it, nor a manager of another store
    refused = (await r["cashier"].raw(UNLOCK, {"input": {"fulfillmentOrderId": r["fo"]}})).json()
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = (await r["other_manager"](UNLOCK, {"input": {"fulfillmentOrderId": r["fo"]}}))[
        "pickupCodeUnlock"
    ]
    assert [e["code"] for e in other["userErrors"]] == ["FORBIDDEN"]
    assert await _attempts(runtime, r["fo_id"]) == 5

    released = (await r["manager"](UNLOCK, {"input": {"fulfillmentOrderId": r["fo"]}}))[
        "pickupCodeUnlock"
    ]
    assert released == {
        "userErrors": [],
        "fulfillmentOrder": {"id": r["fo"], "status": "READY_FOR_PICKUP", "pickupCodeAttempts": 0},
    }
    done = await pick(r["cashier"], r["code"])
    assert done["userErrors"] == [] and done["fulfillmentOrder"]["status"] == "PICKED_UP"
    assert await level(runtime, r["tv"], r["s1"]) == figures(on_hand=2)
    assert (await order_state(runtime, r["order_id"]))["status"] == "COMPLETED"


async def test_concurrent_wrong_tries_are_counted_exactly(runtime: Runtime, ready):
    r = ready
    before = await snapshot(runtime)
    outs = await asyncio.gather(
        *(
            r["cashier"](PICK_UP, {"input": {"fulfillmentOrderId": r["fo"], "code": r["wrong"]}})
            for _ in range(8)
        )
    )
    got = sorted(o["fulfillmentOrderPickUp"]["userErrors"][0]["code"] for o in outs)
    assert got == ["PICKUP_CODE_INVALID"] * 5 + ["PICKUP_CODE_LOCKED"] * 3
    assert await _attempts(runtime, r["fo_id"]) == 5
    assert await snapshot(runtime) == before
    # and three at once below the limit count three
    released = await r["manager"](UNLOCK, {"input": {"fulfillmentOrderId": r["fo"]}})
    assert released["pickupCodeUnlock"]["userErrors"] == []
    await asyncio.gather(
        *(
            r["cashier"](PICK_UP, {"input": {"fulfillmentOrderId": r["fo"], "code": r["wrong"]}})
            for _ in range(3)
        )
    )
    assert await _attempts(runtime, r["fo_id"]) == 3
