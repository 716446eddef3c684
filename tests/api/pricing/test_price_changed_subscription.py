"""priceChanged(locationId): shelf labels hear about changes that affect their store only."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from api.app import create_app
from api.relay import encode_id
from api.runtime import Runtime
from domain.access.model import Channel, Role
from domain.pricing import model, services
from domain.pricing.services import PriceInput, utcnow

SUBSCRIBE = """subscription($loc: ID!) { priceChanged(locationId: $loc) {
  kind subject variantIds } }"""


async def _listen(runtime: Runtime, token: str, location: int, act, *, expect: int):
    app = create_app(runtime=runtime)
    async with (
        httpx.AsyncClient(
            transport=ASGIWebSocketTransport(app=app), base_url="http://test"
        ) as client,
        aconnect_ws("http://test/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": SUBSCRIBE,
                    "variables": {"loc": str(encode_id("Location", location))},
                },
            }
        )
        await asyncio.sleep(0.3)  # the resolver starts its stream after the message
        await act()
        return [await asyncio.wait_for(ws.receive_json(), 10) for _ in range(expect)]


async def test_store_labels_hear_price_and_promotion_changes_for_their_store(
    runtime: Runtime, staff_token, make_location, shop
):
    here, there = await make_location("S01"), await make_location("S02")
    _, manager = await staff_token(Role.STORE_MANAGER, [here])
    hp = shop.variant["HP-100"]
    actor = "staff:1"

    async def act() -> None:
        online = frozenset({Channel.WEB, Channel.APP})
        await services.set_prices(
            runtime.uow(), actor=actor, prices=[PriceInput(100, sku="HP-100", channels=online)]
        )  # not on shelves: silent
        await services.create_promotion(
            runtime.uow(),
            actor=actor,
            promotion=model.Promotion(
                id=0,
                name="Other store",
                kind=model.PromotionKind.PERCENT_OFF_ITEMS,
                percent_bp=500,
                target=model.Target(variant_ids=frozenset({hp})),
                location_ids=frozenset({there}),
            ),
        )
        await services.set_prices(
            runtime.uow(),
            actor=actor,
            prices=[PriceInput(2_999_000, sku="HP-100", starts_at=utcnow() + timedelta(hours=1))],
        )
        await services.create_promotion(
            runtime.uow(),
            actor=actor,
            promotion=model.Promotion(
                id=0,
                name="Here",
                kind=model.PromotionKind.PERCENT_OFF_ITEMS,
                percent_bp=500,
                target=model.Target(variant_ids=frozenset({hp})),
                location_ids=frozenset({here}),
            ),
        )
        await services.announce_due(runtime.uow(), now=utcnow() + timedelta(hours=2))

    messages = await _listen(runtime, manager, here, act, expect=2)
    got = [m["payload"]["data"]["priceChanged"] for m in messages]
    gid = str(encode_id("Variant", hp))
    assert [(g["kind"], g["variantIds"]) for g in got] == [
        ("PROMOTION_CREATED", [gid]),
        ("PRICE_STARTED", [gid]),
    ]
    assert got[0]["subject"] == "promotion:2"


async def test_staff_of_another_store_may_not_listen(runtime: Runtime, staff_token, make_location):
    here, there = await make_location("S01"), await make_location("S02")
    _, manager = await staff_token(Role.STORE_MANAGER, [there])
    app = create_app(runtime=runtime)
    async with (
        httpx.AsyncClient(
            transport=ASGIWebSocketTransport(app=app), base_url="http://test"
        ) as client,
        aconnect_ws("http://test/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"authorization": manager}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": SUBSCRIBE,
                    "variables": {"loc": str(encode_id("Location", here))},
                },
            }
        )
        message = await asyncio.wait_for(ws.receive_json(), 10)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"] == {"code": "FORBIDDEN"}
