"""Abusive documents are refused before execution; production mode hides internals."""

from __future__ import annotations

import httpx

from api.app import create_app
from api.runtime import Runtime
from domain.access.model import Role
from tests.conftest import GQL


def nested(depth: int) -> str:
    return "{ " + "".join("a%d { " % i for i in range(depth)) + "id" + " }" * (depth + 1)


async def test_a_depth_20_document_is_rejected_before_any_resolver_runs(gql: GQL, count_queries):
    body = (await gql.raw(nested(20))).json()
    assert body["data"] is None
    assert "'anonymous' exceeds maximum operation depth of 12" in [
        e["message"] for e in body["errors"]
    ]
    assert count_queries.count == 0


async def test_a_valid_document_deeper_than_the_limit_never_reaches_the_database(
    runtime: Runtime, count_queries
):
    settings = runtime.settings.model_copy(update={"max_query_depth": 2})
    app = create_app(settings, runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        body = (
            await c.post(
                "/graphql",
                json={"query": "query Deep { viewer { staffUser { locations { code } } } }"},
            )
        ).json()
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["'Deep' exceeds maximum operation depth of 2"]
    assert count_queries.count == 0


async def test_too_many_aliases_tokens_or_directives_are_rejected(gql: GQL, count_queries):
    aliases = "{ " + " ".join(f"v{i}: viewer {{ role }}" for i in range(31)) + " }"
    body = (await gql.raw(aliases)).json()
    assert body["data"] is None
    assert "alias" in body["errors"][0]["message"]
    tokens = "{ viewer { " + " ".join(["role"] * 4100) + " } }"
    body = (await gql.raw(tokens)).json()
    assert "token" in body["errors"][0]["message"].lower()
    directives = (
        "{ viewer { " + " ".join(f"r{i}: role @include(if: true)" for i in range(21)) + " } }"
    )
    body = (await gql.raw(directives)).json()
    assert body["errors"][0]["message"] == "The document uses more than 20 directives; split it."
    assert count_queries.count == 0


async def test_page_size_is_capped(gql: GQL):
    body = (await gql.raw("{ locations(first: 101) { edges { cursor } } }")).json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "`first` must be between 1 and 100; page with `after`."
    assert body["errors"][0]["extensions"] == {"code": "PAGE_SIZE"}


async def test_production_refuses_introspection_graphiql_get_batching_and_suggestions(prod: GQL):
    body = (await prod.raw("{ __schema { types { name } } }")).json()
    assert body["data"] is None
    assert "introspection" in body["errors"][0]["message"].lower()
    ide = await prod.client.get("/graphql", headers={"accept": "text/html"})
    assert ide.status_code in (404, 405)
    get = await prod.client.get("/graphql", params={"query": "{ viewer { role } }"})
    assert get.status_code == 400
    assert "data" not in get.text
    batch = await prod.client.post("/graphql", json=[{"query": "{ viewer { role } }"}] * 2)
    assert batch.status_code == 400
    typo = (await prod.raw("{ viewer { rol } }")).json()
    assert typo["errors"][0]["message"] == "Cannot query field 'rol' on type 'Viewer'."


async def test_development_mode_serves_graphiql_and_suggests_fields(
    client: httpx.AsyncClient, gql: GQL
):
    ide = await client.get("/graphql", headers={"accept": "text/html"})
    assert ide.status_code == 200
    assert "graphiql" in ide.text.lower()
    typo = (await gql.raw("{ viewer { rol } }")).json()
    assert typo["errors"][0]["message"] == (
        "Cannot query field 'rol' on type 'Viewer'. Did you mean 'role'?"
    )


async def test_a_body_over_the_limit_is_refused_with_413(prod: GQL):
    big = {"query": "{ viewer { role } }", "variables": {"pad": "x" * 300_000}}
    r = await prod.client.post("/graphql", json=big)
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_an_unexpected_error_is_masked_with_the_request_id(
    prod: GQL, monkeypatch, staff_token
):
    import api.access.schema as access_schema

    _, admin = await staff_token(Role.ADMIN)

    def broken(*args, **kwargs):
        raise RuntimeError("password=hunter2 leaked from a bug")

    monkeypatch.setattr(access_schema, "select", broken)
    r = await prod.as_(authorization=admin).raw("{ apiKeys { edges { cursor } } }")
    request_id = r.headers["x-request-id"]
    body = r.json()
    assert "hunter2" not in r.text
    assert body["errors"] == [
        {
            "message": f"Unexpected error. Quote request id {request_id} to support.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["apiKeys"],
            "extensions": {"code": "INTERNAL", "requestId": request_id},
        }
    ]


async def test_a_client_request_id_is_echoed(gql: GQL):
    r = await gql.as_(x_request_id="pos-s01-till1-000123").raw("{ viewer { role } }")
    assert r.headers["x-request-id"] == "pos-s01-till1-000123"


async def test_permission_errors_stay_readable_in_production(prod: GQL):
    body = (await prod.raw("{ apiKeys { edges { cursor } } }")).json()
    assert body["errors"][0]["message"].startswith("Not allowed: this needs one of the roles ADMIN")
