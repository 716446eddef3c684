"""Voucher usage for orders: consumed in the order's transaction, released on cancel/return.

Orders call these inside their own unit of work (``async with uow`` joins the caller's
transaction), after quoting with the same codes; if the order's transaction rolls back, the
uses are given back with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.pricing import model
from domain.pricing.errors import VoucherRejected
from domain.pricing.repository import PricingRepository
from domain.pricing.tables import VoucherRow
from domain.shared.clock import utcnow
from domain.shared.uow import UnitOfWork


@dataclass(frozen=True)
class ConsumedVoucher:
    code: str
    voucher_id: int
    promotion_id: int
    replayed: bool = False  # this order already held a use of it (nothing consumed again)


async def consume_vouchers(
    uow: UnitOfWork,
    *,
    codes: Sequence[str],
    customer_id: int | None,
    order_ref: str,
    now: datetime | None = None,
) -> list[ConsumedVoucher]:
    """Take one use of each code for ``order_ref``, or raise ``VoucherRejected`` (code e.g.
    ``VOUCHER_EXHAUSTED``) and let the caller roll back. Idempotent per (code, order_ref).

    Total limit: one conditional ``UPDATE ... SET used = used + 1 WHERE used < usage_limit``.
    Per customer: a conditional upsert on ``voucher_customer_usage``. Codes are taken in sorted
    order so two orders with the same codes cannot deadlock.
    """
    now = now or utcnow()
    if not order_ref.strip():
        raise ValueError("order_ref is required")
    out: list[ConsumedVoucher] = []
    async with uow:
        repo = PricingRepository(uow.session)
        for code in sorted({model.normalise_code(c) for c in codes}):
            existing = await repo.voucher_by_code(code)
            if existing is None:
                raise VoucherRejected(
                    f"There is no voucher {code}.", field="voucherCodes", code="VOUCHER_UNKNOWN"
                )
            if not await repo.claim_redemption(
                existing.id, customer_id=customer_id, order_ref=order_ref
            ):
                out.append(ConsumedVoucher(code, existing.id, existing.promotion_id, True))
                continue
            taken = await repo.take_use(code, now=now)
            if taken is None:
                raise _why(existing, now)
            if taken.per_customer_limit is not None:
                if customer_id is None:
                    raise VoucherRejected(
                        f"Voucher {code} is limited per customer; identify the customer.",
                        field="voucherCodes",
                        code="VOUCHER_NEEDS_CUSTOMER",
                    )
                if not await repo.take_customer_use(
                    taken.id, customer_id, taken.per_customer_limit
                ):
                    raise VoucherRejected(
                        f"This customer has already used voucher {code} the most times allowed.",
                        field="voucherCodes",
                        code="VOUCHER_CUSTOMER_LIMIT",
                    )
            out.append(ConsumedVoucher(code, taken.id, taken.promotion_id))
        await uow.commit()
    return out


def _why(row: VoucherRow, now: datetime) -> VoucherRejected:
    code = row.code
    if not row.active:
        return VoucherRejected(
            f"Voucher {code} has been withdrawn.", field="voucherCodes", code="VOUCHER_INACTIVE"
        )
    if row.ends_at is not None and row.ends_at <= now:
        return VoucherRejected(
            f"Voucher {code} has expired.", field="voucherCodes", code="VOUCHER_EXPIRED"
        )
    if row.starts_at is not None and row.starts_at > now:
        return VoucherRejected(
            f"Voucher {code} is not valid yet.", field="voucherCodes", code="VOUCHER_NOT_STARTED"
        )
    return VoucherRejected(
        f"Voucher {code} has been fully used.", field="voucherCodes", code="VOUCHER_EXHAUSTED"
    )


async def release_vouchers(uow: UnitOfWork, *, order_ref: str) -> int:
    """Give back every use ``order_ref`` holds (order cancelled, or its checkout failed after
    commit). Idempotent: a second call releases nothing. Returns how many were released."""
    async with uow:
        repo = PricingRepository(uow.session)
        released = await repo.drop_redemptions(order_ref)
        for voucher_id, customer_id in released:
            await repo.give_back(voucher_id, customer_id)
        await uow.commit()
    return len(released)
