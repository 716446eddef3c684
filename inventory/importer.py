"""Bulk stock import from CSV: ``sku,location,on_hand`` (header required; extra columns are
ignored). Each accepted row sets on_hand through the ledger: a RECEIVE (reason IMPORT) for a
level with no history, otherwise a COUNT (reason IMPORT) recording the difference. Rejected rows
are reported with their line number and why; they change nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import text

from domain.catalog import queries as catalog
from domain.shared.uow import UnitOfWork
from inventory import repository
from inventory.model import MovementKind
from inventory.queries import locations_by_codes
from inventory.services.common import move

REQUIRED = ("sku", "location", "on_hand")
ALIASES = {"location_code": "location", "onhand": "on_hand", "quantity": "on_hand"}


@dataclass(frozen=True)
class Rejected:
    line: int
    row: dict[str, str]
    reason: str


@dataclass
class ImportReport:
    accepted: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + len(self.rejected)


@dataclass(frozen=True)
class _Row:
    line: int
    raw: dict[str, str]
    sku: str
    location: str
    on_hand: int


def parse(text_: str) -> tuple[list[_Row], list[Rejected]]:
    reader = csv.DictReader(io.StringIO(text_.lstrip("\ufeff")))
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(
            f"CSV header lacks {', '.join(missing)}; the first line must be: sku,location,on_hand"
        )
    reader.fieldnames = header
    rows, rejected, seen = [], [], set()
    for n, raw in enumerate(reader, start=2):
        clean = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        sku, location, qty = (
            clean.get("sku", ""),
            clean.get("location", "").upper(),
            clean.get("on_hand", ""),
        )
        if not sku or not location:
            rejected.append(Rejected(n, clean, "sku and location are required"))
            continue
        try:
            on_hand = int(qty)
        except ValueError:
            rejected.append(Rejected(n, clean, f"on_hand {qty!r} is not a whole number"))
            continue
        if not 0 <= on_hand <= 1_000_000:
            rejected.append(Rejected(n, clean, f"on_hand {on_hand} is outside 0..1000000"))
            continue
        if (sku, location) in seen:
            rejected.append(Rejected(n, clean, f"{sku} at {location} appears twice; first kept"))
            continue
        seen.add((sku, location))
        rows.append(_Row(n, clean, sku, location, on_hand))
    return rows, rejected


async def import_stock(
    new_uow: Callable[[], UnitOfWork],
    text_: str,
    *,
    actor: str,
    document_ref: str = "import",
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    rows, rejected = parse(text_)
    report = ImportReport(rejected=list(rejected))
    if progress and rejected:
        progress(len(rejected))
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        uow = new_uow()
        async with uow:
            await _import_batch(uow, batch, report, actor=actor, document_ref=document_ref)
            await uow.commit()
        if progress:
            progress(len(batch))
    report.rejected.sort(key=lambda r: r.line)
    return report


async def _import_batch(
    uow: UnitOfWork, batch: Iterable[_Row], report: ImportReport, *, actor: str, document_ref: str
) -> None:
    batch = list(batch)
    session = uow.session
    variants = await catalog.variants_by_skus(session, [r.sku for r in batch])
    locations = await locations_by_codes(session, [r.location for r in batch])
    # Levels are locked in (variant, location) order: no deadlock with concurrent writers.
    accepted = []
    for r in batch:
        variant, location = variants.get(r.sku), locations.get(r.location)
        if variant is None:
            report.rejected.append(Rejected(r.line, r.raw, f"unknown SKU {r.sku}"))
        elif location is None or not location.active:
            report.rejected.append(Rejected(r.line, r.raw, f"unknown location {r.location}"))
        else:
            accepted.append((variant.id, location.id, r))
    accepted.sort(key=lambda a: (a[0], a[1]))
    for variant_id, location_id, r in accepted:
        level = await repository.lock_level(session, variant_id=variant_id, location_id=location_id)
        has_history = await session.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM stock_movements WHERE variant_id = :v "
                "AND location_id = :l)"
            ),
            {"v": variant_id, "l": location_id},
        )
        delta = r.on_hand - level.on_hand
        report.accepted += 1
        if has_history and delta == 0:
            report.unchanged += 1
            continue
        await move(
            uow,
            variant_id=variant_id,
            location_id=location_id,
            kind=MovementKind.COUNT if has_history else MovementKind.RECEIVE,
            reason="IMPORT",
            actor=actor,
            document_ref=document_ref,
            deltas={"on_hand": delta},
            flag="recompute" if has_history else "keep",
            note=f"line {r.line}",
        )
