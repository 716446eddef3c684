from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.runtime import Runtime
from domain.shared.errors import Conflict
from loyalty import services
from loyalty.errors import CustomerNotActive, MergeConflict
from loyalty.model import ContactChannel, IdentifierKind, PurchaseLine
from loyalty.services import merge as merge_module

T0 = datetime(2025, 6, 1, tzinfo=UTC)


async def profile_rows(rows, customer_id: int) -> dict[str, int]:
    counts = {}
    for table in [
        "customer_identifiers",
        "customer_addresses",
        "customer_consents",
        "points_entries",
        "spend_entries",
    ]:
        counts[table] = (
            await rows(f"SELECT count(*) FROM {table} WHERE customer_id = :c", c=customer_id)
        )[0][0]
    return counts


async def two_profiles(runtime: Runtime, enrol):
    """The same person: enrolled at a till by phone, and signed up online by email."""
    till = await enrol("+7 916 300-00-01", consents={ContactChannel.SMS: True})
    await services.adjust_points(
        runtime.uow(), till, points=120, reason="welcome", actor="staff:1", now=T0
    )
    await services.record_spend(
        runtime.uow(),
        till,
        amount_minor=2_000_000,
        currency="RUB",
        occurred_at=datetime.now(UTC) - timedelta(days=5),
        order_ref="pos:1",
    )
    online = await services.sign_up(
        runtime.uow(),
        email="olga@example.ru",
        password="long-enough-pw",
        first_name="Ольга",
        last_name="Смирнова",
        channel="WEB",
        consents={ContactChannel.SMS: False, ContactChannel.EMAIL: True},
    )
    await services.add_address(
        runtime.uow(),
        online,
        services.Address(line1="ул. Тверская, 1", city="Москва", is_default=True),
    )
    await services.earn_points(
        runtime.uow(),
        online,
        lines=[PurchaseLine(1_500_000)],
        reference="web:1",
        actor="system",
        now=T0,
    )
    await services.record_spend(
        runtime.uow(),
        online,
        amount_minor=1_500_000,
        currency="RUB",
        occurred_at=datetime.now(UTC) - timedelta(days=3),
        order_ref="web:1",
    )
    return online, till


