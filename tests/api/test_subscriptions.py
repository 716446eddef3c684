"""Subscriptions over graphql-transport-ws, in process and across two API processes."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from api.app import create_app
from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel, Role
from tests.conftest import REDIS_URL, TEST_SECRET
from tests.support.processes import api_servers

SUBSCRIBE = "subscription { accessEvents { kind subject actor } }"
CREATE_KEY = """mutation { apiKeyCreate(input: {name: "web 2", channel: WEB}) {
  userErrors { message } apiKey { id } } }"""


async def test_a_committed_change_reaches_a_websocket_subscriber(runtime: Runtime, staff_token):
    staff_id, admin = await staff_token(Role.ADMIN)
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app=app), base_url="http://test"
    ) as client:
        async with aconnect_ws(
            "http://test/graphql", client, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": admin}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            await asyncio.sleep(0.3)  # the resolver starts its stream after the message
            issued = await access.create_api_key(
                runtime.uow(),
                actor=f"staff:{staff_id}",
                name="till",
                channel=Channel.WEB,
                location_id=None,
            )
            message = await asyncio.wait_for(ws.receive_json(), 10)
    assert message == {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {
                "accessEvents": {
                    "kind": "API_KEY_CREATED",
                    "subject": f"api_key:{issued.id}",
                    "actor": f"staff:{staff_id}",
                }
            }
        },
    }


async def test_a_subscription_without_permission_is_refused(runtime: Runtime, staff_token):
    _, cashier = await staff_token(Role.MERCHANDISER)
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app=app), base_url="http://test"
    ) as client:
        async with aconnect_ws(
            "http://test/graphql", client, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": cashier}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            message = await asyncio.wait_for(ws.receive_json(), 10)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"] == {"code": "FORBIDDEN"}


@pytest.mark.slow
async def test_an_event_from_one_process_reaches_a_subscriber_on_another_through_redis(
    runtime: Runtime, staff_token, database_url: str, redis_prefix: str
):
    _, admin = await staff_token(Role.ADMIN)
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": redis_prefix,
        "SECRET_KEY": TEST_SECRET,
        "OMNI_DEV": "1",
    }
    async with api_servers(env) as (a, b):
        ws_url = a.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"authorization": admin}})
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps({"id": "s", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            )
            async with httpx.AsyncClient(base_url=b.url) as http:
                # The subscription has no "started" message in this protocol: create keys on B
                # until the first event arrives on A (normally the first one does).
                received = None
                for _ in range(20):
                    r = await http.post(
                        "/graphql", json={"query": CREATE_KEY}, headers={"authorization": admin}
                    )
                    assert r.json()["data"]["apiKeyCreate"]["userErrors"] == []
                    try:
                        received = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                        break
                    except TimeoutError:
                        continue
        assert received is not None, "no event reached the other process"
        assert received["type"] == "next"
        assert received["payload"]["data"]["accessEvents"]["kind"] == "API_KEY_CREATED"
