"""Write-side SQL for stock. Every change of a level is ONE statement that updates the level
(optionally under a condition), appends its movement and, for new holds, inserts the hold: the
condition decides, so there is no read-then-write window (DESIGN invariant 1), and a level can
never change without its ledger row (invariant 3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.model import BUCKETS, Figures, HoldStatus, MovementKind

#: What must hold before the update: ``available`` (promise-able units, safety stock kept back),
#: ``unpromised`` (physical sellable units nobody claimed), or a bucket name (``damaged``...).
Condition = Literal[
    "available", "unpromised", "damaged", "quality_control", "committed", "reserved", "incoming"
]
#: How the recount flag changes: keep it; raise it if promises now exceed the shelf (a physical
#: sale); or recompute it (a count states the truth).
Flag = Literal["keep", "raise", "recompute"]

_CONDITIONS = {
    "available": "AND on_hand - committed - reserved - safety_stock >= :need",
    "unpromised": "AND on_hand - committed - reserved >= :need",
    "damaged": "AND damaged >= :need",
    "quality_control": "AND quality_control >= :need",
    "committed": "AND committed >= :need",
    "reserved": "AND reserved >= :need",
    "incoming": "AND incoming >= :need",
}
_BROKEN = "(on_hand + :on_hand) < (committed + :committed) + (reserved + :reserved)"
_FLAGS = {
    "keep": "needs_recount",
    "raise": f"needs_recount OR {_BROKEN}",
    "recompute": _BROKEN,
}
_LEVEL_COLUMNS = "id, variant_id, location_id, " + ", ".join(BUCKETS) + ", needs_recount"


@dataclass(frozen=True)
class NewHold:
    owner_ref: str
    channel: str
    status: HoldStatus
    quantity: int
    expires_at: datetime | None


@dataclass(frozen=True)
class Applied:
    level_id: int
    variant_id: int
    location_id: int
    figures: Figures
    needs_recount: bool
    movement_id: int
    hold_id: int | None


def _apply_sql(condition: Condition | None, flag: Flag, new_hold: bool) -> str:
    sets = ", ".join(f"{b} = {b} + :{b}" for b in BUCKETS)
    deltas = ", ".join(f"CAST(:{b} AS integer)" for b in BUCKETS)
    hold_cte = hold_ref = ""
    if new_hold:
        hold_cte = """
        , hold AS (
            INSERT INTO stock_holds
                (variant_id, location_id, quantity, owner_ref, channel, status, expires_at)
            SELECT variant_id, location_id, CAST(:hold_qty AS integer), CAST(:owner_ref AS varchar),
                   CAST(:channel AS varchar), CAST(:hold_status AS stock_hold_status),
                   CAST(:expires_at AS timestamptz)
            FROM lvl RETURNING id
        )"""
        hold_ref = "(SELECT id FROM hold)"
    else:
        hold_ref = "CAST(:hold_id AS bigint)"
    return f"""
        WITH lvl AS (
            UPDATE stock_levels SET {sets}, needs_recount = {_FLAGS[flag]}, updated_at = now()
            WHERE variant_id = :v AND location_id = :l {_CONDITIONS[condition] if condition else ""}
            RETURNING {_LEVEL_COLUMNS}
        ){hold_cte}
        , mv AS (
            INSERT INTO stock_movements
                (variant_id, location_id, kind, reason, {", ".join("d_" + b for b in BUCKETS)},
                 actor, document_ref, hold_id, note)
            SELECT variant_id, location_id, CAST(:kind AS stock_movement_kind),
                   CAST(:reason AS varchar), {deltas}, CAST(:actor AS varchar),
                   CAST(:document_ref AS varchar), {hold_ref}, CAST(:note AS text)
            FROM lvl RETURNING id, hold_id
        )
        SELECT lvl.*, mv.id AS movement_id, mv.hold_id AS new_hold_id FROM lvl, mv
    """


_SQL_CACHE: dict[tuple[Any, ...], Any] = {}


async def apply(
    session: AsyncSession,
    *,
    variant_id: int,
    location_id: int,
    kind: MovementKind,
    reason: str,
    actor: str,
    document_ref: str = "",
    deltas: Mapping[str, int],
    condition: Condition | None = None,
    need: int = 0,
    flag: Flag = "keep",
    hold_id: int | None = None,
    new_hold: NewHold | None = None,
    note: str = "",
) -> Applied | None:
    """Change one level and append its movement; ``None`` if the condition did not hold (or
    the level does not exist)."""
    key = (condition, flag, new_hold is not None)
    stmt = _SQL_CACHE.get(key)
    if stmt is None:
        stmt = _SQL_CACHE[key] = text(_apply_sql(condition, flag, new_hold is not None))
    params: dict[str, Any] = {b: int(deltas.get(b, 0)) for b in BUCKETS}
    unknown = set(deltas) - set(BUCKETS)
    if unknown:
        raise ValueError(f"unknown buckets {unknown}")
    params.update(
        v=variant_id,
        l=location_id,
        kind=kind.value,
        reason=reason,
        actor=actor[:100],
        document_ref=document_ref[:200],
        note=note,
        need=need,
    )
    if new_hold is not None:
        params.update(
            hold_qty=new_hold.quantity,
            owner_ref=new_hold.owner_ref[:200],
            channel=new_hold.channel,
            hold_status=new_hold.status.value,
            expires_at=new_hold.expires_at,
        )
    else:
        params["hold_id"] = hold_id
    row = (await session.execute(stmt, params)).one_or_none()
    if row is None:
        return None
    return Applied(
        level_id=row.id,
        variant_id=row.variant_id,
        location_id=row.location_id,
        figures=Figures.of(row),
        needs_recount=row.needs_recount,
        movement_id=row.movement_id,
        hold_id=row.new_hold_id if new_hold is not None else hold_id,
    )


async def ensure_level(session: AsyncSession, *, variant_id: int, location_id: int) -> None:
    await session.execute(
        text(
            "INSERT INTO stock_levels (variant_id, location_id) VALUES (:v, :l) "
            "ON CONFLICT (variant_id, location_id) DO NOTHING"
        ),
        {"v": variant_id, "l": location_id},
    )


async def lock_level(session: AsyncSession, *, variant_id: int, location_id: int) -> Any:
    """The level row, locked for this transaction (for writes that set a figure to a value)."""
    await ensure_level(session, variant_id=variant_id, location_id=location_id)
    return (
        await session.execute(
            text(
                f"SELECT {_LEVEL_COLUMNS} FROM stock_levels "
                "WHERE variant_id = :v AND location_id = :l FOR UPDATE"
            ),
            {"v": variant_id, "l": location_id},
        )
    ).one()


_LOCK_VARIANTS = text(
    "SELECT id FROM stock_levels WHERE variant_id = ANY(:variants) "
    "ORDER BY variant_id, location_id FOR UPDATE"
)
_LOCK_KEYS = text(
    "SELECT s.id FROM stock_levels s "
    "JOIN unnest(CAST(:kv AS bigint[]), CAST(:kl AS bigint[])) AS k(v, l) "
    "ON s.variant_id = k.v AND s.location_id = k.l "
    "ORDER BY s.variant_id, s.location_id FOR UPDATE OF s"
)


async def lock_levels(
    session: AsyncSession,
    *,
    variant_ids: Sequence[int] = (),
    keys: Sequence[tuple[int, int]] = (),
) -> None:
    """Lock stock levels in THE global order, (variant, location), in one statement: every
    level of ``variant_ids`` (all locations), or else the levels ``keys``. Every path that
    writes several levels (hold, re-hold, release, commit, cancel, return, sweep) locks them
    here first, then hold rows, so two transactions never wait on each other in a cycle.
    Re-locking rows this transaction already holds is free."""
    if variant_ids:
        extra = {v for v, _ in keys} - set(variant_ids)
        await session.execute(_LOCK_VARIANTS, {"variants": sorted(set(variant_ids) | extra)})
    elif keys:
        ordered = sorted(set(keys))
        await session.execute(
            _LOCK_KEYS, {"kv": [k[0] for k in ordered], "kl": [k[1] for k in ordered]}
        )


async def hold_levels(
    session: AsyncSession,
    *,
    hold_ids: Sequence[int] = (),
    owner_ref: str | None = None,
) -> list[tuple[int, int]]:
    """The levels of holds by id or owner (no lock: a hold never changes its level)."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT variant_id, location_id FROM stock_holds "
            "WHERE id = ANY(:ids) OR owner_ref = :owner"
        ),
        {"ids": list(hold_ids), "owner": owner_ref},
    )
    return [(r.variant_id, r.location_id) for r in rows]


