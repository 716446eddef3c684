"""Sign-in throttling: guessing passwords gets slower, then stops.

Two counters guard every sign-in (staff and customer): one per account identifier (the
normalised e-mail or phone, whether or not such an account exists, so the answers do not tell
which ones do) and one per client address (one address spraying many accounts). An attempt is
counted *before* the password is checked, in one atomic step that also refuses the attempt
while a counter is in its waiting time: concurrent guesses cannot slip past the limit. After
``free_attempts`` the waiting time doubles with each further failure (1, 2, 4 ... seconds, at
most ``max_delay_seconds``); at ``lockout_attempts`` the counter locks for
``lockout_seconds``. A successful sign-in clears the account's counter and gives its attempt
back to the address. A counter forgets everything after ``lockout_seconds`` without attempts.

The answer to a refused attempt says how long to wait; nothing sleeps on the server.

The counters live in Redis, shared by every replica; without Redis, in this process. If Redis
cannot be reached, each process counts on its own until it is back (logged): sign-in neither
goes down nor becomes unlimited. IPv6 clients are counted per /64 network (one subscriber's
allocation), so rotating addresses inside it does not reset the count.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from domain.shared.errors import DomainError

log = structlog.get_logger(__name__)


class TooManyAttempts(DomainError):
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, message: str, *, retry_after_seconds: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class Policy:
    free_attempts: int
    lockout_attempts: int  # 0: never locks (delays only)
    lockout_seconds: int
    max_delay_seconds: int

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure in a row."""
        if self.lockout_attempts > 0 and failures >= self.lockout_attempts:
            return float(self.lockout_seconds)
        if failures <= self.free_attempts:
            return 0.0
        return float(min(2 ** (failures - self.free_attempts - 1), self.max_delay_seconds))

    @property
    def memory_seconds(self) -> int:
        return max(self.lockout_seconds, self.max_delay_seconds, 1)

    def args(self) -> list[int]:
        return [
            self.free_attempts,
            self.lockout_attempts,
            self.lockout_seconds,
            self.max_delay_seconds,
            self.memory_seconds,
        ]


@dataclass(frozen=True)
class Counter:
    key: str
    policy: Policy


class Store(Protocol):
    async def begin(self, counters: Sequence[Counter], now: float) -> tuple[float, int]:
        """Refuse (the longest wait left, the index of the counter that made it) while one
        counter is waiting; else count the attempt on every counter: (0, -1)."""

    async def forget(self, counter: Counter) -> None: ...

    async def give_back(self, counter: Counter, now: float) -> None:
        """Undo one counted attempt (it succeeded); a wait it started ends if no longer due."""

    async def close(self) -> None: ...


class MemoryStore:
    """One process's counters (no Redis configured: a single process)."""

    def __init__(self) -> None:
        self._rows: dict[str, list[float]] = {}  # key -> [failures, wait until, forget at]

    def _row(self, key: str, now: float) -> list[float] | None:
        row = self._rows.get(key)
        if row is not None and row[2] <= now:
            del self._rows[key]
            return None
        return row

    async def begin(self, counters: Sequence[Counter], now: float) -> tuple[float, int]:
        if len(self._rows) > 100_000:
            self._rows = {k: v for k, v in self._rows.items() if v[2] > now}
        wait, which = 0.0, -1
        for i, c in enumerate(counters):
            row = self._row(c.key, now)
            if row is not None and row[1] - now > wait:
                wait, which = row[1] - now, i
        if wait > 0:
            return wait, which
        for c in counters:
            row = self._row(c.key, now) or [0.0, 0.0, 0.0]
            row[0] += 1
            delay = c.policy.wait_after(int(row[0]))
            if delay > 0:
                row[1] = now + delay
            row[2] = now + max(c.policy.memory_seconds, delay)
            self._rows[c.key] = row
        return 0.0, -1

    async def forget(self, counter: Counter) -> None:
        self._rows.pop(counter.key, None)

    async def give_back(self, counter: Counter, now: float) -> None:
        row = self._row(counter.key, now)
        if row is not None:
            row[0] = max(0.0, row[0] - 1)
            if counter.policy.wait_after(int(row[0])) == 0:
                row[1] = 0.0

    async def close(self) -> None:
        return None


