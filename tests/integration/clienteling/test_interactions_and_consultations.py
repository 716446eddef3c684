"""Interactions and consultations against real PostgreSQL: replays, all-or-nothing batches,
session joins, opt-out, the accept race, merges."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from api.runtime import Runtime
from domain.access.model import Role
from domain.shared.errors import Conflict, DomainError, Forbidden, MultipleErrors
from fulfillment.model import OrderStatus
from loyalty import services as loyalty
from loyalty.clienteling import model, services
from loyalty.clienteling.model import AttributeScore, InteractionType
from loyalty.clienteling.services import EventIn, RatingIn
from tests.api.clienteling.support import insert_order
from tests.integration.clienteling.conftest import Shop


def event(kind: InteractionType, cid: str | None = None, **kw) -> EventIn:
    return EventIn(
        model.Interaction(id=0, type=kind, occurred_at=datetime.now(UTC), **kw),
        client_event_id=cid,
    )


async def record(runtime: Runtime, events, *, customer_id=None, session_id=None, origin=None):
    return await services.record_interactions(
        runtime.uow(),
        events=events,
        customer_id=customer_id,
        session_id=session_id,
        origin=origin or (f"customer:{customer_id}" if customer_id else f"session:{session_id}"),
        channel="WEB",
        actor="test",
    )


async def test_a_replayed_batch_stores_each_client_event_once_even_when_sent_concurrently(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    batch = [
        event(InteractionType.PRODUCT_VIEWED, f"e{n}", product_id=shop.product) for n in range(5)
    ]
    results = await asyncio.gather(*(record(runtime, batch, customer_id=anna) for _ in range(8)))
    assert sorted(len(r.interaction_ids) for r in results)[-1] <= 5
    assert sum(len(r.interaction_ids) for r in results) == 5
    assert sum(r.duplicates for r in results) == 35
    assert await rows("SELECT count(*) FROM interactions") == [(5,)]


async def test_one_bad_event_rejects_the_whole_batch(runtime: Runtime, shop: Shop, rows):
    anna = await shop.customer("+79160000001")
    batch = [
        event(InteractionType.PRODUCT_VIEWED, "ok", product_id=shop.product),
        event(InteractionType.PRODUCT_VIEWED, "no-product"),
        event(InteractionType.PRODUCT_VIEWED, "unknown", product_id=999_999),
    ]
    with pytest.raises(DomainError) as exc:
        await record(runtime, batch, customer_id=anna)
    assert (exc.value.field, exc.value.message) == (
        "events[1].productId",
        "PRODUCT_VIEWED needs the productId it is about.",
    )
    two = [batch[1], event(InteractionType.SEARCHED, "q")]
    with pytest.raises(MultipleErrors) as several:
        await record(runtime, two, customer_id=anna)
    assert [e.field for e in several.value.errors] == ["events[0].productId", "events[1].query"]
    with pytest.raises(DomainError) as single:
        await record(runtime, [batch[0], batch[2]], customer_id=anna)
    assert (single.value.field, single.value.message) == (
        "events[1].productId",
        "Product 999999 does not exist; send ids from the catalog.",
    )
    assert await rows("SELECT count(*) FROM interactions") == [(0,)]


async def test_a_batch_over_the_cap_is_refused(runtime: Runtime, shop: Shop, rows):
    batch = [event(InteractionType.SEARCHED, query="bass") for _ in range(model.MAX_BATCH + 1)]
    with pytest.raises(DomainError) as exc:
        await record(runtime, batch, session_id="s1")
    assert exc.value.field == "events"
    assert await rows("SELECT count(*) FROM interactions") == [(0,)]


async def test_anonymous_session_events_join_the_customer_who_signs_in(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    await record(runtime, [event(InteractionType.SEARCHED, "s1", query="bass")], session_id="sess")
    await record(runtime, [event(InteractionType.SEARCHED, "s2", query="x")], session_id="other")
    result = await record(
        runtime,
        [event(InteractionType.PRODUCT_VIEWED, "v1", product_id=shop.product)],
        customer_id=anna,
        session_id="sess",
    )
    assert result.joined == 1
    assert await rows(
        "SELECT session_id, customer_id, type::text FROM interactions ORDER BY id"
    ) == [("sess", anna, "SEARCHED"), ("other", None, "SEARCHED"), ("sess", anna, "PRODUCT_VIEWED")]


async def test_a_customer_who_opted_out_keeps_only_explicit_events(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    await services.set_personalisation(runtime.uow(), customer_id=anna, enabled=False, source="t")
    result = await record(
        runtime,
        [
            event(InteractionType.PRODUCT_VIEWED, "v", product_id=shop.product),
            event(InteractionType.STORE_CHECK_IN, "c", location_id=shop.store),
        ],
        customer_id=anna,
    )
    assert (len(result.interaction_ids), result.skipped) == (1, 1)
    assert await rows("SELECT type::text FROM interactions") == [("STORE_CHECK_IN",)]


async def test_concurrent_consultant_requests_open_one_consultation(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    results = await asyncio.gather(
        *(
            record(
                runtime,
                [event(InteractionType.CONSULTANT_REQUESTED, f"r{n}", location_id=shop.store)],
                customer_id=anna,
            )
            for n in range(10)
        )
    )
    assert {r.consultation_ids[0] for r in results} == {results[0].consultation_ids[0]}
    assert await rows("SELECT status::text FROM consultations") == [("REQUESTED",)]
    assert await rows("SELECT count(*) FROM outbox_events WHERE topic = 'store_activity'") == [
        (10,)
    ]


async def test_of_many_consultants_accepting_at_once_exactly_one_wins(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    req = await record(
        runtime,
        [event(InteractionType.CONSULTANT_REQUESTED, "r", location_id=shop.store)],
        customer_id=anna,
    )
    cid = req.consultation_ids[0]
    consultants = [await shop.staff() for _ in range(12)]

    async def accept(p):
        try:
            return await services.accept_consultation(
                runtime.uow(), consultation_id=cid, principal=p
            )
        except Conflict as exc:
            return exc

    outcomes = await asyncio.gather(*(accept(p) for p in consultants))
    winners = [o for o in outcomes if not isinstance(o, Conflict)]
    assert len(winners) == 1
    assert all(
        "already took this request" in o.message for o in outcomes if isinstance(o, Conflict)
    )
    ((status, staff_id),) = await rows("SELECT status::text, staff_user_id FROM consultations")
    assert status == "ACCEPTED"
    assert staff_id in {p.staff_user_id for p in consultants}
    assert await rows(
        "SELECT count(*) FROM outbox_events WHERE payload->>'kind' = 'CONSULTATION_ACCEPTED'"
    ) == [(1,)]


async def test_staff_of_another_store_cannot_touch_the_consultation(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    req = await record(
        runtime,
        [event(InteractionType.CONSULTANT_REQUESTED, "r", location_id=shop.store)],
        customer_id=anna,
    )
    outsider = await shop.staff(store=shop.other_store)
    with pytest.raises(Forbidden):
        await services.accept_consultation(
            runtime.uow(), consultation_id=req.consultation_ids[0], principal=outsider
        )
    assert await rows("SELECT status::text, staff_user_id FROM consultations") == [
        ("REQUESTED", None)
    ]


async def test_ratings_need_an_accepted_consultation_and_are_linked_to_it(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    consultant = await shop.staff()
    req = await record(
        runtime,
        [event(InteractionType.CONSULTANT_REQUESTED, "r", location_id=shop.store)],
        customer_id=anna,
    )
    cid = req.consultation_ids[0]
    rating = RatingIn(shop.product, (AttributeScore("bass_level", 2, None, "too weak"),),
                      client_event_id="x")  # fmt: skip
    with pytest.raises(Conflict) as exc:
        await services.record_ratings(
            runtime.uow(), consultation_id=cid, ratings=[rating], principal=consultant,
            channel="STAFF",
        )  # fmt: skip
    assert exc.value.message == "Accept the consultation first (consultationAccept)."
    await services.accept_consultation(runtime.uow(), consultation_id=cid, principal=consultant)
    for _ in range(2):  # the replay stores nothing twice
        await services.record_ratings(
            runtime.uow(), consultation_id=cid, ratings=[rating], principal=consultant,
            channel="STAFF",
        )  # fmt: skip
    assert await rows(
        "SELECT customer_id, consultation_id, location_id, ratings, actor FROM interactions "
        "WHERE type = 'PRODUCT_RATED'"
    ) == [
        (anna, cid, shop.store,
         [{"attribute": "bass_level", "score": 2, "comment": "too weak"}],
         f"staff:{consultant.staff_user_id}")
    ]  # fmt: skip
    await services.close_consultation(runtime.uow(), consultation_id=cid, principal=consultant)
    with pytest.raises(Conflict):
        await services.record_ratings(
            runtime.uow(), consultation_id=cid, ratings=[rating], principal=consultant,
            channel="STAFF",
        )  # fmt: skip


async def test_a_merge_moves_interactions_consultations_and_keeps_the_opt_out(
    runtime: Runtime, shop: Shop, rows
):
    survivor = await shop.customer("+79160000001")
    duplicate = await shop.customer("+79160000002")
    for who in (survivor, duplicate):
        await record(
            runtime,
            [event(InteractionType.CONSULTANT_REQUESTED, "r", location_id=shop.store),
             event(InteractionType.PRODUCT_VIEWED, "v", product_id=shop.product)],
            customer_id=who,
        )  # fmt: skip
    await services.set_personalisation(
        runtime.uow(), customer_id=duplicate, enabled=False, source="customer"
    )
    merged = await loyalty.merge_customers(
        runtime.uow(), survivor_id=survivor, duplicate_id=duplicate, actor="staff:1"
    )
    assert (merged.moved["interactions"], merged.moved["consultations"]) == (2, 1)
    assert await rows("SELECT DISTINCT customer_id FROM interactions") == [(survivor,)]
    assert await rows(
        "SELECT customer_id, status::text, summary FROM consultations ORDER BY id"
    ) == [
        (survivor, "REQUESTED", None),
        (survivor, "CLOSED", "closed: customer profiles merged"),
    ]
    assert await rows("SELECT customer_id, enabled FROM customer_personalisation") == [
        (survivor, False)
    ]


async def test_store_staff_see_only_customers_who_are_in_their_store(runtime: Runtime, shop: Shop):
    anna = await shop.customer("+79160000001")
    consultant = await shop.staff()
    async with runtime.session_factory() as session:
        with pytest.raises(Forbidden) as exc:
            await services.customer_360(
                session, customer_id=anna, location_id=shop.store, principal=consultant
            )
    assert "has not checked in at your store" in exc.value.message
    await record(
        runtime, [event(InteractionType.STORE_CHECK_IN, "c", location_id=shop.store)],
        customer_id=anna,
    )  # fmt: skip
    async with runtime.session_factory() as session:
        profile = await services.customer_360(
            session, customer_id=anna, location_id=shop.store, principal=consultant
        )
        assert profile.customer_id == anna
        with pytest.raises(Forbidden):
            await services.customer_360(
                session, customer_id=anna, location_id=shop.other_store, principal=consultant
            )
    manager_elsewhere = await shop.staff(Role.STORE_MANAGER, store=shop.other_store)
    async with runtime.session_factory() as session:
        with pytest.raises(Forbidden):
            await services.store_visitors(
                session, location_id=shop.store, principal=manager_elsewhere
            )


async def test_the_attribution_report_credits_orders_in_the_window_to_the_consultant(
    runtime: Runtime, shop: Shop
):
    anna = await shop.customer("+79160000001")
    boris = await shop.customer("+79160000002")
    elena, oleg = await shop.staff(), await shop.staff()
    t0 = datetime.now(UTC)
    for who, consultant in ((anna, elena), (boris, oleg)):
        await services.start_consultation(
            runtime.uow(), customer_id=who, location_id=shop.store, principal=consultant, now=t0
        )
    day = timedelta(days=1)
    await insert_order(runtime, customer_id=anna, total=100, placed_at=t0 - day)  # before
    await insert_order(runtime, customer_id=anna, total=200, placed_at=t0 + day, channel="APP")
    await insert_order(runtime, customer_id=anna, total=300, placed_at=t0 + 2 * day,
                       status=OrderStatus.CANCELLED)  # fmt: skip
    await insert_order(runtime, customer_id=anna, total=400, placed_at=t0 + 20 * day)  # late
    await insert_order(runtime, customer_id=boris, total=500, placed_at=t0 + day, channel="POS")
    manager = await shop.staff(Role.STORE_MANAGER)
    async with runtime.session_factory() as session:
        report = await services.attribution_report(
            session, location_id=shop.store, since=t0 - day, until=t0 + day, principal=manager
        )
        longer = await services.attribution_report(
            session, location_id=shop.store, since=t0 - day, until=t0 + day, window_days=30,
            principal=manager,
        )  # fmt: skip
        outsider = await shop.staff(Role.STORE_MANAGER, store=shop.other_store)
        with pytest.raises(Forbidden):
            await services.attribution_report(
                session, location_id=shop.store, since=t0 - day, until=t0 + day,
                principal=outsider,
            )  # fmt: skip
    assert [
        (s.staff_user_id, s.consultations, s.orders, s.revenue,
         [(a.order.channel, a.order.total) for a in s.attributions])
        for s in report.staff
    ] == [
        (elena.staff_user_id, 1, 1, {"RUB": 200}, [("APP", 200)]),
        (oleg.staff_user_id, 1, 1, {"RUB": 500}, [("POS", 500)]),
    ]  # fmt: skip
    assert [s.revenue for s in longer.staff] == [{"RUB": 600}, {"RUB": 500}]


async def test_erasing_a_customer_removes_the_timeline_and_free_text(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    consultant = await shop.staff()
    await record(
        runtime,
        [event(InteractionType.PRODUCT_VIEWED, "v", product_id=shop.product)],
        customer_id=anna,
    )
    change = await services.start_consultation(
        runtime.uow(), customer_id=anna, location_id=shop.store, principal=consultant
    )
    await services.close_consultation(
        runtime.uow(), consultation_id=change.consultation_id, principal=consultant,
        summary="Анна, тел. +7 916 000-00-01, любит бас",
    )  # fmt: skip
    erased = await loyalty.erase_customer(runtime.uow(), anna, actor="admin:1")
    assert erased.steps is not None and erased.steps["interactions"] == 1
    assert await rows("SELECT count(*) FROM interactions") == [(0,)]
    assert await rows("SELECT status::text, summary, staff_user_id FROM consultations") == [
        ("CLOSED", None, consultant.staff_user_id)
    ]


async def test_check_ins_and_consultant_requests_are_for_stores_only(
    runtime: Runtime, shop: Shop, rows
):
    anna = await shop.customer("+79160000001")
    async with runtime.engine.connect() as conn:
        warehouse = (
            await conn.execute(text("SELECT id FROM locations WHERE code LIKE 'WH%'"))
        ).scalar_one()
    with pytest.raises(DomainError) as exc:
        await record(
            runtime,
            [event(InteractionType.CONSULTANT_REQUESTED, "r", location_id=warehouse)],
            customer_id=anna,
        )
    assert (exc.value.field, exc.value.message) == (
        "events[0].locationId",
        "Central warehouse does not serve customers in person; check in at a store.",
    )
    assert await rows("SELECT count(*) FROM consultations") == [(0,)]
