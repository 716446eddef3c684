"""Pathological request bodies get HTTP 400 with a message (never a 500), and websocket messages
are capped like HTTP bodies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from api.app import create_app
from api.runtime import Runtime
from domain.access.model import Role

NOT_JSON = (
    'The request body is not valid JSON ({reason}). Send a UTF-8 JSON object: {{"query": '
    '"...", "variables": {{...}}}}.'
)

BODIES = {
    "50,000 nested arrays": (
        b"[" * 50_000 + b"]" * 50_000,
        NOT_JSON.format(reason="depth limit exceeded: line 1 column 1026 (char 1025)"),
    ),
    "5,000 nested objects": (
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        NOT_JSON.format(reason="depth limit exceeded: line 1 column 5122 (char 5121)"),
    ),
    "invalid UTF-8": (
        b'{"query": "{ viewer { role } }", "operationName": "\xff\xfe"}',
        NOT_JSON.format(
            reason="str is not valid UTF-8: surrogates not allowed: line 1 column 1 (char 0)"
        ),
    ),
    "a JSON string": (
        b'"{ viewer { role } }"',
        'The request body is a JSON string, not an object. Send {"query": "...", '
        '"variables": {...}}.',
    ),
    "a JSON number": (
        b"42",
        'The request body is a JSON number, not an object. Send {"query": "...", '
        '"variables": {...}}.',
    ),
    "null": (
        b"null",
        'The request body is a JSON null, not an object. Send {"query": "...", '
        '"variables": {...}}.',
    ),
    "variables nested 100 deep": (
        b'{"query": "{ viewer { role } }", "variables": {"v": ' + b"[" * 100 + b"]" * 100 + b"}}",
        "The request body nests arrays or objects more than 64 deep; flatten the variables.",
    ),
    "a batch of strings": (
        b'["{ viewer { role } }"]',
        "Each operation of a batch must be a JSON object.",
    ),
}


@pytest.mark.parametrize("case", list(BODIES))
@pytest.mark.parametrize("production", [True, False], ids=["production", "development"])
async def test_a_pathological_body_is_a_400_with_a_message(
    runtime: Runtime, case: str, production: bool, count_queries
) -> None:
    settings = runtime.settings.model_copy(update={"dev_mode": not production})
    app = create_app(settings, runtime=runtime)
    body, message = BODIES[case]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        before = count_queries.count
        response = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
        assert (response.status_code, response.text) == (400, message)
        assert count_queries.in_requests(before) == []
        # and the next request is served as usual
        ok = await client.post("/graphql", json={"query": "{ viewer { role } }"})
        assert ok.json() == {"data": {"viewer": {"role": "ANONYMOUS"}}}


SUBSCRIBE = "subscription { accessEvents { kind subject actor } }"


@contextlib.asynccontextmanager
async def _signed_in_socket(runtime: Runtime, admin: str) -> AsyncIterator[Any]:
    """A graphql-transport-ws connection to a fresh app, acknowledged for ``admin``."""
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app=app), base_url="http://test"
    ) as client:
        async with aconnect_ws(
            "http://test/graphql", client, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": admin}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            yield ws


async def _subscribe(runtime: Runtime, admin: str, payload: dict) -> dict:
    """Opens a socket, sends a subscribe message; returns what the server did."""
    async with _signed_in_socket(runtime, admin) as ws:
        await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        await ws.send_json({"type": "ping"})
        try:
            reply = await asyncio.wait_for(ws.receive_json(), 10)
        except WebSocketDisconnect as closed:
            return {"closed": closed.code, "reason": closed.reason}
        return {"reply": reply}


async def test_a_websocket_message_over_the_body_cap_closes_the_socket_with_a_reason(
    runtime: Runtime, staff_token
) -> None:
    _, admin = await staff_token(Role.ADMIN)
    limit = runtime.settings.max_body_bytes
    big = {"query": SUBSCRIBE, "variables": {"pad": "x" * limit}}
    assert await _subscribe(runtime, admin, big) == {
        "closed": 1009,
        "reason": f"Message over {limit} bytes; send smaller messages.",
    }
    # a message under the cap is served: the ping after the subscribe is answered
    small = {"query": SUBSCRIBE, "variables": {"pad": "x" * 1000}}
    assert await _subscribe(runtime, admin, small) == {"reply": {"type": "pong"}}


@pytest.mark.parametrize(
    "message",
    [
        '"subscribe"',
        '["subscribe"]',
        "null",
        '{"type": "ping", "payload": ' + "[" * 100 + "]" * 100 + "}",
    ],
    ids=["a string", "a list", "null", "nested 100 deep"],
)
async def test_a_websocket_message_that_is_not_a_json_object_closes_with_4400(
    runtime: Runtime, staff_token, message: str
) -> None:
    _, admin = await staff_token(Role.ADMIN)
    async with _signed_in_socket(runtime, admin) as ws:
        await ws.send_text(message)
        with pytest.raises(WebSocketDisconnect) as closed:
            await asyncio.wait_for(ws.receive_json(), 10)
    assert (closed.value.code, closed.value.reason) == (
        4400,
        "WebSocket message must be valid JSON",
    )
