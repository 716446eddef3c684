"""Read-side SQL for locations (loaders, other contexts' checks)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.tables import LocationRow


async def locations_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, LocationRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(LocationRow).where(LocationRow.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def location_by_code(session: AsyncSession, code: str) -> LocationRow | None:
    return await session.scalar(select(LocationRow).where(LocationRow.code == code))
