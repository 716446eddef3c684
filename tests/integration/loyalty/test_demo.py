from __future__ import annotations

from api.loyalty import demo
from loyalty import services


async def test_demo_customers_load_twice_with_the_documented_tiers_and_points(
    runtime, make_location, rows
):
    await make_location("S01", sells_in_store=True)
    await make_location("S02", sells_in_store=True)
    await demo.load_customers(runtime)
    await demo.load_customers(runtime)  # re-runnable: nothing doubles
    found = {}
    async with runtime.session_factory() as session:
        for typed in [
            "8 (916) 123-45-67",
            "+7 903 555-12-34",
            "maria.sokolova@demo.omni",
            "olga.smirnova@demo.omni",
            "8 926 111-22-33",
            "2995000000014",
        ]:
            hit = await services.lookup(session, typed, secret=runtime.secret)
            status = await services.customer_tier(session, hit.customer_id)
            balance = (
                await rows(
                    "SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=hit.customer_id
                )
            )[0][0]
            found[typed] = (status.tier.code, balance)
    assert found == {
        "8 (916) 123-45-67": ("GOLD", 2798),
        "+7 903 555-12-34": ("SILVER", 675),
        "maria.sokolova@demo.omni": ("BASIC", 180),
        "olga.smirnova@demo.omni": ("BASIC", 80),
        "8 926 111-22-33": ("BASIC", 100),
        "2995000000014": ("SILVER", 675),
    }
    assert (await rows("SELECT count(*) FROM customers"))[0][0] == 5