_EXPIRE = text(
    """
    WITH exp AS (
        UPDATE stock_holds SET status = 'EXPIRED', closed_at = now()
        WHERE variant_id = :v AND location_id = :l AND status = 'ACTIVE' AND expires_at <= now()
        RETURNING id, variant_id, location_id, quantity
    ), tot AS (
        SELECT coalesce(sum(quantity), 0)::integer AS q FROM exp
    ), lvl AS (
        UPDATE stock_levels s SET reserved = s.reserved - tot.q, updated_at = now()
        FROM tot WHERE s.variant_id = :v AND s.location_id = :l AND tot.q > 0
        RETURNING s.*
    ), mv AS (
        INSERT INTO stock_movements
            (variant_id, location_id, kind, reason, d_reserved, actor, document_ref, hold_id)
        SELECT variant_id, location_id, 'RELEASE', 'EXPIRED', -quantity, 'system:expiry',
               'hold:' || id, id
        FROM exp
        RETURNING id
    )
    SELECT lvl.*, (SELECT max(id) FROM mv) AS movement_id FROM lvl
    """
)


async def expire_holds_at(session: AsyncSession, *, variant_id: int, location_id: int) -> Any:
    """Release every lapsed hold of one level in one statement; the level row after, or None if
    nothing had lapsed. The level is locked before its holds, as on every other path."""
    await lock_levels(session, keys=[(variant_id, location_id)])
    return (await session.execute(_EXPIRE, {"v": variant_id, "l": location_id})).one_or_none()


