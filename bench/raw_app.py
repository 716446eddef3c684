"""The raw baseline: plain Starlette under the same uvicorn, answering POST /graphql with a
fixed JSON document (the body the API returned for the mirrored case, from BENCH_RAW_BODY).

It reads the request body and serializes the document per request, as any JSON endpoint
does, and nothing more: the distance to it is what GraphQL, auth and the app add.
"""

from __future__ import annotations

import os

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY_ENV = "BENCH_RAW_BODY"
BODIES_ENV = "BENCH_RAW_BODIES"  # {"case name": body}: each at POST /raw/<case name>


def create_app() -> Starlette:
    document = orjson.loads(os.environ[BODY_ENV])
    documents = {
        name: orjson.loads(body)
        for name, body in orjson.loads(os.environ.get(BODIES_ENV, "{}")).items()
    }

    async def answer(request: Request) -> Response:
        await request.body()
        return Response(orjson.dumps(document), media_type="application/json")

    async def named(request: Request) -> Response:
        await request.body()
        return Response(
            orjson.dumps(documents[request.path_params["name"]]), media_type="application/json"
        )

    async def readyz(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/graphql", answer, methods=["POST"]),
            Route("/raw/{name}", named, methods=["POST"]),
            Route("/readyz", readyz),
        ]
    )
