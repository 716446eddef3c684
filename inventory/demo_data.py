"""Demo stock: the warehouse carries most of the catalog, each store a varying part of it, and
a few items are out of stock everywhere. Deterministic (hash of the SKU), loaded through the CSV
importer so the ledger explains every figure; skipped when demo stock already exists."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

from sqlalchemy import select, text

from domain.catalog.tables import VariantRow
from domain.shared.uow import UnitOfWork
from inventory.importer import ImportReport, import_stock
from inventory.tables import LocationRow

DOCUMENT = "demo:stock"
TIMEZONE = "Europe/Moscow"


def demo_rows(skus: Sequence[str], store_codes: Sequence[str]) -> list[tuple[str, str, int]]:
    """(sku, location code, on hand). About 1 in 25 SKUs is out of stock everywhere (no row);
    WH01 has the rest; each store has an item with roughly even odds."""
    rows = []
    for sku in sorted(skus):
        h = zlib.crc32(sku.encode())
        if h % 25 == 0:
            continue  # sold out everywhere
        if h % 7 != 0:  # a few live only in stores
            rows.append((sku, "WH01", 5 + h % 46))
        for i, code in enumerate(store_codes):
            bits = zlib.crc32(f"{sku}@{code}".encode())
            if bits % 2 == (i % 2) or (h % 7 == 0 and i < 2):
                rows.append((sku, code, 1 + bits % 8))
    return rows


async def load_demo_stock(
    new_uow: Callable[[], UnitOfWork], *, progress: Callable[[int], None] | None = None
) -> ImportReport | None:
    uow = new_uow()
    async with uow:
        session = uow.session
        # Demo opening hours are Moscow wall-clock times.
        await session.execute(
            text("UPDATE locations SET timezone = :tz WHERE timezone = 'UTC' AND city = 'Москва'"),
            {"tz": TIMEZONE},
        )
        done = await session.scalar(
            text("SELECT EXISTS (SELECT 1 FROM stock_movements WHERE document_ref = :d)"),
            {"d": DOCUMENT},
        )
        skus = list(
            await session.scalars(select(VariantRow.sku).where(VariantRow.archived_at.is_(None)))
        )
        stores = list(
            await session.scalars(
                select(LocationRow.code)
                .where(LocationRow.kind == "STORE", LocationRow.active.is_(True))
                .order_by(LocationRow.code)
            )
        )
        await uow.commit()
    if done or not skus:
        return None
    csv_text = "sku,location,on_hand\n" + "".join(
        f"{sku},{code},{qty}\n" for sku, code, qty in demo_rows(skus, stores)
    )
    return await import_stock(
        new_uow, csv_text, actor="demo", document_ref=DOCUMENT, progress=progress
    )
