"""The return window: days per channel ("*" for every channel not named), default 14."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.errors import ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.returns.model import DEFAULT_WINDOW_DAYS, check_window_days
from fulfillment.returns.tables import ReturnPolicyRow

ANY_CHANNEL = "*"
CHANNELS = frozenset({"WEB", "APP", "POS", "STAFF", "BACK_OFFICE", ANY_CHANNEL})


async def window_days(session: AsyncSession, channel: str) -> int:
    """The channel's own window, else the "*" window, else DEFAULT_WINDOW_DAYS."""
    rows = dict(
        (
            await session.execute(
                select(ReturnPolicyRow.channel, ReturnPolicyRow.window_days).where(
                    ReturnPolicyRow.channel.in_([channel, ANY_CHANNEL])
                )
            )
        ).all()
    )
    return int(rows.get(channel, rows.get(ANY_CHANNEL, DEFAULT_WINDOW_DAYS)))


async def windows(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(ReturnPolicyRow.channel, ReturnPolicyRow.window_days))
    found = {str(c): int(d) for c, d in rows}
    found.setdefault(ANY_CHANNEL, DEFAULT_WINDOW_DAYS)
    return found


async def set_window(uow: UnitOfWork, *, channel: str | None, days: int, actor: str) -> int:
    """Set the return window of ``channel`` (None: every channel). Returns the days."""
    key = (channel or ANY_CHANNEL).upper()
    if key not in CHANNELS:
        raise ValidationFailed(
            f"Unknown channel {channel}; use one of WEB, APP, POS, STAFF, BACK_OFFICE.",
            field="channel",
        )
    check_window_days(days)
    async with uow:
        await uow.session.execute(
            insert(ReturnPolicyRow)
            .values(channel=key, window_days=days, updated_by=actor)
            .on_conflict_do_update(
                index_elements=["channel"],
                set_={"window_days": days, "updated_by": actor, "updated_at": func.now()},
            )
        )
        await uow.commit()
    return days