async def lock_holds(
    session: AsyncSession,
    *,
    hold_ids: Sequence[int] = (),
    owner_ref: str | None = None,
    statuses: Sequence[HoldStatus],
) -> list[Any]:
    """Open holds by id or owner, locked, in (variant, location, id) order, after their levels
    (``lock_levels``): levels first, then holds, on every path, so no two writers deadlock."""
    await lock_levels(
        session, keys=await hold_levels(session, hold_ids=hold_ids, owner_ref=owner_ref)
    )
    rows = await session.execute(
        text(
            "SELECT id, variant_id, location_id, quantity, owner_ref, status, expires_at "
            "FROM stock_holds WHERE (id = ANY(:ids) OR owner_ref = :owner) "
            "AND status = ANY(CAST(:statuses AS stock_hold_status[])) "
            "ORDER BY variant_id, location_id, id FOR UPDATE"
        ),
        {"ids": list(hold_ids), "owner": owner_ref, "statuses": [s.value for s in statuses]},
    )
    return list(rows)


async def close_hold(session: AsyncSession, *, hold_id: int, status: HoldStatus) -> None:
    still_open = status in (HoldStatus.ACTIVE, HoldStatus.COMMITTED)
    await session.execute(
        text(
            "UPDATE stock_holds SET status = CAST(:s AS stock_hold_status), "
            "closed_at = CASE WHEN :open THEN NULL ELSE now() END, "
            "expires_at = CASE WHEN :keep_expiry THEN expires_at END "
            "WHERE id = :id"
        ),
        {
            "id": hold_id,
            "s": status.value,
            "open": still_open,
            "keep_expiry": status is not HoldStatus.COMMITTED,
        },
    )


async def expired_levels(session: AsyncSession, *, limit: int) -> list[tuple[int, int]]:
    rows = await session.execute(
        text(
            "SELECT DISTINCT variant_id, location_id FROM stock_holds "
            "WHERE status = 'ACTIVE' AND expires_at <= now() "
            "ORDER BY variant_id, location_id LIMIT :n"
        ),
        {"n": limit},
    )
    return [(r.variant_id, r.location_id) for r in rows]
