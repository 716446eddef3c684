"""inventory-reconcile, import-stock and inventory-sweep as an operator runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from api.runtime import Runtime
from inventory import services as inv
from tests.integration.inventory.support import figures, level
from tests.integration.shared.test_cli import run_cli


async def test_import_reconcile_and_sweep(
    runtime: Runtime, database_url: str, variants, make_location, tmp_path: Path
):
    v, w = await variants("CLI-A", "CLI-B")
    s1 = await make_location("S01")
    csv_file = tmp_path / "stock.csv"
    csv_file.write_text(
        "sku,location,on_hand\nCLI-A,S01,7\nCLI-B,S01,3\nCLI-X,S01,1\n", encoding="utf-8"
    )

    imported = run_cli(database_url, "import-stock", str(csv_file))
    assert imported.returncode == 1, imported.stderr  # one row rejected
    assert "2 row(s) applied (0 already right), 1 rejected." in imported.stdout
    assert "unknown SKU CLI-X" in imported.stdout
    assert await level(runtime, v, s1) == figures(on_hand=7)

    clean = run_cli(database_url, "inventory-reconcile")
    assert clean.returncode == 0 and "match the ledger" in clean.stdout
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE stock_levels SET on_hand = 9 WHERE variant_id = :v"), {"v": w}
        )
    dirty = run_cli(database_url, "inventory-reconcile")
    assert dirty.returncode == 1
    assert "1 stock level(s) disagree" in dirty.stdout and "+6" in dirty.stdout

    await inv.reserve(
        runtime.uow(),
        variant_id=v,
        location_id=s1,
        quantity=2,
        owner_ref="cart:1",
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    swept = run_cli(database_url, "inventory-sweep")
    assert swept.returncode == 0, swept.stderr
    assert "Released expired holds at 1 stock level(s)." in swept.stdout
    assert await level(runtime, v, s1) == figures(on_hand=7)
