"""``omnicommerce inventory-reconcile | import-stock FILE | inventory-sweep``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def add_commands(sub: Any) -> None:
    rec = sub.add_parser(
        "inventory-reconcile",
        help="list stock levels whose figures differ from their ledger or holds (exit 1 if any)",
    )
    rec.set_defaults(func=cmd_reconcile)

    imp = sub.add_parser(
        "import-stock",
        help="set on-hand stock from a CSV (sku,location,on_hand) through the ledger",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--actor", default="cli:import-stock", help="recorded on every movement")
    imp.add_argument("--document", default=None, help="document reference (default: file name)")
    imp.set_defaults(func=cmd_import_stock)

    sweep = sub.add_parser(
        "inventory-sweep", help="release expired stock holds (once, or every --every seconds)"
    )
    sweep.add_argument("--every", type=float, default=None)
    sweep.set_defaults(func=cmd_sweep)


def _run(body: Any) -> Any:
    from api.cli import _migrate, _with_runtime, database
    from domain.shared.settings import get_settings

    settings = get_settings()
    with database(settings) as url:
        _migrate(url)
        return _with_runtime(settings, url, body)


def cmd_reconcile(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from inventory.queries import discrepancies, locations_by_ids

    async def body(runtime: Any) -> tuple[list[Any], dict[int, Any]]:
        async with runtime.session_factory() as session:
            found = await discrepancies(session, limit=100_000)
            locations = await locations_by_ids(session, [d.location_id for d in found])
        return found, locations

    found, locations = _run(body)
    console = Console()
    if not found:
        console.print("Stock levels match the ledger and the open holds.")
        return 0
    table = Table(title=f"{len(found)} stock level(s) disagree with the ledger")
    for column in ("variant", "location", "bucket", "level", "ledger / holds", "difference"):
        table.add_column(column)
    for d in found:
        loc = locations.get(d.location_id)
        for bucket, diff in d.differences.items():
            name = bucket.replace("_vs_holds", "")
            level = getattr(d.level, name)
            other = level - diff
            table.add_row(
                str(d.variant_id),
                loc.code if loc else str(d.location_id),
                bucket,
                str(level),
                str(other),
                f"{diff:+d}",
            )
    console.print(table)
    return 1


def cmd_import_stock(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from inventory.importer import import_stock, parse

    try:
        text = args.file.read_text(encoding="utf-8")
        total = sum(len(part) for part in parse(text))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    console = Console()

    async def body(runtime: Any) -> Any:
        with Progress(console=console) as progress:
            task = progress.add_task(f"Importing {args.file.name}", total=total)
            return await import_stock(
                runtime.uow,
                text,
                actor=args.actor,
                document_ref=args.document or f"import:{args.file.name}",
                progress=lambda n: progress.advance(task, n),
            )

    report = _run(body)
    console.print(
        f"{report.accepted} row(s) applied ({report.unchanged} already right), "
        f"{len(report.rejected)} rejected."
    )
    if report.rejected:
        table = Table(title="Rejected rows (nothing was changed for them)")
        for column in ("line", "sku", "location", "on_hand", "why"):
            table.add_column(column)
        for r in report.rejected:
            table.add_row(
                str(r.line),
                r.row.get("sku", ""),
                r.row.get("location", ""),
                r.row.get("on_hand", ""),
                r.reason,
            )
        console.print(table)
        return 1
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from inventory.services import sweep_expired

    async def body(runtime: Any) -> int:
        total = 0
        while True:
            swept = await sweep_expired(runtime.uow)
            total += swept
            if args.every is None:
                return total
            print(f"released expired holds at {swept} level(s)", flush=True)
            await asyncio.sleep(args.every)

    print(f"Released expired holds at {_run(body)} stock level(s).")
    return 0
