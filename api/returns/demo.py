"""Demo data for returns: the return window and some store credit to spend (re-runnable)."""

from __future__ import annotations

from api.runtime import Runtime
from fulfillment.returns import services as returns
from fulfillment.services import store_credit
from loyalty import services as loyalty

#: (customer email, store credit in kopecks, why)
STORE_CREDIT = [("maria.sokolova@demo.omni", 100_000, "goodwill: late delivery")]


async def load_returns(runtime: Runtime) -> None:
    """14 days for every channel (a store may take a later return with a recorded reason);
    Мария Соколова has 1 000 RUB of store credit to pay with."""
    await returns.set_window(runtime.uow(), channel=None, days=14, actor="demo")
    for email, amount, why in STORE_CREDIT:
        async with runtime.session_factory() as session:
            found = await loyalty.lookup(session, email, secret=runtime.secret)
        if found.customer_id is None:
            continue
        await store_credit.issue(
            runtime.uow(),
            customer_id=found.customer_id,
            amount=amount,
            reference=f"demo:{email}:{why}",
            actor="demo",
        )
