"""SQL for the access context."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.tables import ApiKeyRow, StaffUserLocationRow, StaffUserRow


class AccessRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def api_key_by_public_id(self, public_id: str) -> ApiKeyRow | None:
        return await self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.public_id == public_id))

    async def add_api_key(self, row: ApiKeyRow) -> ApiKeyRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def revoke_api_key(self, api_key_id: int) -> bool:
        result = await self.session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == api_key_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
        return bool(result.rowcount)

    async def staff_by_email(self, email: str) -> StaffUserRow | None:
        return await self.session.scalar(
            select(StaffUserRow).where(func.lower(StaffUserRow.email) == email.lower())
        )

    async def staff_by_id(self, staff_id: int) -> StaffUserRow | None:
        return await self.session.get(StaffUserRow, staff_id)

    async def add_staff(self, row: StaffUserRow, location_ids: Sequence[int]) -> StaffUserRow:
        self.session.add(row)
        await self.session.flush()
        self.session.add_all(
            StaffUserLocationRow(staff_user_id=row.id, location_id=loc) for loc in location_ids
        )
        await self.session.flush()
        return row

    async def staff_location_ids(self, staff_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(StaffUserLocationRow.location_id)
            .where(StaffUserLocationRow.staff_user_id == staff_id)
            .order_by(StaffUserLocationRow.location_id)
        )
        return list(rows)
