"""Trusted documents (persisted queries): registered once, sent by id, parsed and validated once
per process (issue 14.2)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from sqlalchemy import func, select, text
from strawberry.extensions import parser_cache

import api.limits
import api.trusted_documents
from api.app import create_app
from api.runtime import Runtime
from domain.access.model import Role
from domain.access.tables import ApiKeyRow, TrustedDocumentRow
from tests.conftest import REDIS_URL, TEST_SECRET
from tests.support.processes import api_servers

VIEWER = "query Viewer { viewer { role channel } }"
VIEWER_ID = "sha256:" + hashlib.sha256(VIEWER.encode()).hexdigest()
KEY_CREATE = (
    'mutation KeyCreate { apiKeyCreate(input: {name: "by GET", channel: WEB}) '
    "{ userErrors { code } key } }"
)
SUBSCRIBE = "subscription { accessEvents { kind } }"
REGISTER = """
mutation Register($documents: [TrustedDocumentInput!]!) {
  trustedDocumentsRegister(input: {documents: $documents}) {
    userErrors { code field message }
    documentIds
  }
}"""

App = Callable[..., Any]


@pytest.fixture
async def app_client(runtime: Runtime) -> AsyncIterator[App]:
    """A client of a fresh app (its own process-local document cache) with these settings."""
    clients: list[httpx.AsyncClient] = []

    async def make(**settings: Any) -> httpx.AsyncClient:
        app = create_app(runtime.settings.model_copy(update=settings), runtime=runtime)
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


async def register(client: httpx.AsyncClient, admin: str, *documents: tuple[str, str]) -> Any:
    response = await client.post(
        "/graphql",
        json={
            "query": REGISTER,
            "variables": {"documents": [{"body": b, "name": n} for b, n in documents]},
        },
        headers={"authorization": admin},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["trustedDocumentsRegister"]


async def stored(runtime: Runtime) -> list[tuple[str, str, str]]:
    async with runtime.session_factory() as s:
        rows = await s.execute(
            select(
                TrustedDocumentRow.sha256, TrustedDocumentRow.name, TrustedDocumentRow.created_by
            ).order_by(TrustedDocumentRow.name)
        )
        return [tuple(r) for r in rows]


async def test_a_registered_document_runs_by_id_in_both_wire_formats_by_post_and_get(
    runtime: Runtime, app_client: App, staff_token
):
    _, admin = await staff_token(Role.ADMIN)
    dev = await app_client()
    assert await register(dev, admin, (VIEWER, "Viewer")) == {
        "userErrors": [],
        "documentIds": [VIEWER_ID],
    }
    assert await stored(runtime) == [(VIEWER_ID[7:], "Viewer", (await _admin_actor(runtime)))]
    prod = await app_client(dev_mode=False, trusted_documents="anonymous-only")
    expected = {"data": {"viewer": {"role": "ANONYMOUS", "channel": "WEB"}}}
    apq = {"persistedQuery": {"version": 1, "sha256Hash": VIEWER_ID[7:]}}
    answers = [
        await prod.post("/graphql", json={"documentId": VIEWER_ID, "operationName": "Viewer"}),
        await prod.post("/graphql", json={"extensions": apq}),
        await prod.get("/graphql", params={"documentId": VIEWER_ID, "variables": "{}"}),
        await prod.get("/graphql", params={"extensions": json.dumps(apq)}),
    ]
    assert [(r.status_code, r.json()) for r in answers] == [(200, expected)] * 4


async def _admin_actor(runtime: Runtime) -> str:
    async with runtime.session_factory() as s:
        staff_id = await s.scalar(text("SELECT max(id) FROM staff_users"))
    return f"staff:{staff_id}"


async def test_an_unknown_id_answers_persisted_query_not_found(app_client: App, runtime: Runtime):
    prod = await app_client(dev_mode=False)
    unknown = "0" * 64
    answers = [
        await prod.post("/graphql", json={"documentId": f"sha256:{unknown}"}),
        await prod.post(
            "/graphql",
            json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown}}},
        ),
        await prod.get("/graphql", params={"documentId": f"sha256:{unknown}"}),
    ]
    for r in answers:
        assert r.status_code == 200
        body = r.json()
        assert body["data"] is None
        assert [e["extensions"] for e in body["errors"]] == [{"code": "PERSISTED_QUERY_NOT_FOUND"}]
        assert body["errors"][0]["message"].startswith(
            f"PersistedQueryNotFound: no document is registered as sha256:{unknown}. Register it"
        )
    malformed = await prod.post("/graphql", json={"documentId": "md5:abc"})
    assert malformed.status_code == 400
    assert '`documentId` must be "sha256:"' in malformed.text
    assert await stored(runtime) == []


async def test_anonymous_only_refuses_text_from_anonymous_callers_and_takes_it_from_staff(
    app_client: App, staff_token
):
    _, cashier = await staff_token(Role.MERCHANDISER)
    prod = await app_client(dev_mode=False, trusted_documents="anonymous-only")
    refused = await prod.post("/graphql", json={"query": VIEWER})
    assert refused.status_code == 400
    assert refused.text.startswith(
        "TRUSTED_DOCUMENT_REQUIRED: this server runs only registered documents for anonymous "
        "callers (TRUSTED_DOCUMENTS=anonymous-only). Send `documentId`"
    )
    staff = await prod.post("/graphql", json={"query": VIEWER}, headers={"authorization": cashier})
    assert staff.json() == {"data": {"viewer": {"role": "MERCHANDISER", "channel": "WEB"}}}
    everyone = await app_client(dev_mode=False, trusted_documents="only")
    staff_refused = await everyone.post(
        "/graphql", json={"query": VIEWER}, headers={"authorization": cashier}
    )
    assert staff_refused.status_code == 400
    assert "for every caller (TRUSTED_DOCUMENTS=only)" in staff_refused.text


async def test_a_mutation_by_id_over_get_is_refused_and_changes_nothing(
    runtime: Runtime, app_client: App, staff_token
):
    _, admin = await staff_token(Role.ADMIN)
    prod = await app_client(dev_mode=False)
    [key_id] = (await register(prod, admin, (KEY_CREATE, "KeyCreate")))["documentIds"]
    response = await prod.get(
        "/graphql", params={"documentId": key_id}, headers={"authorization": admin}
    )
    assert response.status_code == 400
    assert "mutations are not allowed when using GET" in response.text
    async with runtime.session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(ApiKeyRow)) == 0
    # the same id by POST runs it
    posted = await prod.post(
        "/graphql", json={"documentId": key_id}, headers={"authorization": admin}
    )
    assert posted.json()["data"]["apiKeyCreate"]["userErrors"] == []


async def test_registering_an_invalid_document_answers_user_errors_and_stores_nothing(
    runtime: Runtime, app_client: App, staff_token
):
    _, admin = await staff_token(Role.ADMIN)
    prod = await app_client(dev_mode=False)
    deep = "{ " + "".join(f"a{i} {{ " for i in range(20)) + "id" + " }" * 21
    result = await register(
        prod,
        admin,
        (VIEWER, "Viewer"),
        ("{ viewer { rol } }", "Typo"),
        ("query {", "Broken"),
        (deep, "Deep"),
    )
    assert result["documentIds"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("INVALID", "documents.1.body"),
        ("INVALID", "documents.2.body"),
        ("INVALID", "documents.3.body"),
    ]
    messages = [e["message"] for e in result["userErrors"]]
    assert messages[0] == (
        "Document 2 (Typo): Cannot query field 'rol' on type 'Viewer'. Fix the document and "
        "register it again."
    )
    assert messages[1].startswith("Document 3 (Broken): Not valid GraphQL: Syntax Error")
    assert messages[2] == (
        "Document 4 (Deep): 'anonymous' exceeds maximum operation depth of 12 Fix the "
        "document and register it again."
    )
    assert await stored(runtime) == []
    anonymous = await prod.post(
        "/graphql", json={"query": REGISTER, "variables": {"documents": []}}
    )
    assert anonymous.json()["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


async def test_a_trusted_document_is_parsed_and_validated_once_per_process(
    app_client: App, staff_token, monkeypatch: pytest.MonkeyPatch
):
    _, admin = await staff_token(Role.ADMIN)
    await register(await app_client(), admin, (VIEWER, "Viewer"))
    calls = {"parse": 0, "validate": 0}

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapped

    # every parse a request may do: the trusted loader's and strawberry's (a fresh LRU cache)
    monkeypatch.setattr(
        api.trusted_documents, "parse", counting("parse", api.trusted_documents.parse)
    )
    monkeypatch.setattr(parser_cache, "parse", counting("parse", parser_cache.parse))
    monkeypatch.setattr(api.limits, "validate", counting("validate", api.limits.validate))
    parser_cache._get_parse_cache.cache_clear()
    api.limits.validate_cached.cache_clear()
    try:
        prod = await app_client(dev_mode=False)  # another process: loads from the table
        seen = []
        for _ in range(3):
            response = await prod.post("/graphql", json={"documentId": VIEWER_ID})
            assert response.json() == {"data": {"viewer": {"role": "ANONYMOUS", "channel": "WEB"}}}
            seen.append(dict(calls))
        assert seen == [{"parse": 1, "validate": 1}] * 3
        # the same text sent as text goes through strawberry's parse and validation
        await prod.post("/graphql", json={"query": VIEWER + " "})
        assert calls == {"parse": 2, "validate": 2}
    finally:
        parser_cache._get_parse_cache.cache_clear()
        api.limits.validate_cached.cache_clear()


async def test_the_cost_limit_still_applies_to_a_trusted_document(app_client: App, staff_token):
    _, admin = await staff_token(Role.ADMIN)
    products = "query P($n: Int) { products(first: $n) { edges { node { id } } } }"
    [doc_id] = (await register(await app_client(), admin, (products, "P")))["documentIds"]
    prod = await app_client(dev_mode=False, max_query_cost=50)
    cheap = await prod.post("/graphql", json={"documentId": doc_id, "variables": {"n": 2}})
    assert cheap.json() == {"data": {"products": {"edges": []}}}
    dear = (
        await prod.post("/graphql", json={"documentId": doc_id, "variables": {"n": 100}})
    ).json()
    assert dear["data"] is None
    assert dear["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"


async def test_apq_registers_hash_and_text_in_development_only(runtime: Runtime, app_client: App):
    apq = {"persistedQuery": {"version": 1, "sha256Hash": VIEWER_ID[7:]}}
    prod = await app_client(dev_mode=False)
    ran = await prod.post("/graphql", json={"query": VIEWER, "extensions": apq})
    assert ran.json()["data"] == {"viewer": {"role": "ANONYMOUS", "channel": "WEB"}}
    assert await stored(runtime) == []
    wrong = await prod.post("/graphql", json={"query": VIEWER + " ", "extensions": apq})
    assert wrong.status_code == 400
    assert "does not match the SHA-256 of `query`" in wrong.text
    dev = await app_client()
    await dev.post("/graphql", json={"query": VIEWER, "extensions": apq})
    assert await stored(runtime) == [(VIEWER_ID[7:], "Viewer", "apq")]
    later = await prod.post("/graphql", json={"extensions": apq})
    assert later.json()["data"] == {"viewer": {"role": "ANONYMOUS", "channel": "WEB"}}


async def test_ids_are_refused_when_trusted_documents_are_off(app_client: App):
    off = await app_client(dev_mode=False, trusted_documents="off")
    body = (await off.post("/graphql", json={"documentId": VIEWER_ID})).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "PERSISTED_QUERY_NOT_SUPPORTED"}
    text_still = await off.post("/graphql", json={"query": VIEWER})
    assert text_still.json()["data"] == {"viewer": {"role": "ANONYMOUS", "channel": "WEB"}}


async def test_anonymous_only_refuses_a_subscription_sent_as_text_over_websocket(
    runtime: Runtime,
):
    settings = runtime.settings.model_copy(
        update={"dev_mode": False, "trusted_documents": "anonymous-only"}
    )
    app = create_app(settings, runtime=runtime)
    async with httpx.AsyncClient(
        transport=ASGIWebSocketTransport(app=app), base_url="http://test"
    ) as client:
        async with aconnect_ws(
            "http://test/graphql", client, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send_json({"type": "connection_init", "payload": {}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            message = await asyncio.wait_for(ws.receive_json(), 10)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"] == {"code": "TRUSTED_DOCUMENT_REQUIRED"}


@pytest.mark.slow
async def test_a_document_registered_through_one_server_runs_by_get_on_another(
    staff_token, database_url: str, redis_prefix: str
):
    _, admin = await staff_token(Role.ADMIN)
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": redis_prefix,
        "SECRET_KEY": TEST_SECRET,
        "TRUSTED_DOCUMENTS": "anonymous-only",
    }
    async with api_servers(env) as (a, b):
        async with httpx.AsyncClient(base_url=a.url) as on_a:
            result = await register(on_a, admin, (VIEWER, "Viewer"))
            assert result == {"userErrors": [], "documentIds": [VIEWER_ID]}
        async with httpx.AsyncClient(base_url=b.url) as on_b:
            by_get = await on_b.get("/graphql", params={"documentId": VIEWER_ID})
            text_refused = await on_b.post("/graphql", json={"query": VIEWER})
        assert (by_get.status_code, by_get.json()) == (
            200,
            {"data": {"viewer": {"role": "ANONYMOUS", "channel": "WEB"}}},
        )
        assert text_refused.status_code == 400
        assert text_refused.text.startswith("TRUSTED_DOCUMENT_REQUIRED")


async def test_a_registered_document_the_schema_no_longer_accepts_says_so(
    runtime: Runtime, app_client: App
):
    # registered by an older build, against a field this API no longer has
    old = "query Old { viewer { nickname } }"
    sha = hashlib.sha256(old.encode()).hexdigest()
    async with runtime.session_factory() as s:
        s.add(TrustedDocumentRow(sha256=sha, body=old, name="Old", created_by="cli"))
        await s.commit()
    prod = await app_client(dev_mode=False, trusted_documents="anonymous-only")
    body = (await prod.post("/graphql", json={"documentId": f"sha256:{sha}"})).json()
    assert body == {
        "data": None,
        "errors": [
            {
                "message": f"The document sha256:{sha} is registered but no longer runs on this "
                "server: Cannot query field 'nickname' on type 'Viewer'. Register the documents "
                "of a build made for this API version.",
                "extensions": {"code": "TRUSTED_DOCUMENT_INVALID"},
            }
        ],
    }
