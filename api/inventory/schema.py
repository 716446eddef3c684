"""Location queries (the inventory issue adds stock, movements and their mutations)."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from api.inventory.types import LocationKind, LocationType
from api.limits import page_size
from api.relay import Connection, connection, decode_cursor
from inventory.tables import LocationRow


@strawberry.type
class InventoryQuery:
    @strawberry.field(description="Active locations by code; filter by kind.")
    async def locations(
        self,
        info: Info,
        kind: LocationKind | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LocationType]:
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        stmt = (
            select(LocationRow)
            .where(LocationRow.active.is_(True))
            .order_by(LocationRow.code)
            .limit(limit + 1)
        )
        if kind is not None:
            stmt = stmt.where(LocationRow.kind == kind)
        if cursor is not None:
            stmt = stmt.where(LocationRow.code > str(cursor[0]))
        async with info.context.runtime.session_factory() as session:
            rows = list(await session.scalars(stmt))
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.code], node=LocationType.from_row
        )
