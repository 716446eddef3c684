"""Shared by the inventory integration and API tests: catalog rows to hang stock on, and
raw readers of levels, ledger and outbox (assertions look at committed rows)."""

from __future__ import annotations

from itertools import count
from typing import Any

from sqlalchemy import text

from api.runtime import Runtime
from domain.catalog.model import ProductStatus
from domain.catalog.tables import ProductRow, ProductTypeRow, VariantRow

_seq = count(1)


def _ean13(first12: str) -> str:
    """A valid EAN-13 (lookups check the digit), whatever order the tests run in."""
    total = sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


async def make_variants(runtime: Runtime, *skus: str, barcode: bool = False) -> list[int]:
    """One product with one variant per SKU; returns the variant ids in order."""
    n = next(_seq)
    async with runtime.session_factory() as session:
        ptype = ProductTypeRow(code=f"type{n}", name=f"Type {n}")
        session.add(ptype)
        await session.flush()
        product = ProductRow(
            slug=f"product-{n}",
            title=f"Product {n}",
            product_type_id=ptype.id,
            status=ProductStatus.ACTIVE,
        )
        session.add(product)
        await session.flush()
        rows = [
            VariantRow(
                product_id=product.id,
                sku=sku,
                barcode=_ean13(f"46{i:010d}") if barcode else None,
                title=sku,
            )
            for i, sku in enumerate(skus, start=n * 100)
        ]
        session.add_all(rows)
        await session.flush()
        ids = [r.id for r in rows]
        await session.commit()
    return ids


async def level(runtime: Runtime, variant_id: int, location_id: int) -> dict[str, Any] | None:
    async with runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT on_hand, committed, reserved, safety_stock, damaged, quality_control, "
                    "incoming, needs_recount FROM stock_levels "
                    "WHERE variant_id = :v AND location_id = :l"
                ),
                {"v": variant_id, "l": location_id},
            )
        ).one_or_none()
    return dict(row._mapping) if row is not None else None


def figures(
    on_hand: int = 0,
    committed: int = 0,
    reserved: int = 0,
    safety_stock: int = 0,
    damaged: int = 0,
    quality_control: int = 0,
    incoming: int = 0,
    needs_recount: bool = False,
) -> dict[str, Any]:
    return dict(
        on_hand=on_hand,
        committed=committed,
        reserved=reserved,
        safety_stock=safety_stock,
        damaged=damaged,
        quality_control=quality_control,
        incoming=incoming,
        needs_recount=needs_recount,
    )


async def scalar(runtime: Runtime, sql: str, **params: Any) -> Any:
    async with runtime.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def movements(runtime: Runtime, variant_id: int | None = None) -> list[dict[str, Any]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT kind::text AS kind, reason, location_id, d_on_hand, d_committed, "
                "d_reserved, d_safety_stock, d_damaged, d_quality_control, d_incoming, actor, "
                "document_ref FROM stock_movements "
                "WHERE CAST(:v AS bigint) IS NULL OR variant_id = :v ORDER BY id"
            ),
            {"v": variant_id},
        )
        return [dict(r._mapping) for r in rows]


async def snapshot(runtime: Runtime) -> tuple[Any, ...]:
    """Everything a failed mutation must leave alone."""
    async with runtime.engine.connect() as conn:
        levels = (await conn.execute(text("SELECT * FROM stock_levels ORDER BY id"))).all()
        n_movements = await conn.scalar(text("SELECT count(*) FROM stock_movements"))
        n_holds = await conn.scalar(text("SELECT count(*) FROM stock_holds"))
        n_transfers = await conn.scalar(text("SELECT count(*) FROM stock_transfers"))
        n_events = await conn.scalar(text("SELECT count(*) FROM outbox_events"))
    return ([tuple(r) for r in levels], n_movements, n_holds, n_transfers, n_events)
