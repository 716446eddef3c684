"""The floor under every other figure: the cheapest authenticated GraphQL query, beside a
raw Starlette endpoint returning the identical JSON, same uvicorn and worker count."""

from __future__ import annotations

from bench import Data, HttpCase, Request, Scenario, graphql, runtime
from domain.access.model import Channel
from domain.access.services import create_api_key

VIEWER = "{ viewer { role channel } }"


async def setup(database_url: str) -> Data:
    async with runtime(database_url) as rt:
        key = await create_api_key(
            rt.uow(),
            actor="bench",
            name="bench web storefront",
            channel=Channel.WEB,
            location_id=None,
        )
    return {"api_key": key.key}


def viewer(data: Data) -> Request:
    return graphql(VIEWER, api_key=data["api_key"])


SCENARIO = Scenario(
    name="baseline",
    description="{ viewer { role channel } } with a WEB API key vs raw Starlette, same JSON",
    setup=setup,
    cases=[
        HttpCase("raw", viewer, server="raw"),  # same request bytes, plain Starlette answers
        HttpCase("graphql", viewer),
    ],
    baseline="raw",
    raw_mirror="graphql",
)
