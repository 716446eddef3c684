from __future__ import annotations

from typing import Any

from api.loyalty import demo as loyalty_demo
from api.returns import demo
from api.runtime import Runtime
from tests.integration.returns.support import rows


async def test_demo_returns_load_twice(runtime: Runtime, make_location: Any) -> None:
    await make_location("S01", sells_in_store=True)
    await loyalty_demo.load_customers(runtime)
    await demo.load_returns(runtime)
    await demo.load_returns(runtime)  # re-runnable: nothing doubles
    assert await rows(runtime, "SELECT channel, window_days FROM return_policies") == [("*", 14)]
    assert await rows(
        runtime,
        "SELECT c.first_name, a.balance FROM store_credit_accounts a "
        "JOIN customers c ON c.id = a.customer_id",
    ) == [("Мария", 100_000)]
