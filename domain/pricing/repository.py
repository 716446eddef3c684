"""Write-side SQL for the pricing services. Voucher usage is consumed with single conditional
statements (never read-then-write) so concurrent orders cannot overspend a limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.pricing.tables import (
    CustomerSegmentRow,
    PriceRow,
    ProductTaxClassRow,
    PromotionRow,
    TaxRateRow,
    VoucherCustomerUsageRow,
    VoucherRedemptionRow,
    VoucherRow,
)


@dataclass(frozen=True)
class Announced:
    kind: str  # PRICE_STARTED | PRICE_ENDED | PROMOTION_STARTED | PROMOTION_ENDED
    row: Any


class PricingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- prices --------------------------------------------------------------------------

    async def add_prices(self, rows: Sequence[dict[str, Any]]) -> list[PriceRow]:
        objects = [PriceRow(**r) for r in rows]
        self.session.add_all(objects)
        await self.session.flush()
        return objects

    # --- promotions and vouchers -----------------------------------------------------------

    async def add_promotion(self, values: dict[str, Any]) -> PromotionRow:
        row = PromotionRow(**values)
        self.session.add(row)
        await self.session.flush()
        return row

    async def lock_promotion(self, promotion_id: int) -> PromotionRow | None:
        return await self.session.scalar(
            select(PromotionRow).where(PromotionRow.id == promotion_id).with_for_update()
        )

    async def lock_voucher(self, voucher_id: int) -> VoucherRow | None:
        return await self.session.scalar(
            select(VoucherRow).where(VoucherRow.id == voucher_id).with_for_update()
        )

    async def voucher_by_code(self, code: str) -> VoucherRow | None:
        return await self.session.scalar(select(VoucherRow).where(VoucherRow.code == code))

    async def add_voucher(self, values: dict[str, Any]) -> VoucherRow:
        row = VoucherRow(**values)
        self.session.add(row)
        await self.session.flush()
        return row

    async def claim_redemption(
        self, voucher_id: int, *, customer_id: int | None, order_ref: str
    ) -> bool:
        """Record the order's use; False when this order already holds one (a replay)."""
        inserted = await self.session.scalar(
            pg_insert(VoucherRedemptionRow)
            .values(voucher_id=voucher_id, customer_id=customer_id, order_ref=order_ref)
            .on_conflict_do_nothing(index_elements=["voucher_id", "order_ref"])
            .returning(VoucherRedemptionRow.id)
        )
        return inserted is not None

    async def take_use(self, code: str, *, now: datetime) -> VoucherRow | None:
        """One use, if any is left: a single conditional UPDATE (the row lock serialises racers,
        and PostgreSQL re-checks ``used < usage_limit`` after each waits)."""
        return await self.session.scalar(
            update(VoucherRow)
            .where(
                VoucherRow.code == code,
                VoucherRow.active.is_(True),
                or_(VoucherRow.usage_limit.is_(None), VoucherRow.used < VoucherRow.usage_limit),
                or_(VoucherRow.starts_at.is_(None), VoucherRow.starts_at <= now),
                or_(VoucherRow.ends_at.is_(None), VoucherRow.ends_at > now),
            )
            .values(used=VoucherRow.used + 1)
            .returning(VoucherRow)
        )

    async def take_customer_use(self, voucher_id: int, customer_id: int, limit: int) -> bool:
        """Conditional upsert: the first use inserts 1, later ones add 1 while under ``limit``."""
        insert_row = pg_insert(VoucherCustomerUsageRow).values(
            voucher_id=voucher_id, customer_id=customer_id, used=1
        )
        stmt = insert_row.on_conflict_do_update(
            index_elements=["voucher_id", "customer_id"],
            set_={"used": VoucherCustomerUsageRow.used + 1},
            where=VoucherCustomerUsageRow.used < limit,
        ).returning(VoucherCustomerUsageRow.used)
        return (await self.session.scalar(stmt)) is not None

    async def drop_redemptions(self, order_ref: str) -> list[tuple[int, int | None]]:
        rows = await self.session.execute(
            delete(VoucherRedemptionRow)
            .where(VoucherRedemptionRow.order_ref == order_ref)
            .returning(VoucherRedemptionRow.voucher_id, VoucherRedemptionRow.customer_id)
        )
        return sorted(((vid, cid) for vid, cid in rows), key=lambda r: r[0])

    async def give_back(self, voucher_id: int, customer_id: int | None) -> None:
        await self.session.execute(
            update(VoucherRow)
            .where(VoucherRow.id == voucher_id, VoucherRow.used > 0)
            .values(used=VoucherRow.used - 1)
        )
        if customer_id is not None:
            await self.session.execute(
                update(VoucherCustomerUsageRow)
                .where(
                    VoucherCustomerUsageRow.voucher_id == voucher_id,
                    VoucherCustomerUsageRow.customer_id == customer_id,
                    VoucherCustomerUsageRow.used > 0,
                )
                .values(used=VoucherCustomerUsageRow.used - 1)
            )

    # --- scheduler ------------------------------------------------------------------------

    async def announce_due(self, now: datetime) -> list[Announced]:
        """Stamp every start/end that has passed and not been announced; each row is returned
        once even when ticks run concurrently (the UPDATE re-checks ``IS NULL`` under lock)."""
        out: list[Announced] = []
        for table, label in ((PriceRow, "PRICE"), (PromotionRow, "PROMOTION")):
            for edge, stamp, kind in (
                (table.starts_at, table.start_announced_at, "STARTED"),
                (table.ends_at, table.end_announced_at, "ENDED"),
            ):
                rows = await self.session.scalars(
                    update(table)
                    .where(stamp.is_(None), edge.is_not(None), edge <= now)
                    .values({stamp.key: now})
                    .returning(table)
                )
                out += [Announced(f"{label}_{kind}", r) for r in rows]
        return out

    # --- tax and segments -----------------------------------------------------------------

    async def upsert_tax_rate(self, values: dict[str, Any]) -> None:
        stmt = pg_insert(TaxRateRow).values(**values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                constraint="uq_tax_rates_class_country_region",
                set_={"rate_bp": stmt.excluded.rate_bp, "name": stmt.excluded.name},
            )
        )

    async def set_tax_class(self, product_id: int, tax_class: str) -> None:
        stmt = pg_insert(ProductTaxClassRow).values(product_id=product_id, tax_class=tax_class)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["product_id"], set_={"tax_class": stmt.excluded.tax_class}
            )
        )

    async def set_segments(self, customer_id: int, segments: Sequence[str]) -> None:
        await self.session.execute(
            delete(CustomerSegmentRow).where(CustomerSegmentRow.customer_id == customer_id)
        )
        if segments:
            await self.session.execute(
                insert(CustomerSegmentRow),
                [{"customer_id": customer_id, "segment": s} for s in sorted(set(segments))],
            )
