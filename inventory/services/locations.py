"""Inventory use cases."""

from __future__ import annotations

from typing import Any

from domain.shared.errors import Conflict, ValidationFailed
from domain.shared.uow import UnitOfWork
from inventory.model import LocationKind
from inventory.queries import location_by_code
from inventory.tables import LocationRow


async def create_location(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    kind: LocationKind,
    address: str = "",
    city: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    ships: bool = False,
    offers_pickup: bool = False,
    sells_in_store: bool = False,
    opening_hours: dict[str, Any] | None = None,
    pickup_lead_minutes: int = 120,
    priority: int = 100,
) -> int:
    code = code.strip().upper()
    if not code or len(code) > 32:
        raise ValidationFailed("A location code is 1 to 32 characters, e.g. S01.", field="code")
    if not name.strip():
        raise ValidationFailed("Give the location a name.", field="name")
    if (latitude is None) != (longitude is None) or (
        latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):  # type: ignore[operator]
        raise ValidationFailed(
            "Coordinates need both latitude (-90..90) and longitude (-180..180).", field="latitude"
        )
    async with uow:
        if await location_by_code(uow.session, code) is not None:
            raise Conflict(f"Location code {code} is taken; choose another.", field="code")
        row = LocationRow(
            code=code,
            name=name.strip(),
            kind=kind,
            address=address,
            city=city,
            latitude=latitude,
            longitude=longitude,
            ships=ships,
            offers_pickup=offers_pickup,
            sells_in_store=sells_in_store,
            opening_hours=opening_hours or {},
            pickup_lead_minutes=pickup_lead_minutes,
            priority=priority,
            active=True,
        )
        uow.session.add(row)
        await uow.session.flush()
        await uow.commit()
    return row.id
