"""Locations: create, update, deactivate (admin)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.shared.errors import Conflict, ValidationFailed
from domain.shared.uow import UnitOfWork
from inventory.errors import UnknownLocation
from inventory.events import LocationChanged
from inventory.model import LocationKind, parse_opening_hours
from inventory.queries import location_by_code
from inventory.tables import LocationRow

_UNSET: Any = object()


def _check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None) or (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise ValidationFailed(
            "Coordinates need both latitude (-90..90) and longitude (-180..180).", field="latitude"
        )


def _check_hours(opening_hours: dict[str, Any] | None) -> dict[str, Any]:
    try:
        parse_opening_hours(opening_hours or {})
    except (ValueError, AttributeError) as exc:
        raise ValidationFailed(
            f'Opening hours: {exc}. Example: {{"mon-fri": "10:00-22:00", "sat": "11:00-20:00"}}.',
            field="openingHours",
        ) from exc
    return dict(opening_hours or {})


def _check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(
            f"Unknown time zone {tz!r}; use an IANA name such as Europe/Moscow.", field="timezone"
        ) from exc
    return tz


def _check_lead(minutes: int) -> int:
    if not 0 <= minutes <= 14 * 24 * 60:
        raise ValidationFailed(
            "Pickup lead time is 0 to 20160 minutes (two weeks).", field="pickupLeadMinutes"
        )
    return minutes


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
    timezone: str = "UTC",
    actor: str = "system",
) -> int:
    code = code.strip().upper()
    if not code or len(code) > 32:
        raise ValidationFailed("A location code is 1 to 32 characters, e.g. S01.", field="code")
    if not name.strip():
        raise ValidationFailed("Give the location a name.", field="name")
    _check_coordinates(latitude, longitude)
    hours = _check_hours(opening_hours)
    _check_timezone(timezone)
    _check_lead(pickup_lead_minutes)
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
            opening_hours=hours,
            pickup_lead_minutes=pickup_lead_minutes,
            priority=priority,
            timezone=timezone,
            active=True,
        )
        uow.session.add(row)
        await uow.session.flush()
        uow.record(LocationChanged(location_id=row.id, kind="CREATED", actor=actor))
        await uow.commit()
    return row.id


async def update_location(
    uow: UnitOfWork,
    *,
    location_id: int,
    actor: str,
    name: str | None = None,
    address: str | None = None,
    city: str | None = None,
    latitude: float | None = _UNSET,
    longitude: float | None = _UNSET,
    ships: bool | None = None,
    offers_pickup: bool | None = None,
    sells_in_store: bool | None = None,
    opening_hours: dict[str, Any] | None = None,
    pickup_lead_minutes: int | None = None,
    priority: int | None = None,
    timezone: str | None = None,
) -> None:
    """Change the given fields; the others stay (the code and kind are fixed)."""
    async with uow:
        row = await uow.session.get(LocationRow, location_id, with_for_update=True)
        if row is None:
            raise UnknownLocation("No such location.", field="id")
        if name is not None:
            if not name.strip():
                raise ValidationFailed("Give the location a name.", field="name")
            row.name = name.strip()
        lat = row.latitude if latitude is _UNSET else latitude
        lon = row.longitude if longitude is _UNSET else longitude
        _check_coordinates(lat, lon)
        row.latitude, row.longitude = lat, lon
        if opening_hours is not None:
            row.opening_hours = _check_hours(opening_hours)
        if timezone is not None:
            row.timezone = _check_timezone(timezone)
        if pickup_lead_minutes is not None:
            row.pickup_lead_minutes = _check_lead(pickup_lead_minutes)
        for attr, value in (
            ("address", address),
            ("city", city),
            ("ships", ships),
            ("offers_pickup", offers_pickup),
            ("sells_in_store", sells_in_store),
            ("priority", priority),
        ):
            if value is not None:
                setattr(row, attr, value)
        await uow.session.flush()
        uow.record(LocationChanged(location_id=row.id, kind="UPDATED", actor=actor))
        await uow.commit()


async def deactivate_location(uow: UnitOfWork, *, location_id: int, actor: str) -> None:
    """A deactivated location is out of stock checks, availability and sourcing; its stock and
    ledger stay. Refused while it holds promises (reserved or committed units)."""
    from sqlalchemy import text

    async with uow:
        row = await uow.session.get(LocationRow, location_id, with_for_update=True)
        if row is None:
            raise UnknownLocation("No such location.", field="id")
        promised = await uow.session.scalar(
            text(
                "SELECT coalesce(sum(committed + reserved), 0) FROM stock_levels "
                "WHERE location_id = :l"
            ),
            {"l": location_id},
        )
        if promised:
            raise Conflict(
                f"{row.code} still has {promised} units reserved or committed; fulfil or "
                "release them before deactivating.",
                field="id",
            )
        row.active = False
        await uow.session.flush()
        uow.record(LocationChanged(location_id=row.id, kind="DEACTIVATED", actor=actor))
        await uow.commit()
