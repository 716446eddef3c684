"""Promotions and vouchers: create, update, end (merchandisers)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import queries as catalog
from domain.pricing import model, queries
from domain.pricing.errors import (
    DuplicateVoucherCode,
    PromotionNotFound,
    UnknownSku,
    VoucherNotFound,
)
from domain.pricing.events import PricingChanged
from domain.pricing.repository import PricingRepository
from domain.pricing.services.common import promotion_event
from domain.pricing.tables import PromotionRow, VoucherRow
from domain.shared.clock import utcnow
from domain.shared.errors import DomainError, MultipleErrors, NotFound, ValidationFailed
from domain.shared.uow import UnitOfWork

EDITABLE = frozenset(
    f.name for f in dataclasses.fields(model.Promotion) if f.name not in ("id", "status")
)


def _values(p: model.Promotion) -> dict[str, Any]:
    return {
        "name": p.name.strip(),
        "kind": p.kind.value,
        "currency": p.currency,
        "percent_bp": p.percent_bp,
        "amount": p.amount,
        "threshold": p.threshold,
        "buy_quantity": p.buy_quantity,
        "get_quantity": p.get_quantity,
        "target": queries.target_json(p.target),
        "channels": sorted(c.value for c in p.channels),
        "location_ids": sorted(p.location_ids),
        "customer_ids": sorted(p.customer_ids),
        "tiers": sorted(p.tiers),
        "segments": sorted(p.segments),
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
        "priority": p.priority,
        "exclusive": p.exclusive,
        "voucher_only": p.voucher_only,
        "status": p.status.value,
    }


async def _resolve_target(
    session: AsyncSession, target: model.Target, skus: Sequence[str]
) -> model.Target:
    """Add the variants named by SKU; every id must exist (a typo must not widen nothing)."""
    errors: list[DomainError] = []
    found = await catalog.variants_by_skus(session, skus)
    for sku in skus:
        if sku not in found:
            errors.append(UnknownSku(f"There is no SKU {sku}.", field="target.skus"))
    checks = (
        (target.variant_ids, catalog.variants_by_ids, "variantIds", "variant"),
        (target.product_ids, catalog.products_by_ids, "productIds", "product"),
        (target.category_ids, catalog.categories_by_ids, "categoryIds", "category"),
        (target.brand_ids, catalog.brands_by_ids, "brandIds", "brand"),
    )
    for ids, fetch, field, label in checks:
        if ids:
            known = await fetch(session, list(ids))
            for missing in sorted(set(ids) - set(known)):
                errors.append(NotFound(f"No {label} {missing}.", field=f"target.{field}"))
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return dataclasses.replace(
        target, variant_ids=target.variant_ids | {v.id for v in found.values()}
    )


def _announce_now(p: model.Promotion, now: datetime) -> datetime | None:
    return now if p.starts_at is None or p.starts_at <= now else None


async def create_promotion(
    uow: UnitOfWork,
    *,
    actor: str,
    promotion: model.Promotion,
    target_skus: Sequence[str] = (),
    now: datetime | None = None,
) -> int:
    """Validate and save. A promotion starting now reaches shelf labels at once; a scheduled
    one when ``announce_due`` sees its start pass."""
    now = now or utcnow()
    async with uow:
        target = await _resolve_target(uow.session, promotion.target, target_skus)
        promotion = dataclasses.replace(promotion, target=target)
        model.validate_promotion(promotion)
        row = await PricingRepository(uow.session).add_promotion(
            {
                **_values(promotion),
                "created_by": actor,
                "start_announced_at": _announce_now(promotion, now),
            }
        )
        saved = queries.to_promotion(row)
        if row.start_announced_at is not None:
            variants = await queries.variant_ids_for_target(uow.session, target)
            uow.record(promotion_event("PROMOTION_CREATED", saved, variants, actor=actor, at=now))
        else:
            uow.record(
                PricingChanged(
                    kind="PROMOTION_SCHEDULED", subject=f"promotion:{row.id}", actor=actor
                )
            )
        await uow.commit()
    return row.id


async def update_promotion(
    uow: UnitOfWork,
    *,
    actor: str,
    promotion_id: int,
    changes: Mapping[str, Any],
    target_skus: Sequence[str] | None = None,
    now: datetime | None = None,
) -> None:
    """Change fields of a live promotion (``changes`` keys are ``model.Promotion`` fields)."""
    now = now or utcnow()
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))}.", field="input")
    async with uow:
        row = await _live_promotion(uow, promotion_id)
        before = queries.to_promotion(row)
        updated = dataclasses.replace(before, **changes)
        if "target" in changes:  # a new target replaces the old one (ids and SKUs)
            target = await _resolve_target(uow.session, changes["target"], target_skus or ())
            updated = dataclasses.replace(updated, target=target)
        model.validate_promotion(updated)
        old_variants = await queries.variant_ids_for_target(uow.session, before.target)
        values = _values(updated)
        if updated.starts_at != before.starts_at:
            values["start_announced_at"] = _announce_now(updated, now)
        if updated.ends_at != before.ends_at:
            values["end_announced_at"] = None
        for key, value in values.items():
            setattr(row, key, value)
        await uow.session.flush()
        old_event = promotion_event("", before, old_variants, actor=actor, at=now)
        new_variants = await queries.variant_ids_for_target(uow.session, updated.target)
        uow.record(
            promotion_event(
                "PROMOTION_UPDATED", updated, new_variants, actor=actor, at=now, also=old_event
            )
        )
        await uow.commit()


async def end_promotion(
    uow: UnitOfWork, *, actor: str, promotion_id: int, now: datetime | None = None
) -> None:
    """End now; its vouchers stop working with it. Ending twice is a userError."""
    now = now or utcnow()
    async with uow:
        row = await _live_promotion(uow, promotion_id)
        before = queries.to_promotion(row)
        row.status = model.PromotionStatus.ENDED.value
        row.ends_at = now if row.ends_at is None or row.ends_at > now else row.ends_at
        if row.starts_at is not None and row.starts_at >= row.ends_at:
            row.starts_at = None  # a scheduled promotion ended before it began
        row.end_announced_at = now
        await uow.session.flush()
        variants = await queries.variant_ids_for_target(uow.session, before.target)
        uow.record(promotion_event("PROMOTION_ENDED", before, variants, actor=actor, at=now))
        await uow.commit()


async def _live_promotion(uow: UnitOfWork, promotion_id: int) -> PromotionRow:
    row = await PricingRepository(uow.session).lock_promotion(promotion_id)
    if row is None:
        raise PromotionNotFound(f"Promotion {promotion_id} does not exist.", field="id")
    if row.status != model.PromotionStatus.ACTIVE.value:
        raise ValidationFailed(
            f"Promotion {promotion_id} has ended; create a new one instead.", field="id"
        )
    return row


# --- vouchers ----------------------------------------------------------------------------


async def create_voucher(uow: UnitOfWork, *, actor: str, voucher: model.Voucher) -> int:
    voucher = dataclasses.replace(voucher, code=model.normalise_code(voucher.code), used=0)
    model.validate_voucher(voucher)
    async with uow:
        repo = PricingRepository(uow.session)
        promotion = (await queries.promotions_by_ids(uow.session, [voucher.promotion_id])).get(
            voucher.promotion_id
        )
        if promotion is None:
            raise PromotionNotFound(
                f"Promotion {voucher.promotion_id} does not exist.", field="promotionId"
            )
        if not promotion.voucher_only:
            raise ValidationFailed(
                "This promotion applies without a code; create it with voucherOnly: true "
                "to sell it through vouchers.",
                field="promotionId",
            )
        if promotion.status != model.PromotionStatus.ACTIVE.value:
            raise ValidationFailed("The promotion has ended.", field="promotionId")
        if await repo.voucher_by_code(voucher.code) is not None:
            raise DuplicateVoucherCode(f"Code {voucher.code} is taken; pick another.", field="code")
        row = await repo.add_voucher(
            {
                "code": voucher.code,
                "promotion_id": voucher.promotion_id,
                "usage_limit": voucher.usage_limit,
                "per_customer_limit": voucher.per_customer_limit,
                "min_spend": voucher.min_spend,
                "starts_at": voucher.starts_at,
                "ends_at": voucher.ends_at,
                "active": True,
                "created_by": actor,
            }
        )
        uow.record(PricingChanged(kind="VOUCHER_CREATED", subject=f"voucher:{row.id}", actor=actor))
        await uow.commit()
    return row.id


VOUCHER_EDITABLE = frozenset(
    {"usage_limit", "per_customer_limit", "min_spend", "starts_at", "ends_at", "active"}
)


async def update_voucher(
    uow: UnitOfWork, *, actor: str, voucher_id: int, changes: Mapping[str, Any]
) -> None:
    """Change limits, window or withdraw (``active=False``). A limit below what is already
    used is refused."""
    unknown = set(changes) - VOUCHER_EDITABLE
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))}.", field="input")
    async with uow:
        row = await _voucher(uow, voucher_id)
        current = model.Voucher(
            code=row.code,
            promotion_id=row.promotion_id,
            usage_limit=row.usage_limit,
            per_customer_limit=row.per_customer_limit,
            min_spend=row.min_spend,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            active=row.active,
        )
        updated = dataclasses.replace(current, **changes)
        model.validate_voucher(updated)
        if updated.usage_limit is not None and updated.usage_limit < row.used:
            raise ValidationFailed(
                f"Already used {row.used} times; the limit cannot go below that.",
                field="usageLimit",
            )
        for key in changes:
            setattr(row, key, getattr(updated, key))
        await uow.session.flush()
        uow.record(PricingChanged(kind="VOUCHER_UPDATED", subject=f"voucher:{row.id}", actor=actor))
        await uow.commit()


async def _voucher(uow: UnitOfWork, voucher_id: int) -> VoucherRow:
    row = await PricingRepository(uow.session).lock_voucher(voucher_id)
    if row is None:
        raise VoucherNotFound(f"Voucher {voucher_id} does not exist.", field="id")
    return row
