"""Sourcing profile versions. A version is immutable once written; creating one never changes
routing until it is activated; exactly one version is active (a partial unique index). With no
profile on file, routing uses the built-in default (``sourcing.DEFAULT_PROFILE``, version 0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.sourcing import DEFAULT_PROFILE, Profile
from fulfillment.tables import SourcingProfileRow


def profile_of(row: SourcingProfileRow) -> Profile:
    return Profile.from_rules(row.rules, version=row.version, name=row.name)


async def active_profile(session: AsyncSession) -> Profile:
    row = await session.scalar(
        select(SourcingProfileRow).where(SourcingProfileRow.active.is_(True))
    )
    return profile_of(row) if row is not None else DEFAULT_PROFILE


async def profile_rows(session: AsyncSession) -> list[SourcingProfileRow]:
    return list(
        await session.scalars(select(SourcingProfileRow).order_by(SourcingProfileRow.version))
    )


async def profile_rows_by_versions(
    session: AsyncSession, versions: list[int]
) -> dict[int, SourcingProfileRow]:
    rows = await session.scalars(
        select(SourcingProfileRow).where(SourcingProfileRow.version.in_(set(versions)))
    )
    return {r.version: r for r in rows}


async def create_profile(
    uow: UnitOfWork,
    *,
    name: str,
    rules: Mapping[str, Any],
    actor: str,
    activate: bool = False,
) -> int:
    """Write a new version (the next number) and return it. Rules are validated first."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Give the profile a name.", field="name")
    Profile.from_rules(rules)  # raises on bad rules; nothing written
    async with uow:
        # one writer at a time picks the next number
        await uow.session.execute(select(func.pg_advisory_xact_lock(7_000_007)))
        latest = await uow.session.scalar(select(func.max(SourcingProfileRow.version)))
        version = (latest or 0) + 1
        canonical = Profile.from_rules(rules, version=version, name=name).rules()
        uow.session.add(
            SourcingProfileRow(
                version=version, name=name, rules=canonical, active=False, created_by=actor
            )
        )
        await uow.session.flush()
        if activate:
            await activate_profile(uow, version=version, actor=actor)
        await uow.commit()
    return version


async def activate_profile(uow: UnitOfWork, *, version: int, actor: str) -> None:
    """Make ``version`` the one that routes new orders."""
    async with uow:
        await uow.session.execute(select(func.pg_advisory_xact_lock(7_000_007)))
        exists = await uow.session.scalar(
            select(SourcingProfileRow.id).where(SourcingProfileRow.version == version)
        )
        if exists is None:
            raise NotFound(
                f"No sourcing profile version {version}; list sourcingProfiles for the versions.",
                field="version",
            )
        await uow.session.execute(
            update(SourcingProfileRow)
            .where(SourcingProfileRow.active.is_(True), SourcingProfileRow.version != version)
            .values(active=False)
        )
        await uow.session.execute(
            update(SourcingProfileRow)
            .where(SourcingProfileRow.version == version)
            .values(active=True)
        )
        await uow.commit()
