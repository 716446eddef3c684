from __future__ import annotations

import httpx

from api.app import create_app
from api.runtime import Runtime
from tests.support.processes import free_port


async def test_healthz_and_readyz_report_postgres_and_redis(client: httpx.AsyncClient):
    assert (await client.get("/healthz")).json() == {"status": "alive"}
    assert (await client.get("/readyz")).json() == {
        "status": "ready",
        "postgres": "up",
        "redis": "up",
    }


async def test_redis_down_makes_the_api_degraded_not_unready(runtime: Runtime):
    settings = runtime.settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}"})
    degraded = await Runtime.start(settings, run_relay=False)
    try:
        app = create_app(runtime=degraded)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as c:
            ready = await c.get("/readyz")
            query = await c.post("/graphql", json={"query": "{ locations { edges { cursor } } }"})
        assert ready.status_code == 200
        assert ready.json() == {"status": "degraded", "postgres": "up", "redis": "down"}
        assert query.json() == {"data": {"locations": {"edges": []}}}
    finally:
        await degraded.stop()