async def test_merge_moves_everything_into_the_survivor_exactly_once(runtime, enrol, rows, scalar):
    survivor, duplicate = await two_profiles(runtime, enrol)
    before = await profile_rows(rows, survivor)
    dup_before = await profile_rows(rows, duplicate)
    result = await services.merge_customers(
        runtime.uow(), survivor_id=survivor, duplicate_id=duplicate, actor="staff:7"
    )
    loyalty_moved = {
        "profile": 0,
        "identifiers": 2,  # phone + card
        "addresses": 0,
        "consents": 1,
        "points_entries": 1,
        "points": 120,
        "spend": 1,
    }
    assert {k: result.moved[k] for k in loyalty_moved} == loyalty_moved
    # Other contexts' steps (orders, carts, returns, store credit, interactions) ran too, with
    # nothing of this customer to move.
    others = {k: v for k, v in result.moved.items() if k not in loyalty_moved}
    assert {"orders", "carts", "returns", "interactions"} <= set(others)
    assert set(others.values()) == {0}
    after = await profile_rows(rows, survivor)
    assert after == {
        "customer_identifiers": before["customer_identifiers"] + 2,
        "customer_addresses": 1,
        "customer_consents": 2,  # SMS + EMAIL, one row per channel
        "points_entries": before["points_entries"] + dup_before["points_entries"],
        "spend_entries": 2,
    }
    assert await profile_rows(rows, duplicate) == dict.fromkeys(after, 0)
    assert (
        await scalar("SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=survivor)
        == 150 + 120
    )
    assert (
        await scalar("SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=duplicate)
        == 0
    )
    # the online "no SMS" was recorded after the till's "yes": the newer decision wins
    assert (
        await scalar(
            "SELECT granted FROM customer_consents WHERE customer_id = :c AND channel = 'SMS'",
            c=survivor,
        )
        is False
    )
    tombstone = (
        await rows(
            "SELECT status, merged_into_id, first_name FROM customers WHERE id = :c", c=duplicate
        )
    )[0]
    assert tuple(tombstone) == ("MERGED", survivor, "")
    audit = await rows("SELECT survivor_id, duplicate_id, actor FROM customer_merges")
    assert [tuple(a) for a in audit] == [(survivor, duplicate, "staff:7")]
    async with runtime.session_factory() as session:
        tier = await services.customer_tier(session, survivor)
    assert tier.rolling_spend_minor == 3_500_000 and tier.tier.code == "SILVER"
    events = await rows(
        "SELECT payload->>'kind', payload->>'points_moved' FROM outbox_events "
        "WHERE topic = 'loyalty' AND payload->>'kind' = 'CUSTOMERS_MERGED'"
    )
    assert [tuple(e) for e in events] == [("CUSTOMERS_MERGED", "120")]

    again = await services.merge_customers(
        runtime.uow(), survivor_id=survivor, duplicate_id=duplicate, actor="staff:8"
    )
    assert again.replayed and again.merge_id == result.merge_id
    assert await profile_rows(rows, survivor) == after
    assert (
        await scalar("SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=survivor)
        == 270
    )
    assert await scalar("SELECT count(*) FROM customer_merges") == 1


async def test_points_and_lookups_for_the_duplicate_land_on_the_survivor(runtime, enrol):
    survivor, duplicate = await two_profiles(runtime, enrol)
    await services.merge_customers(
        runtime.uow(), survivor_id=survivor, duplicate_id=duplicate, actor="staff:7"
    )
    redeemed = await services.redeem_points(
        runtime.uow(), duplicate, points=200, reference="pos:2", actor="pos"
    )
    assert (redeemed.customer_id, redeemed.balance) == (survivor, 70)
    async with runtime.session_factory() as session:
        found = await services.lookup(session, "8 (916) 300-00-01", secret="s" * 40)
    assert found.customer_id == survivor


async def test_two_verified_emails_block_the_merge_until_confirmed(runtime, enrol, rows):
    a = await enrol("+7 916 300-00-02")
    b = await enrol("+7 916 300-00-03")
    for customer, email in [(a, "a@example.ru"), (b, "b@example.ru")]:
        await services.add_identifier(
            runtime.uow(), customer, kind=IdentifierKind.EMAIL, value=email, verified=True
        )
    with pytest.raises(MergeConflict) as err:
        await services.merge_customers(runtime.uow(), survivor_id=a, duplicate_id=b, actor="s")
    assert "a@example.ru" in err.value.message and err.value.field == "acceptConflicts"
    assert await profile_rows(rows, b) != dict.fromkeys(await profile_rows(rows, b), 0)
    assert (await rows("SELECT count(*) FROM customer_merges"))[0][0] == 0
    result = await services.merge_customers(
        runtime.uow(), survivor_id=a, duplicate_id=b, actor="s", accept_conflicts=True
    )
    assert [c["kind"] for c in result.conflicts] == ["VERIFIED_EMAILS"]
    emails = await rows(
        "SELECT value FROM customer_identifiers WHERE customer_id = :c AND kind = 'EMAIL' "
        "ORDER BY value",
        c=a,
    )
    assert [e[0] for e in emails] == ["a@example.ru", "b@example.ru"]


async def test_merging_into_a_merged_or_the_same_customer_is_refused(runtime, enrol):
    a = await enrol("+7 916 300-00-04")
    b = await enrol("+7 916 300-00-05")
    c = await enrol("+7 916 300-00-06")
    await services.merge_customers(runtime.uow(), survivor_id=a, duplicate_id=b, actor="s")
    with pytest.raises(Conflict):
        await services.merge_customers(runtime.uow(), survivor_id=b, duplicate_id=c, actor="s")
    with pytest.raises(Conflict):  # b already went into a
        await services.merge_customers(runtime.uow(), survivor_id=c, duplicate_id=b, actor="s")


async def test_a_later_context_moves_its_rows_by_registering_a_merge_step(runtime, enrol):
    a = await enrol("+7 916 300-00-07")
    b = await enrol("+7 916 300-00-08")
    seen = []

    async def move_orders(ctx: services.MergeContext) -> int:
        seen.append((ctx.survivor_id, ctx.duplicate_id))
        return 3

    registered = merge_module._STEPS.get("orders")  # the real step, if the app registered it
    services.register_merge_step("orders", move_orders)
    try:
        result = await services.merge_customers(
            runtime.uow(), survivor_id=a, duplicate_id=b, actor="s"
        )
    finally:
        if registered is None:
            merge_module._STEPS.pop("orders")
        else:
            services.register_merge_step("orders", registered)
    assert seen == [(a, b)] and result.moved["orders"] == 3


async def test_erasure_removes_personal_data_and_keeps_the_ledger(runtime, enrol, rows, scalar):
    customer, _ = await two_profiles(runtime, enrol)
    entries_before = await scalar(
        "SELECT count(*) FROM points_entries WHERE customer_id = :c", c=customer
    )
    erased = await services.erase_customer(runtime.uow(), customer, actor="admin:1")
    assert (erased.identifiers_removed, erased.addresses_removed, erased.points_forfeited) == (
        2,
        1,
        150,
    )
    row = (
        await rows(
            "SELECT status, first_name, last_name, password_hash FROM customers WHERE id = :c",
            c=customer,
        )
    )[0]
    assert tuple(row) == ("ERASED", "", "", None)
    counts = await profile_rows(rows, customer)
    assert counts["customer_identifiers"] == counts["customer_addresses"] == 0
    assert counts["customer_consents"] == 0
    assert counts["points_entries"] == entries_before + 1  # + the forfeit entry
    assert counts["spend_entries"] == 1
    assert (
        await scalar("SELECT balance FROM loyalty_accounts WHERE customer_id = :c", c=customer) == 0
    )
    # the email is free again, and nothing can be recorded for the erased customer
    await services.sign_up(
        runtime.uow(),
        email="olga@example.ru",
        password="long-enough-pw",
        first_name="Ольга",
        channel="WEB",
    )
    with pytest.raises(CustomerNotActive):
        await services.adjust_points(runtime.uow(), customer, points=5, reason="x", actor="s")
    again = await services.erase_customer(runtime.uow(), customer, actor="admin:1")
    assert again.replayed
