from __future__ import annotations

import asyncio
from typing import Any

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from api.app import create_app
from api.relay import encode_id
from domain.access.model import Role
from fulfillment.returns import services as returns
from fulfillment.returns.model import Disposition, ReturnReason
from tests.integration.returns.support import fulfil_all, scalar, staff
from tests.support.orders import make_world, place_order


async def test_store_staff_hear_returns_received_at_their_store(
    runtime: Any, staff_token: Any
) -> None:
    world = await make_world(runtime, stock={("HP-200", "S01"): 3})
    placed = await place_order(runtime, world, lines=[("HP-200", 1, "PICKUP", "S01")])
    await fulfil_all(runtime, placed.order_id)
    line_id = await scalar(runtime, "SELECT id FROM order_lines")
    s02 = world.locations["S02"]
    _, token = await staff_token(Role.CASHIER, [s02])
    app = create_app(runtime=runtime)
    async with (
        httpx.AsyncClient(transport=ASGIWebSocketTransport(app=app), base_url="http://test") as c,
        aconnect_ws("http://test/graphql", c, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": "subscription($l: ID!) { returnChanged(locationId: $l) { "
                    "status return { status refundTotal { amount } location { code } } } }",
                    "variables": {"l": str(encode_id("Location", s02))},
                },
            }
        )
        await asyncio.sleep(0.3)  # the resolver starts its stream after the message
        clerk = staff([s02])
        rid = await returns.create_return(
            runtime.uow(),
            clerk,
            order_id=placed.order_id,
            lines=[returns.ReturnLineRequest(line_id, 1, ReturnReason.CHANGED_MIND)],
            location_id=s02,
        )
        rl = await scalar(runtime, "SELECT id FROM return_lines")
        await returns.receive_return(
            runtime.uow(),
            clerk,
            return_id=rid,
            location_id=s02,
            lines=[returns.ReceiveLine(rl, Disposition.RESTOCK)],
        )
        got = [await asyncio.wait_for(ws.receive_json(), 10) for _ in range(2)]
    events = [g["payload"]["data"]["returnChanged"] for g in got]
    assert [e["status"] for e in events] == ["REQUESTED", "RECEIVED"]
    assert events[-1]["return"] == {
        "status": "RECEIVED",
        "refundTotal": {"amount": 349_000},
        "location": {"code": "S02"},
    }
