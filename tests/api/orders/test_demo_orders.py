"""The demo orders step: one web order for Анна, one till sale at S01; re-runs add nothing."""

from __future__ import annotations

import pytest

from api import demo
from tests.support.orders import scalar


@pytest.mark.slow  # loads the whole demo catalog and stock first
async def test_demo_orders_load_once(runtime) -> None:
    for step in demo.DEMO_STEPS:
        if step is not demo.load_orders and step.__name__ not in (
            "load_returns",
            "load_clienteling",
        ):
            await step(runtime)
    await demo.load_orders(runtime)
    await demo.load_orders(runtime)
    rows = await scalar(
        runtime, "SELECT string_agg(channel || ':' || status::text, ',' ORDER BY id) FROM orders"
    )
    assert rows == "WEB:PLACED,POS:COMPLETED"
    assert await scalar(runtime, "SELECT count(*) FROM fulfillment_orders") == 2
