"""Pure inventory rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inventory.model import (
    Figures,
    HoldChannel,
    Place,
    ReceiptError,
    TransferLine,
    TransferStatus,
    available,
    distance_km,
    hold_expiry,
    needs_recount,
    parse_opening_hours,
    pickup_ready_at,
    plan_receipt,
    rank_locations,
    sellable_quantity,
    transfer_status_after_receipt,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday
MSK = ZoneInfo("Europe/Moscow")


def test_available_is_on_hand_minus_committed_reserved_and_safety_stock():
    assert available(10, 3, 2, 1) == 4
    assert Figures(on_hand=1, committed=2).available == -1
    assert sellable_quantity(Figures(on_hand=1, committed=2)) == 0


def test_a_level_needs_a_recount_when_promises_exceed_the_shelf():
    assert needs_recount(Figures(on_hand=-1)) is True
    assert needs_recount(Figures(on_hand=2, committed=2, reserved=1)) is True
    assert needs_recount(Figures(on_hand=3, committed=2, reserved=1, safety_stock=5)) is False


def test_hold_durations_depend_on_the_channel():
    assert hold_expiry(HoldChannel.WEB, now=NOW) == NOW + timedelta(minutes=30)
    assert hold_expiry(HoldChannel.APP, now=NOW) == NOW + timedelta(minutes=30)
    assert hold_expiry(HoldChannel.POS, now=NOW) == NOW + timedelta(minutes=15)
    deadline = NOW + timedelta(days=2)
    assert hold_expiry(HoldChannel.CLICK_AND_COLLECT, now=NOW, pickup_deadline=deadline) == deadline
    assert hold_expiry(HoldChannel.CLICK_AND_COLLECT, now=NOW) == NOW + timedelta(days=3)
    with pytest.raises(ValueError):
        hold_expiry(HoldChannel.CLICK_AND_COLLECT, now=NOW, pickup_deadline=NOW)


def test_haversine_distance_between_two_moscow_stores():
    assert round(distance_km(55.7527, 37.5880, 55.7615, 37.6085), 3) == 1.613
    assert distance_km(55.0, 37.0, 55.0, 37.0) == 0.0


def test_own_locations_come_first_then_nearest_and_the_radius_drops_far_ones():
    places = [
        Place(1, 55.76, 37.60),
        Place(2, 55.60, 37.49),
        Place(3, None, None),
        Place(4, 55.75, 37.59),
    ]
    assert rank_locations(places, own=frozenset({2}), origin=(55.76, 37.60)) == [
        (2, 19.081),
        (1, 0.0),
        (4, 1.276),
        (3, None),
    ]
    assert [loc for loc, _ in rank_locations(places, origin=(55.76, 37.60), radius_km=5)] == [1, 4]


def test_without_an_origin_the_radius_cannot_apply_and_the_most_available_come_first():
    places = [
        Place(1, 55.76, 37.60, available=2),
        Place(2, None, None, available=9),
        Place(3, 55.60, 37.49, available=0),
        Place(4, 55.75, 37.59, available=9),
    ]
    assert rank_locations(places, origin=None, radius_km=10) == [
        (2, None),
        (4, None),
        (1, None),
        (3, None),
    ]
    assert [loc for loc, _ in rank_locations(places, own=frozenset({3}), origin=None)] == [
        3,
        2,
        4,
        1,
    ]


def test_opening_hours_parse_day_ranges():
    hours = parse_opening_hours({"mon-fri": "10:00-22:00", "sat": "11:00-20:00"})
    assert sorted(hours) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        parse_opening_hours({"someday": "10:00-22:00"})
    with pytest.raises(ValueError):
        parse_opening_hours({"mon": "22:00-10:00"})


def test_pickup_is_ready_after_the_lead_time_inside_opening_hours():
    hours = {"mon-sat": "10:00-22:00"}
    # Monday 15:00 Moscow + 60 min -> 16:00 Moscow
    assert pickup_ready_at(
        ready_from=NOW, lead_minutes=60, opening_hours=hours, tz=MSK
    ) == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    # Monday 21:30 Moscow: 30 min today, 30 min on Tuesday from 10:00 -> 10:30 Moscow
    late = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    assert pickup_ready_at(
        ready_from=late, lead_minutes=60, opening_hours=hours, tz=MSK
    ) == datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    # Saturday evening: closed on Sunday -> Monday 10:00 + remaining
    saturday = datetime(2026, 11, 28, 18, 45, tzinfo=UTC)  # 21:45 Moscow
    assert pickup_ready_at(
        ready_from=saturday, lead_minutes=60, opening_hours=hours, tz=MSK
    ) == datetime(2026, 11, 30, 7, 45, tzinfo=UTC)
    assert pickup_ready_at(ready_from=NOW, lead_minutes=30, opening_hours={}) == NOW + timedelta(
        minutes=30
    )


def test_a_receipt_plan_records_partial_receipts_and_the_shortfall_on_closing():
    lines = [TransferLine(1, 4), TransferLine(2, 2)]
    new, now, short = plan_receipt(lines, {1: 3}, complete=False)
    assert new == [TransferLine(1, 4, 3), TransferLine(2, 2)] and now == {1: 3} and short == {}
    assert transfer_status_after_receipt(new, complete=False) is TransferStatus.PARTIALLY_RECEIVED
    closed, _, short = plan_receipt(new, {2: 2}, complete=True)
    assert closed == [TransferLine(1, 4, 3, 1), TransferLine(2, 2, 2, 0)] and short == {1: 1}
    assert transfer_status_after_receipt(closed, complete=True) is TransferStatus.RECEIVED


def test_receiving_more_than_was_shipped_or_an_unknown_item_is_refused():
    lines = [TransferLine(1, 4, 3)]
    with pytest.raises(ReceiptError, match="too many"):
        plan_receipt(lines, {1: 2}, complete=False)
    with pytest.raises(ReceiptError, match="not on this transfer"):
        plan_receipt(lines, {9: 1}, complete=False)
