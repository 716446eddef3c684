"""Read-side SQL for inventory: lookups for loaders, the staff stock check, storefront
availability, catalog filters and the reconcile check."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    column,
    exists,
    select,
    text,
    true,
    values,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import queries as catalog
from inventory.errors import UnknownVariant
from inventory.model import BUCKETS, Figures, Place, pickup_ready_at, rank_locations
from inventory.tables import (
    LocationRow,
    StockLevelRow,
    StockMovementRow,
    TransferLineRow,
    TransferRow,
)


async def locations_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, LocationRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(LocationRow).where(LocationRow.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def location_by_code(session: AsyncSession, code: str) -> LocationRow | None:
    return await session.scalar(select(LocationRow).where(LocationRow.code == code))


async def locations_by_codes(session: AsyncSession, codes: Iterable[str]) -> dict[str, LocationRow]:
    rows = await session.scalars(select(LocationRow).where(LocationRow.code.in_(set(codes))))
    return {r.code: r for r in rows}


async def resolve_variant(
    session: AsyncSession,
    *,
    variant_id: int | None = None,
    sku: str | None = None,
    barcode: str | None = None,
) -> Any:
    """The catalog variant named by exactly one of id, SKU or barcode."""
    given = [v for v in (variant_id, sku, barcode) if v is not None]
    if len(given) != 1:
        raise UnknownVariant(
            "Name the item by exactly one of variantId, sku or barcode.", field="sku"
        )
    if variant_id is not None:
        row = (await catalog.variants_by_ids(session, [variant_id])).get(variant_id)
        field, what = "variantId", f"variant {variant_id}"
    elif sku is not None:
        row = (await catalog.variants_by_skus(session, [sku.strip()])).get(sku.strip())
        field, what = "sku", f"SKU {sku}"
    else:
        assert barcode is not None
        row = (await catalog.variants_by_barcodes(session, [barcode.strip()])).get(barcode.strip())
        field, what = "barcode", f"barcode {barcode}"
    if row is None:
        raise UnknownVariant(f"No item with {what}; check the label and try again.", field=field)
    return row


async def levels_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, StockLevelRow]:
    rows = await session.scalars(select(StockLevelRow).where(StockLevelRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def levels_by_keys(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], StockLevelRow]:
    """Levels by (variant id, location id)."""
    if not keys:
        return {}
    variant_ids = {k[0] for k in keys}
    rows = await session.scalars(
        select(StockLevelRow).where(StockLevelRow.variant_id.in_(variant_ids))
    )
    wanted = set(keys)
    return {
        (r.variant_id, r.location_id): r for r in rows if (r.variant_id, r.location_id) in wanted
    }


async def movements_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, StockMovementRow]:
    rows = await session.scalars(select(StockMovementRow).where(StockMovementRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def transfers_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, TransferRow]:
    rows = await session.scalars(select(TransferRow).where(TransferRow.id.in_(set(ids))))
    return {r.id: r for r in rows}


async def transfer_lines_by_transfer_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[TransferLineRow]]:
    rows = await session.scalars(
        select(TransferLineRow)
        .where(TransferLineRow.transfer_id.in_(set(ids)))
        .order_by(TransferLineRow.transfer_id, TransferLineRow.variant_id)
    )
    out: dict[int, list[TransferLineRow]] = {}
    for r in rows:
        out.setdefault(r.transfer_id, []).append(r)
    return out


# -- stock check and availability ------------------------------------------------------------


@dataclass(frozen=True)
class LocationStock:
    location: LocationRow
    distance_km: float | None
    figures: Figures
    needs_recount: bool
    incoming_expected_at: datetime | None
    pickup_ready_at: datetime | None  # None: cannot be picked up here


async def _incoming_dates(
    session: AsyncSession, variant_ids: Sequence[int]
) -> dict[tuple[int, int], datetime | None]:
    """Earliest expected arrival per (variant id, location id) of open inbound transfers."""
    rows = await session.execute(
        select(TransferLineRow.variant_id, TransferRow.to_location_id, TransferRow.expected_at)
        .join(TransferLineRow, TransferLineRow.transfer_id == TransferRow.id)
        .where(
            TransferLineRow.variant_id.in_(set(variant_ids)),
            TransferRow.status.in_(["SHIPPED", "PARTIALLY_RECEIVED"]),
            TransferLineRow.received + TransferLineRow.discrepancy < TransferLineRow.quantity,
        )
    )
    out: dict[tuple[int, int], datetime | None] = {}
    for variant, loc, expected in rows:
        key = (variant, loc)
        current = out.get(key)
        if key not in out or (expected is not None and (current is None or expected < current)):
            out[key] = expected
    return out


def pickup_time(
    location: LocationRow, figures: Figures, *, now: datetime, incoming_at: datetime | None
) -> datetime | None:
    if not location.offers_pickup:
        return None
    tz = ZoneInfo(location.timezone or "UTC")
    if figures.available > 0:
        start = now
    elif figures.incoming > 0 and incoming_at is not None:
        start = max(now, incoming_at)
    else:
        return None
    return pickup_ready_at(
        ready_from=start,
        lead_minutes=location.pickup_lead_minutes,
        opening_hours=location.opening_hours,
        tz=tz,
    )


async def stock_by_location(
    session: AsyncSession,
    *,
    variant_id: int,
    now: datetime,
    origin: tuple[float, float] | None = None,
    radius_km: float | None = None,
    own_location_ids: frozenset[int] = frozenset(),
    pickup_only: bool = False,
    limit: int | None = None,
) -> list[LocationStock]:
    """:func:`stock_by_locations` of one variant."""
    found = await stock_by_locations(
        session,
        variant_ids=[variant_id],
        now=now,
        origin=origin,
        radius_km=radius_km,
        own_location_ids=own_location_ids,
        pickup_only=pickup_only,
        limit=limit,
    )
    return found[variant_id]


async def stock_by_locations(
    session: AsyncSession,
    *,
    variant_ids: Sequence[int],
    now: datetime,
    origin: tuple[float, float] | None = None,
    radius_km: float | None = None,
    own_location_ids: frozenset[int] = frozenset(),
    pickup_only: bool = False,
    limit: int | None = None,
) -> dict[int, list[LocationStock]]:
    """Per variant: every active location holding a level of it (and the caller's own, even
    empty), or with ``pickup_only`` every active pickup location; own first, then by distance
    from ``origin`` (without one: most available first, see ``rank_locations``). Two
    statements whatever the number of variants."""
    ids = sorted(set(variant_ids))
    out: dict[int, list[LocationStock]] = {v: [] for v in ids}
    if not ids:
        return out
    wanted = values(column("variant_id", BigInteger), name="wanted").data([(v,) for v in ids])
    stmt = (
        select(wanted.c.variant_id, LocationRow, StockLevelRow)
        .select_from(wanted)
        .join(LocationRow, true())
        .outerjoin(
            StockLevelRow,
            and_(
                StockLevelRow.location_id == LocationRow.id,
                StockLevelRow.variant_id == wanted.c.variant_id,
            ),
        )
        .where(LocationRow.active.is_(True))
        .where(
            (StockLevelRow.id.is_not(None)) | (LocationRow.id.in_(own_location_ids or {-1}))
            if not pickup_only
            else LocationRow.offers_pickup.is_(True)
        )
    )
    per_variant: dict[int, dict[int, tuple[LocationRow, StockLevelRow | None]]] = {}
    for variant_id, loc, level in (await session.execute(stmt)).all():
        per_variant.setdefault(variant_id, {})[loc.id] = (loc, level)
    ranked: dict[int, list[tuple[int, float | None]]] = {}
    for variant_id, found in per_variant.items():
        places = (
            Place(
                loc.id,
                loc.latitude,
                loc.longitude,
                Figures.of(level).available if level is not None else 0,
            )
            for loc, level in found.values()
        )
        order = rank_locations(places, own=own_location_ids, origin=origin, radius_km=radius_km)
        ranked[variant_id] = order[:limit] if limit is not None else order
    shown = [v for v, order in ranked.items() if order]
    incoming = await _incoming_dates(session, shown) if shown else {}
    for variant_id, order in ranked.items():
        for location_id, dist in order:
            loc, level = per_variant[variant_id][location_id]
            figures = Figures.of(level) if level is not None else Figures()
            expected = incoming.get((variant_id, location_id))
            out[variant_id].append(
                LocationStock(
                    location=loc,
                    distance_km=dist,
                    figures=figures,
                    needs_recount=bool(level is not None and level.needs_recount),
                    incoming_expected_at=expected,
                    pickup_ready_at=pickup_time(loc, figures, now=now, incoming_at=expected),
                )
            )
    return out


async def shippable_quantity(session: AsyncSession, variant_id: int) -> int:
    """Units the web can promise for delivery: available at active shipping locations."""
    return (await shippable_quantities(session, [variant_id])).get(variant_id, 0)


async def shippable_quantities(session: AsyncSession, variant_ids: Sequence[int]) -> dict[int, int]:
    """:func:`shippable_quantity` of many variants in one statement (absent: none)."""
    if not variant_ids:
        return {}
    rows = await session.execute(
        text(
            "SELECT s.variant_id, "
            "sum(greatest(s.on_hand - s.committed - s.reserved - s.safety_stock, 0)) AS units "
            "FROM stock_levels s JOIN locations l ON l.id = s.location_id "
            "WHERE s.variant_id = ANY(:v) AND l.active AND l.ships GROUP BY s.variant_id"
        ),
        {"v": sorted(set(variant_ids))},
    )
    return {int(r.variant_id): int(r.units or 0) for r in rows}


def in_stock_clause(
    variant_id_column: Any, *, location_id: int | None = None
) -> ColumnElement[bool]:
    """SQL: the variant has available units online (active shipping locations) or, with
    ``location_id``, at that location. For catalog filters: ``where(in_stock_clause(VariantRow.id))``."""
    conditions = [
        StockLevelRow.variant_id == variant_id_column,
        StockLevelRow.on_hand
        - StockLevelRow.committed
        - StockLevelRow.reserved
        - StockLevelRow.safety_stock
        > 0,
        LocationRow.id == StockLevelRow.location_id,
        LocationRow.active.is_(True),
    ]
    if location_id is None:
        conditions.append(LocationRow.ships.is_(True))
    else:
        conditions.append(StockLevelRow.location_id == location_id)
    return exists().where(*conditions)


# -- reconcile -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discrepancy:
    variant_id: int
    location_id: int
    level: Figures
    ledger: Figures
    held_reserved: int  # sum of open cart holds
    held_committed: int  # sum of open commitments

    @property
    def differences(self) -> dict[str, int]:
        """bucket -> level minus ledger (and minus holds for reserved/committed)."""
        out = {
            b: getattr(self.level, b) - getattr(self.ledger, b)
            for b in BUCKETS
            if getattr(self.level, b) != getattr(self.ledger, b)
        }
        if self.level.reserved != self.held_reserved:
            out["reserved_vs_holds"] = self.level.reserved - self.held_reserved
        if self.level.committed != self.held_committed:
            out["committed_vs_holds"] = self.level.committed - self.held_committed
        return out


_LEDGER_SUMS = ", ".join(f"sum(d_{b})::integer AS {b}" for b in BUCKETS)
_DIFF = " OR ".join(f"coalesce(s.{b}, 0) <> coalesce(g.{b}, 0)" for b in BUCKETS)
_RECONCILE = text(
    f"""
    WITH g AS (
        SELECT variant_id, location_id, {_LEDGER_SUMS}
        FROM stock_movements GROUP BY variant_id, location_id
    ), h AS (
        SELECT variant_id, location_id,
               coalesce(sum(quantity) FILTER (WHERE status = 'ACTIVE'), 0)::integer AS reserved,
               coalesce(sum(quantity) FILTER (WHERE status = 'COMMITTED'), 0)::integer AS committed
        FROM stock_holds WHERE status IN ('ACTIVE', 'COMMITTED')
        GROUP BY variant_id, location_id
    )
    SELECT coalesce(s.variant_id, g.variant_id) AS variant_id,
           coalesce(s.location_id, g.location_id) AS location_id,
           {", ".join(f"coalesce(s.{b}, 0) AS s_{b}, coalesce(g.{b}, 0) AS g_{b}" for b in BUCKETS)},
           coalesce(h.reserved, 0) AS h_reserved, coalesce(h.committed, 0) AS h_committed
    FROM stock_levels s
    FULL JOIN g ON g.variant_id = s.variant_id AND g.location_id = s.location_id
    LEFT JOIN h ON h.variant_id = coalesce(s.variant_id, g.variant_id)
               AND h.location_id = coalesce(s.location_id, g.location_id)
    WHERE {_DIFF}
       OR coalesce(s.reserved, 0) <> coalesce(h.reserved, 0)
       OR coalesce(s.committed, 0) <> coalesce(h.committed, 0)
    ORDER BY 1, 2
    LIMIT :limit
    """
)


async def discrepancies(session: AsyncSession, *, limit: int = 1000) -> list[Discrepancy]:
    """Every level whose figures differ from the sum of its movements, or whose reserved /
    committed differ from its open holds. Empty when the books are straight."""
    rows = await session.execute(_RECONCILE, {"limit": limit})
    return [
        Discrepancy(
            variant_id=r.variant_id,
            location_id=r.location_id,
            level=Figures(**{b: getattr(r, f"s_{b}") for b in BUCKETS}),
            ledger=Figures(**{b: getattr(r, f"g_{b}") for b in BUCKETS}),
            held_reserved=r.h_reserved,
            held_committed=r.h_committed,
        )
        for r in rows
    ]


# -- sourcing --------------------------------------------------------------------------------


async def active_locations(session: AsyncSession) -> list[LocationRow]:
    """Every active location, by id (sourcing candidates)."""
    return list(
        await session.scalars(
            select(LocationRow).where(LocationRow.active.is_(True)).order_by(LocationRow.id)
        )
    )


_AVAILABLE_AT_ACTIVE = text(
    """
    SELECT s.variant_id, s.location_id,
           s.on_hand - s.committed - s.reserved - s.safety_stock
             + coalesce((SELECT sum(h.quantity) FROM stock_holds h
                         WHERE h.variant_id = s.variant_id AND h.location_id = s.location_id
                           AND h.status = 'ACTIVE' AND h.expires_at <= :now), 0)::integer
             AS available
    FROM stock_levels s JOIN locations l ON l.id = s.location_id
    WHERE l.active AND s.variant_id = ANY(:variants)
    """
)


async def available_by_location(
    session: AsyncSession, variant_ids: Iterable[int], *, now: datetime
) -> dict[tuple[int, int], int]:
    """Available units per (variant id, location id) at every active location holding a level
    of the variants: one statement for all of them. Lapsed holds not yet swept count as
    available (an expired hold never blocks a sale; committing releases it first)."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    rows = await session.execute(_AVAILABLE_AT_ACTIVE, {"variants": ids, "now": now})
    return {(r.variant_id, r.location_id): int(r.available) for r in rows}
