"""Pricing queries, merchandiser mutations and the shelf-label subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.access.types import Channel
from api.auth import allow
from api.errors import UserError, payload_or_errors
from api.limits import page_size
from api.pricing.inputs import (
    PriceQuoteInput,
    PricesSetInput,
    ProductTaxClassSetInput,
    PromotionCreateInput,
    PromotionEndInput,
    PromotionUpdateInput,
    TaxRateSetInput,
    VoucherCreateInput,
    VoucherUpdateInput,
    to_bp,
)
from api.pricing.types import (
    PriceChangedEvent,
    PriceEntryType,
    PriceQuoteResult,
    PriceQuoteType,
    PromotionStatus,
    PromotionType,
    VoucherType,
)
from api.relay import Connection, connection, decode_cursor, decode_id, encode_id
from domain.access.model import PrincipalKind, Role
from domain.pricing import model, queries, services
from domain.pricing.services import LineRequest, PriceInput
from domain.pricing.tables import PromotionRow, VoucherRow
from domain.shared.errors import DomainError, Forbidden, ValidationFailed

MERCHANDISER = allow(Role.MERCHANDISER)


def _customer_for_quote(info: Info, requested: relay.GlobalID | None) -> int | None:
    """Customers are priced as themselves; staff may price for any customer; others for none
    (personal offers are private)."""
    principal = info.context.principal
    if principal.kind is PrincipalKind.CUSTOMER:
        if requested is not None and decode_id(requested, "Customer", field="customerId") != (
            principal.customer_id
        ):
            raise Forbidden("You can see your own prices only.", field="customerId")
        return principal.customer_id
    if requested is None:
        return None
    if not principal.is_staff:
        raise Forbidden("Sign in to see personal prices.", field="customerId")
    return decode_id(requested, "Customer", field="customerId")


@strawberry.type
class PricingQuery:
    @strawberry.field(
        description="Price a cart with the one engine: per line the unit price, each discount "
        "and the promotion that gave it, VAT and totals, and why other promotions did not apply."
    )
    async def price_quote(self, info: Info, input: PriceQuoteInput) -> PriceQuoteResult:
        async def run() -> PriceQuoteResult:
            principal = info.context.principal
            location = (
                decode_id(input.location_id, "Location", field="locationId")
                if input.location_id is not None
                else principal.client_location_id
            )
            lines = [
                LineRequest(
                    quantity=line.quantity,
                    sku=line.sku,
                    variant_id=decode_id(line.variant_id, "Variant", field=f"lines[{i}].variantId")
                    if line.variant_id is not None
                    else None,
                )
                for i, line in enumerate(input.lines)
            ]
            if len(lines) > info.context.settings.max_page_size:
                raise ValidationFailed("Too many lines in one quote.", field="lines")
            async with info.context.read() as session:
                q = await services.price_quote(
                    session,
                    channel=input.channel or principal.channel,
                    lines=lines,
                    location_id=location,
                    customer_id=_customer_for_quote(info, input.customer_id),
                    voucher_codes=input.voucher_codes,
                    currency=input.currency,
                    country=input.country,
                    region=input.region,
                    shipping=input.shipping,
                )
            return PriceQuoteResult(user_errors=[], quote=PriceQuoteType.build(q))

        return await payload_or_errors(PriceQuoteResult, run)

    @strawberry.field(permission_classes=[MERCHANDISER], description="Promotions, newest first.")
    async def promotions(
        self,
        info: Info,
        status: PromotionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PromotionType]:
        limit = page_size(first, maximum=info.context.settings.max_page_size)
        cursor = decode_cursor(after)
        stmt = select(PromotionRow).order_by(PromotionRow.id.desc()).limit(limit + 1)
        if status is not None:
            stmt = stmt.where(PromotionRow.status == status.value)
        if cursor is not None:
            stmt = stmt.where(PromotionRow.id < int(cursor[0]))
        async with info.context.read() as session:
            rows = list(await session.scalars(stmt))
        return connection(
            rows, first=limit, after=after, key=lambda r: [r.id], node=PromotionType.from_row
        )

    @strawberry.field(permission_classes=[MERCHANDISER], description="Vouchers of a promotion.")
    async def vouchers(self, info: Info, promotion_id: relay.GlobalID) -> list[VoucherType]:
        pid = decode_id(promotion_id, "Promotion", field="promotionId")
        stmt = select(VoucherRow).where(VoucherRow.promotion_id == pid).order_by(VoucherRow.id)
        async with info.context.read() as session:
            return [VoucherType.from_row(r) for r in await session.scalars(stmt)]

    @strawberry.field(
        permission_classes=[MERCHANDISER],
        description="Every price entry of a variant, newest first (the price history).",
    )
    async def price_history(self, info: Info, variant_id: relay.GlobalID) -> list[PriceEntryType]:
        vid = decode_id(variant_id, "Variant", field="variantId")
        async with info.context.read() as session:
            return [PriceEntryType.from_row(r) for r in await queries.price_history(session, vid)]


# --- mutations ---------------------------------------------------------------------------


@strawberry.type
class PricesSetPayload:
    user_errors: list[UserError]
    prices: list[PriceEntryType] | None = None


@strawberry.type
class PromotionPayload:
    user_errors: list[UserError]
    promotion: PromotionType | None = None


@strawberry.type
class VoucherPayload:
    user_errors: list[UserError]
    voucher: VoucherType | None = None


@strawberry.type
class TaxSetPayload:
    user_errors: list[UserError]
    ok: bool = False


async def _promotion_payload(info: Info, action: Callable[[], Awaitable[int]]) -> Any:
    async def run() -> PromotionPayload:
        pid = await action()
        async with info.context.read() as session:
            row = (await queries.promotions_by_ids(session, [pid]))[pid]
        return PromotionPayload(user_errors=[], promotion=PromotionType.from_row(row))

    return await payload_or_errors(PromotionPayload, run)


async def _voucher_payload(info: Info, action: Callable[[], Awaitable[int]]) -> Any:
    async def run() -> VoucherPayload:
        vid = await action()
        async with info.context.read() as session:
            row = (await queries.vouchers_by_ids(session, [vid]))[vid]
        return VoucherPayload(user_errors=[], voucher=VoucherType.from_row(row))

    return await payload_or_errors(VoucherPayload, run)


def _price_inputs(input: PricesSetInput) -> list[PriceInput]:
    return [
        PriceInput(
            amount=p.amount,
            sku=p.sku,
            variant_id=decode_id(p.variant_id, "Variant", field=f"prices[{i}].variantId")
            if p.variant_id is not None
            else None,
            currency=p.currency,
            compare_at=p.compare_at,
            channels=frozenset(p.channels),
            starts_at=p.starts_at,
            ends_at=p.ends_at,
        )
        for i, p in enumerate(input.prices)
    ]


@strawberry.type
class PricingMutation:
    @strawberry.mutation(
        permission_classes=[MERCHANDISER],
        description="Set prices (one or up to 1000 at once; all or nothing). A future startsAt "
        "schedules the change; shelf labels hear about it when it starts.",
    )
    async def prices_set(self, info: Info, input: PricesSetInput) -> PricesSetPayload:
        async def run() -> PricesSetPayload:
            ids = await services.set_prices(
                info.context.uow(), actor=info.context.principal.actor, prices=_price_inputs(input)
            )
            async with info.context.read() as session:
                rows = await queries.prices_by_ids(session, ids)
            return PricesSetPayload(
                user_errors=[], prices=[PriceEntryType.from_row(rows[i]) for i in ids]
            )

        return await payload_or_errors(PricesSetPayload, run)

    @strawberry.mutation(permission_classes=[MERCHANDISER], description="Create a promotion.")
    async def promotion_create(self, info: Info, input: PromotionCreateInput) -> PromotionPayload:
        async def action() -> int:
            promotion, skus = input.to_model()
            return await services.create_promotion(
                info.context.uow(),
                actor=info.context.principal.actor,
                promotion=promotion,
                target_skus=skus,
            )

        return await _promotion_payload(info, action)

    @strawberry.mutation(permission_classes=[MERCHANDISER], description="Change a live promotion.")
    async def promotion_update(self, info: Info, input: PromotionUpdateInput) -> PromotionPayload:
        async def action() -> int:
            pid = decode_id(input.id, "Promotion")
            changes, skus = input.changes()
            await services.update_promotion(
                info.context.uow(),
                actor=info.context.principal.actor,
                promotion_id=pid,
                changes=changes,
                target_skus=skus,
            )
            return pid

        return await _promotion_payload(info, action)

    @strawberry.mutation(
        permission_classes=[MERCHANDISER], description="End a promotion now (and its vouchers)."
    )
    async def promotion_end(self, info: Info, input: PromotionEndInput) -> PromotionPayload:
        async def action() -> int:
            pid = decode_id(input.id, "Promotion")
            await services.end_promotion(
                info.context.uow(), actor=info.context.principal.actor, promotion_id=pid
            )
            return pid

        return await _promotion_payload(info, action)

    @strawberry.mutation(
        permission_classes=[MERCHANDISER],
        description="A code for a voucherOnly promotion, with total / per-customer limits.",
    )
    async def voucher_create(self, info: Info, input: VoucherCreateInput) -> VoucherPayload:
        async def action() -> int:
            return await services.create_voucher(
                info.context.uow(),
                actor=info.context.principal.actor,
                voucher=model.Voucher(
                    code=input.code,
                    promotion_id=decode_id(input.promotion_id, "Promotion", field="promotionId"),
                    usage_limit=input.usage_limit,
                    per_customer_limit=input.per_customer_limit,
                    min_spend=input.min_spend,
                    starts_at=input.starts_at,
                    ends_at=input.ends_at,
                ),
            )

        return await _voucher_payload(info, action)

    @strawberry.mutation(
        permission_classes=[MERCHANDISER], description="Change a voucher, or withdraw it."
    )
    async def voucher_update(self, info: Info, input: VoucherUpdateInput) -> VoucherPayload:
        async def action() -> int:
            vid = decode_id(input.id, "Voucher")
            await services.update_voucher(
                info.context.uow(),
                actor=info.context.principal.actor,
                voucher_id=vid,
                changes=input.changes(),
            )
            return vid

        return await _voucher_payload(info, action)

    @strawberry.mutation(
        permission_classes=[MERCHANDISER],
        description="Set the VAT rate of a tax class in a country (or region).",
    )
    async def tax_rate_set(self, info: Info, input: TaxRateSetInput) -> TaxSetPayload:
        async def run() -> TaxSetPayload:
            await services.set_tax_rate(
                info.context.uow(),
                tax_class=input.tax_class,
                country=input.country,
                region=input.region,
                rate_bp=to_bp(input.rate, field="rate"),
                name=input.name,
            )
            return TaxSetPayload(user_errors=[], ok=True)

        return await payload_or_errors(TaxSetPayload, run)

    @strawberry.mutation(
        permission_classes=[MERCHANDISER], description="Set a product's tax class."
    )
    async def product_tax_class_set(
        self, info: Info, input: ProductTaxClassSetInput
    ) -> TaxSetPayload:
        async def run() -> TaxSetPayload:
            await services.set_product_tax_class(
                info.context.uow(),
                product_id=decode_id(input.product_id, "Product", field="productId"),
                tax_class=input.tax_class,
            )
            return TaxSetPayload(user_errors=[], ok=True)

        return await payload_or_errors(TaxSetPayload, run)


# --- subscription ------------------------------------------------------------------------


class CanWatchStore(BasePermission):
    """Shelf-label feeds: the store's own devices and staff, merchandisers and admins."""

    message = "Not allowed: only this store's devices and staff, or merchandisers, may listen."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        try:
            location = decode_id(kwargs["location_id"], "Location", field="locationId")
        except (DomainError, KeyError):
            return False
        if principal.role in (Role.MERCHANDISER, Role.ADMIN):
            return True
        if principal.client_location_id == location:
            return True
        return principal.is_staff and principal.can_act_at(location)


def _affects(payload: dict[str, Any], location: int) -> bool:
    return bool(payload.get("shelf")) and (
        bool(payload.get("all_stores")) or location in payload.get("location_ids", [])
    )


@strawberry.type
class PricingSubscription:
    @strawberry.subscription(
        permission_classes=[CanWatchStore],
        description="Shelf prices at this store may have changed (a price, a catalogue "
        "promotion, or a scheduled change starting or ending): electronic shelf labels re-read "
        "the listed variants.",
    )
    async def price_changed(
        self, info: Info, location_id: relay.GlobalID
    ) -> AsyncGenerator[PriceChangedEvent, None]:
        location = decode_id(location_id, "Location", field="locationId")
        async for env in info.context.runtime.events.subscribe(
            "pricing", where=lambda payload: _affects(payload, location)
        ):
            p = env.payload
            yield PriceChangedEvent(
                event_id=str(env.id),
                kind=p["kind"],
                subject=p["subject"],
                variant_ids=[encode_id("Variant", v) for v in p.get("variant_ids", [])],
                effective_at=datetime.fromisoformat(p["effective_at"])
                if p.get("effective_at")
                else None,
            )


__all__ = ["Channel", "PricingMutation", "PricingQuery", "PricingSubscription"]
