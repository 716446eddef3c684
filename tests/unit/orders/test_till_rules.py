"""Who may sell at a till and when a sale is an offline replay (fulfillment.till, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access.model import Channel, Principal, PrincipalKind, Role
from domain.shared.errors import DomainError
from fulfillment.till import OfflineDeclaration, sale_time, till_store

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)
S01, S02 = 1, 2


def person(role: Role, *stores: int, channel: Channel = Channel.POS, key_store: int | None = S01):
    staff = role not in (Role.ANONYMOUS, Role.CUSTOMER)
    return Principal(
        kind=PrincipalKind.STAFF if staff else PrincipalKind(role.value),
        role=role,
        channel=channel,
        client_location_id=key_store,
        staff_user_id=7 if staff else None,
        customer_id=5 if role is Role.CUSTOMER else None,
        location_ids=frozenset(stores),
        api_key_id=3,
    )


@pytest.mark.parametrize(
    "principal",
    [
        person(Role.ANONYMOUS),
        person(Role.CUSTOMER),
        person(Role.CASHIER, S02),
        person(Role.WAREHOUSE, S01),
        person(Role.MERCHANDISER),
        person(Role.CASHIER, S01, channel=Channel.WEB, key_store=None),
        person(Role.CASHIER, S01, channel=Channel.STAFF),
        person(Role.CASHIER, S01, key_store=None),
    ],
)
def test_only_the_stores_terminal_with_its_seller_signed_in_may_sell(principal) -> None:
    with pytest.raises(DomainError) as err:
        till_store(principal)
    assert err.value.code == "FORBIDDEN"


@pytest.mark.parametrize(
    "principal",
    [person(Role.CASHIER, S01), person(Role.STORE_MANAGER, S01, S02), person(Role.ADMIN)],
)
def test_a_seller_of_the_store_at_its_terminal_sells_there(principal) -> None:
    assert till_store(principal) == S01
    assert till_store(principal, S01) == S01
    with pytest.raises(DomainError):
        till_store(principal, S02)  # the terminal decides the store


def test_an_undeclared_sale_is_online_whatever_its_time_within_the_clock_skew() -> None:
    assert sale_time(occurred_at=None, offline=None, now=NOW, window=WINDOW) == (None, False)
    at = NOW - timedelta(seconds=2)
    assert sale_time(occurred_at=at, offline=None, now=NOW, window=WINDOW) == (at, False)
    with pytest.raises(DomainError) as err:
        sale_time(occurred_at=NOW - timedelta(minutes=6), offline=None, now=NOW, window=WINDOW)
    assert err.value.code == "OFFLINE_NOT_DECLARED"


def test_a_declared_replay_is_offline_only_within_the_window() -> None:
    at = NOW - timedelta(hours=71)
    declared = OfflineDeclaration(since=at - timedelta(hours=1), reason="router")
    assert sale_time(occurred_at=at, offline=declared, now=NOW, window=WINDOW) == (at, True)
    old = NOW - timedelta(hours=73)
    with pytest.raises(DomainError) as err:
        sale_time(occurred_at=old, offline=OfflineDeclaration(since=old), now=NOW, window=WINDOW)
    assert err.value.code == "OFFLINE_WINDOW_EXCEEDED"
    assert "73 hours ago, beyond the 72-hour offline window" in err.value.message


@pytest.mark.parametrize(
    ("occurred", "since", "field"),
    [
        (None, NOW - timedelta(hours=1), "occurredAt"),  # a replay says when it happened
        (NOW - timedelta(hours=2), NOW - timedelta(hours=1), "offline.since"),  # before going off
        (NOW + timedelta(minutes=10), NOW, "occurredAt"),  # in the future
        (
            NOW - timedelta(hours=1),
            (NOW - timedelta(hours=2)).replace(tzinfo=None),
            "offline.since",
        ),
    ],
)
def test_a_replays_times_must_add_up(occurred, since, field) -> None:
    with pytest.raises(DomainError) as err:
        sale_time(
            occurred_at=occurred, offline=OfflineDeclaration(since=since), now=NOW, window=WINDOW
        )
    assert err.value.field == field
