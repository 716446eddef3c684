"""Process-wide resources: engine, broadcaster, outbox relay, event stream, caches."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.ratelimit import RateLimiter, make_rate_limiter
from domain.access.throttle import Policy, SignInThrottle, make_sign_in_throttle
from domain.shared.broadcast import Broadcaster, make_broadcaster
from domain.shared.db import make_engine, make_session_factory
from domain.shared.embedded import EmbeddedPostgres
from domain.shared.idempotency import purge_expired
from domain.shared.outbox import EventStream, OutboxRelay
from domain.shared.settings import Settings
from domain.shared.uow import UnitOfWork

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    broadcaster: Broadcaster
    relay: OutboxRelay
    events: EventStream
    secret: str
    embedded: EmbeddedPostgres | None = None
    caches: dict[str, dict[object, object]] = field(default_factory=dict)
    rate_limiter: RateLimiter | None = None
    sign_in_throttle: SignInThrottle | None = None
    _maintenance: asyncio.Task[None] | None = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, after_commit=self.relay.wake)

    @classmethod
    async def start(cls, settings: Settings, *, run_relay: bool = True) -> Runtime:
        embedded = None
        url = settings.database_url
        if not url:
            from domain.shared import migrate

            embedded = EmbeddedPostgres(settings.data_dir)
            url = await asyncio.to_thread(embedded.start)
            log.info("database.embedded", data_dir=str(embedded.pgdata))
            await asyncio.to_thread(migrate.upgrade, url)
        engine = make_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )
        broadcaster = make_broadcaster(settings.redis_url, prefix=settings.redis_prefix)
        relay = OutboxRelay(
            engine,
            broadcaster,
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.outbox_batch_size,
            retention_hours=settings.outbox_retention_hours,
        )
        runtime = cls(
            settings=settings,
            engine=engine,
            session_factory=make_session_factory(engine),
            broadcaster=broadcaster,
            relay=relay,
            events=EventStream(engine, broadcaster),
            secret=settings.resolved_secret_key(),
            embedded=embedded,
            rate_limiter=make_rate_limiter(
                points=settings.rate_limit_points,
                window_seconds=settings.rate_limit_window_seconds,
                redis_url=settings.redis_url,
                prefix=settings.redis_prefix,
            ),
            sign_in_throttle=make_sign_in_throttle(
                redis_url=settings.redis_url,
                prefix=settings.redis_prefix,
                account=Policy(
                    free_attempts=settings.sign_in_free_attempts,
                    lockout_attempts=settings.sign_in_lockout_attempts,
                    lockout_seconds=settings.sign_in_lockout_seconds,
                    max_delay_seconds=settings.sign_in_max_delay_seconds,
                ),
                address=Policy(
                    free_attempts=settings.sign_in_address_free_attempts,
                    lockout_attempts=settings.sign_in_address_lockout_attempts,
                    lockout_seconds=settings.sign_in_lockout_seconds,
                    max_delay_seconds=settings.sign_in_max_delay_seconds,
                ),
            ),
        )
        if run_relay:
            await relay.start()
            runtime._maintenance = asyncio.create_task(runtime._housekeeping(), name="housekeeping")
        return runtime

    async def _housekeeping(self) -> None:
        """Drop published outbox rows and idempotency keys past their retention, and run the
        sweepers, every ``housekeeping_seconds``."""
        while True:
            await asyncio.sleep(self.settings.housekeeping_seconds)
            try:
                await self.relay.cleanup()
                await purge_expired(
                    self.uow(), older_than_hours=self.settings.idempotency_retention_hours
                )
                await self.sweep()
            except Exception:
                log.exception("housekeeping.failed")

    async def sweep(self) -> dict[str, int]:
        """Lapsed stock holds go back to the shelf figures; pickups not collected by their
        deadline are released and refunded. Each item is its own short transaction that
        re-checks it under a lock, so replicas sweeping at the same time do each item once
        (the ``inventory-sweep`` / ``fulfillment-sweep`` commands do the same on demand)."""
        from fulfillment.services.rerouting import sweep_pickup_deadlines
        from inventory.services.holds import sweep_expired

        swept = {
            "holds": await sweep_expired(self.uow),
            "pickups": await sweep_pickup_deadlines(self.uow),
        }
        if any(swept.values()):
            log.info("housekeeping.swept", **swept)
        return swept

    async def stop(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        await self.relay.stop()
        await self.broadcaster.close()
        if self.rate_limiter is not None:
            await self.rate_limiter.close()
        if self.sign_in_throttle is not None:
            await self.sign_in_throttle.close()
        await self.engine.dispose()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)
