"""Pricing tables: price entries (the history), tax rates and classes, promotions, vouchers and
their usage. Amounts are integer minor units; percents are basis points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, created_at, pk


class PriceRow(Base):
    """One price entry. Never updated except ``ends_at`` (ending it) and the announcement
    stamps; a new price is a new row, so the rows are the price history."""

    __tablename__ = "prices"

    id: Mapped[int] = pk()
    variant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("variants.id", ondelete="RESTRICT"), nullable=False
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    compare_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(16)), nullable=False, default=list)
    starts_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # When the change reached shelf labels (start) and when its end did: the tick announces
    # each once (conditional UPDATE ... WHERE announced IS NULL).
    start_announced_at: Mapped[datetime | None] = mapped_column(nullable=True)
    end_announced_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("compare_at IS NULL OR compare_at >= 0", name="compare_at_not_negative"),
        CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at", name="window"
        ),
        Index("ix_prices_variant_currency", "variant_id", "currency"),
    )


class TaxRateRow(Base):
    __tablename__ = "tax_rates"

    id: Mapped[int] = pk()
    tax_class: Mapped[str] = mapped_column(String(32), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    region: Mapped[str | None] = mapped_column(String(16), nullable=True)
    rate_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    __table_args__ = (
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_range"),
        UniqueConstraint(
            "tax_class",
            "country",
            "region",
            name="uq_tax_rates_class_country_region",
            postgresql_nulls_not_distinct=True,
        ),
    )


class ProductTaxClassRow(Base):
    """A product's tax class; products without a row are STANDARD."""

    __tablename__ = "product_tax_classes"

    product_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    tax_class: Mapped[str] = mapped_column(String(32), nullable=False)


class PromotionRow(Base):
    __tablename__ = "promotions"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="RUB")
    percent_bp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    threshold: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    buy_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    get_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # {"variant_ids": [...], "product_ids": [...], "category_ids": [...], "brand_ids": [...]}
    target: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(16)), nullable=False, default=list)
    location_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False, default=list)
    customer_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False, default=list)
    tiers: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False, default=list)
    segments: Mapped[list[str]] = mapped_column(ARRAY(String(64)), nullable=False, default=list)
    starts_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(nullable=True)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    exclusive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    voucher_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="ACTIVE")
    start_announced_at: Mapped[datetime | None] = mapped_column(nullable=True)
    end_announced_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), onupdate=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint("percent_bp >= 0 AND percent_bp <= 10000", name="percent_range"),
        CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at", name="window"
        ),
        Index("ix_promotions_status_ends_at", "status", "ends_at"),
    )


class VoucherRow(Base):
    __tablename__ = "vouchers"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    promotion_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("promotions.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    usage_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_spend: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        # The backstop of the conditional UPDATE in consume_vouchers.
        CheckConstraint(
            "used >= 0 AND (usage_limit IS NULL OR used <= usage_limit)", name="used_within_limit"
        ),
    )


class VoucherCustomerUsageRow(Base):
    """Uses per (voucher, customer); incremented by a conditional upsert."""

    __tablename__ = "voucher_customer_usage"

    voucher_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vouchers.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)


class VoucherRedemptionRow(Base):
    """One use of a voucher by an order; what ``release_vouchers`` gives back."""

    __tablename__ = "voucher_redemptions"

    id: Mapped[int] = pk()
    voucher_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vouchers.id", ondelete="RESTRICT"), nullable=False
    )
    customer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    order_ref: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (UniqueConstraint("voucher_id", "order_ref"),)


class CustomerSegmentRow(Base):
    """Segments for personalised offers (a stand-in until loyalty/CDP owns segments)."""

    __tablename__ = "customer_segments"

    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    segment: Mapped[str] = mapped_column(String(64), primary_key=True)
