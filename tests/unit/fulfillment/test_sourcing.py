"""Sourcing rules, one criterion at a time, plus properties that hold for any stock picture."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.shared.errors import ValidationFailed
from fulfillment.model import FulfillmentMethod as M
from fulfillment.sourcing import (
    Profile,
    RouteLine,
    RouteRequest,
    Site,
    decide,
    pickup_deadline,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
ADDRESS = (55.75, 37.60)  # central Moscow

WH = Site(1, "WH", "Warehouse", 55.60, 37.40, ships=True, priority=10)
S1 = Site(2, "S1", "Tverskaya", 55.76, 37.61, ships=True, offers_pickup=True, priority=50)
S2 = Site(3, "S2", "Arbat", 55.75, 37.59, ships=True, offers_pickup=True, priority=100)
S3 = Site(4, "S3", "Mitino", 55.85, 37.35, offers_pickup=True, pickup_lead_minutes=60)
SITES = [WH, S1, S2, S3]
TV, PHONE = 100, 200


def ship(key: int, variant: int, qty: int) -> RouteLine:
    return RouteLine(key, variant, qty, M.SHIP)


def pickup(key: int, variant: int, qty: int, store: int) -> RouteLine:
    return RouteLine(key, variant, qty, M.PICKUP, store)


def route(lines, stock, *, sites=SITES, profile=Profile(), ship_to=ADDRESS, exclude=()):
    request = RouteRequest(tuple(lines), ship_to, frozenset(exclude), NOW)
    return decide(request, sites=sites, available=stock, profile=profile)


def where(decision, key=None):
    return [
        (a.location_id, a.quantity, a.transfer)
        for a in decision.allocations
        if key is None or a.key == key
    ]


def test_pickup_lines_are_sourced_from_the_pickup_store():
    d = route([pickup(1, TV, 2, S3.location_id)], {(TV, 1): 50, (TV, 4): 2})
    assert where(d) == [(4, 2, False)]
    a = d.allocations[0]
    assert a.pickup_location_id == 4
    assert a.ready_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 60 min lead, no hours
    assert a.reasons == ("pickup store Mitino (S3) has 2 available",)
    assert d.shortfalls == ()


def test_pickup_store_without_stock_gets_a_transfer_with_its_ready_date():
    d = route([pickup(1, TV, 2, S3.location_id)], {(TV, 1): 50, (TV, 2): 1, (TV, 4): 0})
    # S1 is nearer Mitino than the warehouse is, but only the warehouse has both units: one truck
    assert where(d) == [(1, 2, True)]
    a = d.allocations[0]
    assert a.method is M.PICKUP and a.pickup_location_id == 4
    # transfer lead 1440 min + the store's 60 min pickup lead
    assert a.ready_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert a.reasons[0] == "pickup store Mitino (S3) has 0 of 2"
    assert a.reasons[1] == "transfer from Warehouse (WH) to the pickup store"


def test_transfer_tops_up_what_the_pickup_store_has():
    d = route([pickup(1, TV, 3, S3.location_id)], {(TV, 4): 1, (TV, 2): 5})
    assert where(d) == [(4, 1, False), (2, 2, True)]


def test_no_transfer_when_the_profile_forbids_it():
    d = route(
        [pickup(1, TV, 2, S3.location_id)],
        {(TV, 1): 50},
        profile=Profile(allow_transfers=False),
    )
    assert d.allocations == ()
    assert [(s.key, s.wanted, s.available) for s in d.shortfalls] == [(1, 2, 0)]


def test_ship_lines_prefer_a_single_location_over_a_nearer_split():
    # S2 (nearest) has the TV only; the warehouse has both: one parcel wins
    stock = {(TV, 3): 5, (PHONE, 3): 0, (TV, 1): 5, (PHONE, 1): 5}
    d = route([ship(1, TV, 1), ship(2, PHONE, 1)], stock)
    assert where(d) == [(1, 1, False), (1, 1, False)]
    assert d.allocations[0].reasons[0] == "single location: Warehouse (WH) can ship the whole order"


def test_ship_lines_go_to_the_nearest_location_that_has_everything():
    stock = {(TV, 1): 5, (TV, 2): 5, (TV, 3): 5}
    d = route([ship(1, TV, 2)], stock)
    # Arbat is ~0.6 km away, Tverskaya ~1.3 km, the warehouse ~22 km
    assert where(d) == [(3, 2, False)]
    assert "distance 0.626 km" in d.allocations[0].reasons


def test_stock_depth_breaks_a_distance_tie():
    a = Site(10, "A", "A", 55.70, 37.60, ships=True)
    b = Site(11, "B", "B", 55.70, 37.60, ships=True)
    d = route([ship(1, TV, 1)], {(TV, 10): 3, (TV, 11): 9}, sites=[a, b])
    assert where(d) == [(11, 1, False)]


def test_priority_breaks_a_distance_and_depth_tie():
    a = Site(10, "A", "A", 55.70, 37.60, ships=True, priority=100)
    b = Site(11, "B", "B", 55.70, 37.60, ships=True, priority=5)
    d = route([ship(1, TV, 1)], {(TV, 10): 3, (TV, 11): 3}, sites=[a, b])
    assert where(d) == [(11, 1, False)]


def test_criteria_order_comes_from_the_profile():
    stock = {(TV, 1): 5, (TV, 3): 5}
    nearest = route([ship(1, TV, 1)], stock)
    by_priority = route(
        [ship(1, TV, 1)], stock, profile=Profile(criteria=("PRIORITY", "DISTANCE", "STOCK_DEPTH"))
    )
    assert where(nearest) == [(3, 1, False)]
    assert where(by_priority) == [(1, 1, False)]


def test_split_takes_the_location_covering_most_units_first():
    stock = {(TV, 1): 1, (PHONE, 1): 0, (TV, 2): 1, (PHONE, 2): 3, (TV, 3): 0, (PHONE, 3): 1}
    d = route([ship(1, TV, 2), ship(2, PHONE, 3)], stock)
    # Tverskaya covers 4 of 5 units; the rest (1 TV) comes from the warehouse
    assert sorted(where(d)) == [(1, 1, False), (2, 1, False), (2, 3, False)]
    assert d.shortfalls == ()


def test_max_splits_limits_the_number_of_shipping_locations():
    stock = {(TV, 1): 1, (TV, 2): 1, (TV, 3): 1}
    d = route([ship(1, TV, 3)], stock, profile=Profile(max_splits=2))
    assert sum(q for _, q, _ in where(d)) == 2
    assert len({loc for loc, _, _ in where(d)}) == 2
    (short,) = d.shortfalls
    assert (short.key, short.wanted, short.available) == (1, 3, 2)
    assert d.allocations[0].reasons[-1] == (
        "at most 2 shipping location(s) per order; 1 of 3 units left"
    )


def test_one_location_only_when_max_splits_is_one():
    stock = {(TV, 1): 2, (TV, 2): 2}
    d = route([ship(1, TV, 3)], stock, profile=Profile(max_splits=1))
    assert where(d) == [(2, 2, False)]  # equal cover: the nearer one
    assert d.shortfalls[0].available == 2


def test_shortfall_lists_other_pickup_stores_and_delivery():
    stock = {(TV, 4): 0, (TV, 2): 2, (TV, 3): 1, (TV, 1): 7}
    d = route(
        [pickup(1, TV, 2, S3.location_id)],
        stock,
        profile=Profile(allow_transfers=False),
    )
    (short,) = d.shortfalls
    alts = [(a.location_id, a.method, a.available) for a in short.alternatives]
    # other pickup stores nearest Mitino first (Arbat, then Tverskaya), then delivery with
    # everything shippable
    assert alts == [(3, M.PICKUP, 1), (2, M.PICKUP, 2), (1, M.SHIP, 10)]


def test_excluded_location_is_never_a_source_but_still_receives_its_pickup():
    stock = {(TV, 4): 5, (TV, 2): 5}
    d = route([pickup(1, TV, 1, S3.location_id)], stock, exclude={4})
    assert where(d) == [(2, 1, True)]
    assert d.allocations[0].pickup_location_id == 4


def test_same_variant_on_two_lines_does_not_double_count_stock():
    d = route([ship(1, TV, 2), ship(2, TV, 2)], {(TV, 1): 3}, sites=[WH])
    assert sum(q for _, q, _ in where(d)) == 3
    assert [(s.key, s.available) for s in d.shortfalls] == [(2, 1)]


def test_negative_available_counts_as_none():
    d = route([ship(1, TV, 1)], {(TV, 1): -4}, sites=[WH])
    assert d.allocations == () and d.shortfalls[0].available == 0


def test_decision_json_records_the_profile_version_and_reasons():
    d = route([ship(1, TV, 1)], {(TV, 1): 1}, sites=[WH], profile=Profile(version=7))
    doc = d.to_json()
    assert doc["profileVersion"] == 7
    assert doc["allocations"][0]["locationId"] == 1
    assert doc["allocations"][0]["reasons"][0].startswith("single location")


def test_profile_rules_are_validated():
    with pytest.raises(ValidationFailed) as bad_key:
        Profile.from_rules({"max_split": 2})
    assert "max_split" in bad_key.value.message
    with pytest.raises(ValidationFailed):
        Profile.from_rules({"criteria": ["DISTANCE", "DISTANCE"]})
    with pytest.raises(ValidationFailed):
        Profile.from_rules({"max_splits": 0})
    p = Profile.from_rules({"criteria": ["priority"], "max_splits": 3}, version=2, name="x")
    assert (p.criteria, p.max_splits, p.version) == (("PRIORITY",), 3, 2)
    assert Profile.from_rules(p.rules()) == Profile.from_rules(p.rules())


def test_pickup_deadline_is_closing_time_after_the_window():
    hours = {"mon-fri": "10:00-22:00", "sat": "11:00-20:00"}
    # ready Monday 09:00 UTC = 12:00 Moscow; + 3 days = Thursday -> closes 22:00 Moscow
    deadline = pickup_deadline(ready=NOW, days=3, opening_hours=hours, timezone="Europe/Moscow")
    assert deadline == datetime(2026, 11, 26, 19, 0, tzinfo=UTC)
    # + 6 days = Sunday, closed -> Monday's closing
    deadline = pickup_deadline(ready=NOW, days=6, opening_hours=hours, timezone="Europe/Moscow")
    assert deadline == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
    assert pickup_deadline(ready=NOW, days=2, opening_hours={}) == datetime(
        2026, 11, 25, 9, 0, tzinfo=UTC
    )


stock_st = st.dictionaries(
    st.tuples(st.sampled_from([TV, PHONE]), st.sampled_from([1, 2, 3, 4])),
    st.integers(min_value=-3, max_value=6),
)
lines_st = st.lists(
    st.tuples(
        st.sampled_from([TV, PHONE]),
        st.integers(min_value=1, max_value=6),
        st.sampled_from([None, 2, 3, 4]),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(stock=stock_st, raw=lines_st, max_splits=st.integers(min_value=1, max_value=4))
def test_never_allocates_more_than_available_and_accounts_for_every_unit(stock, raw, max_splits):
    lines = [
        RouteLine(i, v, q, M.PICKUP if store else M.SHIP, store)
        for i, (v, q, store) in enumerate(raw)
    ]
    d = route(lines, stock, profile=Profile(max_splits=max_splits))
    used: dict[tuple[int, int], int] = {}
    for a in d.allocations:
        assert a.quantity > 0
        used[(a.variant_id, a.location_id)] = (
            used.get((a.variant_id, a.location_id), 0) + a.quantity
        )
        assert a.reasons
    for k, q in used.items():
        assert q <= max(stock.get(k, 0), 0)
    for line in lines:
        got = sum(a.quantity for a in d.allocations if a.key == line.key)
        short = [s for s in d.shortfalls if s.key == line.key]
        assert got <= line.quantity
        assert (got < line.quantity) == bool(short)
        if short:
            assert short[0].available == got
    ship_locations = {a.location_id for a in d.allocations if a.method is M.SHIP}
    assert len(ship_locations) <= max_splits
    assert (
        decide(
            RouteRequest(tuple(lines), ADDRESS, frozenset(), NOW),
            sites=SITES,
            available=stock,
            profile=Profile(max_splits=max_splits),
        )
        == d
    )
