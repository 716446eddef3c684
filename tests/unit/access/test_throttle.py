"""The sign-in throttle's rules, in process (no Redis configured) and with Redis unreachable."""

from __future__ import annotations

import pytest

from domain.access.throttle import MemoryStore, Policy, RedisStore, SignInThrottle, TooManyAttempts
from tests.support.processes import free_port

ACCOUNT = Policy(free_attempts=2, lockout_attempts=5, lockout_seconds=300, max_delay_seconds=4)
ADDRESS = Policy(free_attempts=100, lockout_attempts=0, lockout_seconds=300, max_delay_seconds=4)


def test_the_wait_doubles_after_the_free_failures_is_capped_then_locks() -> None:
    assert [ACCOUNT.wait_after(n) for n in range(1, 7)] == [0, 0, 1, 2, 300, 300]
    slow = Policy(free_attempts=0, lockout_attempts=0, lockout_seconds=60, max_delay_seconds=4)
    assert [slow.wait_after(n) for n in range(1, 6)] == [1, 2, 4, 4, 4]  # never locks


async def test_in_process_counters_refuse_while_waiting_and_forget_after_a_quiet_period() -> None:
    now = [1000.0]
    throttle = SignInThrottle(MemoryStore(), account=ACCOUNT, address=ADDRESS, clock=lambda: now[0])

    async def attempt() -> int | None:
        try:
            await throttle.begin(realm="staff", identifier="a@b.c", address="10.0.0.1")
        except TooManyAttempts as exc:
            return exc.retry_after_seconds
        return None

    assert [await attempt() for _ in range(4)] == [None, None, None, 1]
    now[0] += 1
    assert await attempt() is None  # the 4th failure: wait 2
    assert await attempt() == 2
    now[0] += 2
    assert await attempt() is None  # the 5th: locked
    assert await attempt() == 300
    now[0] += 300
    assert await attempt() is None  # the lock and the count are forgotten
    assert await attempt() is None


async def test_a_success_clears_the_account_and_gives_the_address_its_attempt_back() -> None:
    throttle = SignInThrottle(
        MemoryStore(),
        account=ACCOUNT,
        address=Policy(
            free_attempts=1, lockout_attempts=0, lockout_seconds=300, max_delay_seconds=4
        ),
        clock=lambda: 1000.0,
    )
    ok = await throttle.begin(realm="customer", identifier="x", address="10.0.0.2")
    await ok.succeeded()
    ok = await throttle.begin(realm="customer", identifier="x", address="10.0.0.2")
    await ok.succeeded()  # the address never got past its one free attempt
    await throttle.begin(realm="customer", identifier="y", address="10.0.0.2")  # a failure
    await throttle.begin(realm="customer", identifier="z", address="10.0.0.2")  # 2nd: wait 1
    with pytest.raises(TooManyAttempts) as refused:
        await throttle.begin(realm="customer", identifier="x", address="10.0.0.2")
    assert refused.value.retry_after_seconds == 1
    assert "from your network address" in refused.value.message


async def test_with_redis_unreachable_each_process_still_counts() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}", prefix="down")
    throttle = SignInThrottle(store, account=ACCOUNT, address=ADDRESS, clock=lambda: 1000.0)
    try:
        for _ in range(3):  # sign-in goes on without Redis ...
            await throttle.begin(realm="staff", identifier="a@b.c", address="10.0.0.3")
        with pytest.raises(TooManyAttempts):  # ... and guessing is still slowed down
            await throttle.begin(realm="staff", identifier="a@b.c", address="10.0.0.3")
    finally:
        await throttle.close()


async def test_ipv6_clients_are_counted_per_64_network() -> None:
    throttle = SignInThrottle(
        MemoryStore(),
        account=Policy(
            free_attempts=100, lockout_attempts=0, lockout_seconds=300, max_delay_seconds=4
        ),
        address=Policy(
            free_attempts=1, lockout_attempts=2, lockout_seconds=300, max_delay_seconds=4
        ),
        clock=lambda: 1000.0,
    )
    await throttle.begin(realm="staff", identifier="a", address="2001:db8:1:2::1")
    await throttle.begin(realm="staff", identifier="b", address="2001:db8:1:2:ffff::9")  # locks
    with pytest.raises(TooManyAttempts):
        await throttle.begin(realm="staff", identifier="c", address="2001:db8:1:2:abcd::5")
    await throttle.begin(realm="staff", identifier="c", address="2001:db8:1:3::1")  # another /64