# KEYS: the counters; ARGV: now, then per counter: free, lockout, lockout s, max delay, memory s.
_BEGIN = """
local now = tonumber(ARGV[1])
local wait, which = 0, -1
for i, key in ipairs(KEYS) do
  local u = tonumber(redis.call('HGET', key, 'u') or '0')
  if u - now > wait then wait, which = u - now, i - 1 end
end
if wait > 0 then return {tostring(wait), which} end
for i, key in ipairs(KEYS) do
  local b = 1 + (i - 1) * 5
  local free, lock = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
  local lock_s, max_d, memory = tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  local n = redis.call('HINCRBY', key, 'n', 1)
  local d = 0
  if lock > 0 and n >= lock then d = lock_s
  elseif n > free then d = math.min(2 ^ (n - free - 1), max_d) end
  if d > 0 then redis.call('HSET', key, 'u', tostring(now + d)) end
  redis.call('EXPIRE', key, math.ceil(math.max(memory, d)))
end
return {'0', -1}
"""

# KEYS: one counter; ARGV: free, lockout.
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'n', -1)
local free, lock = tonumber(ARGV[1]), tonumber(ARGV[2])
if n < 0 then redis.call('HSET', KEYS[1], 'n', 0) end
if n <= free and (lock <= 0 or n < lock) then redis.call('HDEL', KEYS[1], 'u') end
return n
"""


class RedisStore:
    """Counters every replica shares: each step is one Lua script, atomic in Redis."""

    def __init__(self, url: str, *, prefix: str) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._prefix = prefix
        self._begin = self._redis.register_script(_BEGIN)
        self._give_back = self._redis.register_script(_GIVE_BACK)

    def _key(self, counter: Counter) -> str:
        return f"{self._prefix}:signin:{counter.key}"

    async def begin(self, counters: Sequence[Counter], now: float) -> tuple[float, int]:
        args: list[float | int] = [now]
        for c in counters:
            args.extend(c.policy.args())
        wait, which = await self._begin(keys=[self._key(c) for c in counters], args=args)
        return float(wait), int(which)

    async def forget(self, counter: Counter) -> None:
        await self._redis.delete(self._key(counter))

    async def give_back(self, counter: Counter, now: float) -> None:
        p = counter.policy
        await self._give_back(keys=[self._key(counter)], args=[p.free_attempts, p.lockout_attempts])

    async def close(self) -> None:
        await self._redis.aclose()


def _digest(value: str) -> str:
    # identifiers are personal data: Redis keys carry a digest, not the e-mail or phone
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class Attempt:
    """One sign-in attempt that was let through; report how it ended."""

    def __init__(self, throttle: SignInThrottle, counters: Sequence[Counter], store: Store):
        self._throttle = throttle
        self._counters = counters
        self._store = store  # where it was counted

    async def succeeded(self) -> None:
        account, *others = self._counters
        try:
            await self._store.forget(account)
            for counter in others:
                await self._store.give_back(counter, self._throttle.clock())
        except (RedisError, OSError) as exc:
            log.warning("signin_throttle.unavailable", error=str(exc))


class SignInThrottle:
    def __init__(
        self,
        store: Store,
        *,
        account: Policy,
        address: Policy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.fallback = MemoryStore()  # while Redis is unreachable
        self.account = account
        self.address = address
        self.clock = clock

    async def begin(self, *, realm: str, identifier: str, address: str | None) -> Attempt:
        """Count an attempt at ``identifier`` (already normalised) of ``realm`` ("staff",
        "customer") from ``address``, or raise ``TooManyAttempts`` saying how long to wait."""
        counters = [Counter(f"acct:{realm}:{_digest(identifier)}", self.account)]
        if address:
            counters.append(Counter(f"addr:{_network(address)}", self.address))
        store = self.store
        try:
            wait, which = await store.begin(counters, self.clock())
        except (RedisError, OSError) as exc:
            log.warning("signin_throttle.unavailable", error=str(exc))
            store = self.fallback
            wait, which = await store.begin(counters, self.clock())
        if wait <= 0:
            return Attempt(self, counters, store)
        raise _refusal(math.ceil(wait), counters[which].policy, by_address=which == 1)

    async def close(self) -> None:
        await self.store.close()


def _refusal(seconds: int, policy: Policy, *, by_address: bool) -> TooManyAttempts:
    whose = "from your network address" if by_address else "for this account"
    if seconds > policy.max_delay_seconds:
        minutes = math.ceil(seconds / 60)
        message = (
            f"Too many failed sign-ins {whose}: sign-in is locked for about {minutes} "
            f"minute(s). Try again in {seconds} seconds; if you forgot the password, ask "
            "for help instead of guessing."
        )
    else:
        message = (
            f"Too many failed sign-ins {whose}. Try again in {seconds} seconds and check "
            "the e-mail or phone and the password first."
        )
    return TooManyAttempts(message, retry_after_seconds=seconds, field="password")


def make_sign_in_throttle(
    *, redis_url: str | None, prefix: str, account: Policy, address: Policy
) -> SignInThrottle:
    store: Store = RedisStore(redis_url, prefix=prefix) if redis_url else MemoryStore()
    return SignInThrottle(store, account=account, address=address)
