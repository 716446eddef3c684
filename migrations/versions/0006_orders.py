"""orders: carts, orders with price snapshot, tenders, refunds, fulfillment orders, store
credit, sourcing profiles

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

CART_STATUS = postgresql.ENUM(
    "OPEN", "CHECKED_OUT", "MERGED", "ABANDONED", name="cart_status", create_type=False
)
ORDER_STATUS = postgresql.ENUM(
    "PLACED", "COMPLETED", "CANCELLED", name="order_status", create_type=False
)
STORE_CREDIT_KIND = postgresql.ENUM(
    "ISSUE", "REDEEM", "REVERSE", name="store_credit_kind", create_type=False
)
FULFILLMENT_METHOD = postgresql.ENUM(
    "SHIP", "PICKUP", "CARRY_OUT", name="fulfillment_method", create_type=False
)
FULFILLMENT_STATUS = postgresql.ENUM(
    "OPEN",
    "IN_PROGRESS",
    "READY_FOR_PICKUP",
    "SHIPPED",
    "PICKED_UP",
    "DELIVERED",
    "CANCELLED",
    "REJECTED",
    name="fulfillment_status",
    create_type=False,
)
TENDER_KIND = postgresql.ENUM(
    "CARD", "CASH", "POINTS", "STORE_CREDIT", name="tender_kind", create_type=False
)
REFUND_REASON = postgresql.ENUM(
    "CANCELLATION", "RETURN", "EXCHANGE", name="refund_reason", create_type=False
)
ENUMS = [
    CART_STATUS,
    ORDER_STATUS,
    STORE_CREDIT_KIND,
    FULFILLMENT_METHOD,
    FULFILLMENT_STATUS,
    TENDER_KIND,
    REFUND_REASON,
]

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for enum in ENUMS:
        enum.create(op.get_bind(), checkfirst=False)
    op.execute("CREATE SEQUENCE order_number_seq START WITH 100001")
    op.create_table(
        "sourcing_profiles",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sourcing_profiles")),
        sa.UniqueConstraint("version", name=op.f("uq_sourcing_profiles_version")),
    )
    op.create_index(
        "uq_sourcing_profiles_active",
        "sourcing_profiles",
        ["active"],
        unique=True,
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "carts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", CART_STATUS, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("location_id", sa.BigInteger(), nullable=True),
        sa.Column("staff_user_id", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("voucher_codes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ship_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("shipping_method", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_carts_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_carts_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        sa.UniqueConstraint("token", name=op.f("uq_carts_token")),
    )
    op.create_index(
        "ix_carts_open_customer",
        "carts",
        ["customer_id"],
        unique=False,
        postgresql_where=sa.text("status = 'OPEN'"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", ORDER_STATUS, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("location_id", sa.BigInteger(), nullable=True),
        sa.Column("cart_id", sa.BigInteger(), nullable=True),
        sa.Column("staff_user_id", sa.BigInteger(), nullable=True),
        sa.Column("client_sale_id", sa.String(length=100), nullable=True),
        sa.Column(
            "placed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("discount_total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shipping", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shipping_discount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tax_total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("voucher_codes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("price_snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sourcing", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ship_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("shipping_method", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("needs_recount", sa.Boolean(), nullable=False),
        sa.Column("payment_discrepancy", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "review_notes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("points_earned", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("total >= 0", name=op.f("ck_orders_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_orders_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_orders_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "location_id", "client_sale_id", name=op.f("uq_orders_location_id_client_sale_id")
        ),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index(
        "ix_orders_customer_placed", "orders", ["customer_id", "placed_at"], unique=False
    )
    op.create_index(
        "ix_orders_location_placed", "orders", ["location_id", "placed_at"], unique=False
    )
    op.create_table(
        "store_credit_accounts",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "balance >= 0", name=op.f("ck_store_credit_accounts_balance_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_store_credit_accounts_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_store_credit_accounts")),
    )
    op.create_table(
        "store_credit_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", STORE_CREDIT_KIND, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_store_credit_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_store_credit_entries_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_credit_entries")),
        sa.UniqueConstraint(
            "kind", "reference", name=op.f("uq_store_credit_entries_kind_reference")
        ),
    )
    op.create_index(
        op.f("ix_store_credit_entries_customer_id"),
        "store_credit_entries",
        ["customer_id"],
        unique=False,
    )
    op.create_table(
        "cart_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("cart_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("method", FULFILLMENT_METHOD, nullable=False),
        sa.Column("pickup_location_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "holds",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(method = 'PICKUP') = (pickup_location_id IS NOT NULL)",
            name=op.f("ck_cart_lines_pickup_has_store"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cart_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_cart_lines_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pickup_location_id"],
            ["locations.id"],
            name=op.f("fk_cart_lines_pickup_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_cart_lines_variant_id_variants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_lines")),
    )
    op.create_index(op.f("ix_cart_lines_cart_id"), "cart_lines", ["cart_id"], unique=False)
    op.create_table(
        "fulfillment_orders",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("method", FULFILLMENT_METHOD, nullable=False),
        sa.Column("status", FULFILLMENT_STATUS, nullable=False),
        sa.Column("pickup_location_id", sa.BigInteger(), nullable=True),
        sa.Column("transfer_id", sa.BigInteger(), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pickup_code", sa.String(length=16), nullable=True),
        sa.Column("pickup_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("replaced_by_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_fulfillment_orders_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_fulfillment_orders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pickup_location_id"],
            ["locations.id"],
            name=op.f("fk_fulfillment_orders_pickup_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_orders")),
    )
    op.create_index(
        op.f("ix_fulfillment_orders_order_id"), "fulfillment_orders", ["order_id"], unique=False
    )
    op.create_index(
        "ix_fulfillment_orders_pickup_due",
        "fulfillment_orders",
        ["pickup_deadline"],
        unique=False,
        postgresql_where=sa.text("status = 'READY_FOR_PICKUP'"),
    )
    op.create_index(
        "ix_fulfillment_orders_queue",
        "fulfillment_orders",
        ["location_id", "status", "id"],
        unique=False,
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("method", FULFILLMENT_METHOD, nullable=False),
        sa.Column("pickup_location_id", sa.BigInteger(), nullable=True),
        sa.Column("unit_price", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("subtotal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("discount_total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tax", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("discounts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cancelled_quantity", sa.Integer(), nullable=False),
        sa.Column("fulfilled_quantity", sa.Integer(), nullable=False),
        sa.Column("returned_quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "cancelled_quantity >= 0 AND fulfilled_quantity >= 0 AND returned_quantity >= 0 AND cancelled_quantity + fulfilled_quantity <= quantity AND returned_quantity <= fulfilled_quantity",
            name=op.f("ck_order_lines_quantities"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pickup_location_id"],
            ["locations.id"],
            name=op.f("fk_order_lines_pickup_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_order_lines_variant_id_variants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_order_lines_order_id_line_no")),
    )
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"], unique=False)
    op.create_table(
        "order_tenders",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", TENDER_KIND, nullable=False),
        sa.Column("amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tendered", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("change", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("refunded", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_order_tenders_amount_positive")),
        sa.CheckConstraint(
            "refunded >= 0 AND refunded <= amount",
            name=op.f("ck_order_tenders_refunded_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_tenders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_tenders")),
    )
    op.create_index(op.f("ix_order_tenders_order_id"), "order_tenders", ["order_id"], unique=False)
    op.create_table(
        "fulfillment_order_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("fulfillment_order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("cancelled_quantity", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "cancelled_quantity >= 0 AND cancelled_quantity <= quantity",
            name=op.f("ck_fulfillment_order_lines_cancelled"),
        ),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_fulfillment_order_lines_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["fulfillment_order_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_fulfillment_order_lines_fulfillment_order_id_fulfillment_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_fulfillment_order_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_order_lines")),
    )
    op.create_index(
        op.f("ix_fulfillment_order_lines_fulfillment_order_id"),
        "fulfillment_order_lines",
        ["fulfillment_order_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_fulfillment_order_lines_order_line_id"),
        "fulfillment_order_lines",
        ["order_line_id"],
        unique=False,
    )
    op.create_table(
        "order_refunds",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("tender_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", TENDER_KIND, nullable=False),
        sa.Column("reason", REFUND_REASON, nullable=False),
        sa.Column("amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_order_refunds_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_refunds_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["order_tenders.id"],
            name=op.f("fk_order_refunds_tender_id_order_tenders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_refunds")),
    )
    op.create_index(op.f("ix_order_refunds_order_id"), "order_refunds", ["order_id"], unique=False)
    op.create_index("ix_order_refunds_reference", "order_refunds", ["reference"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_order_refunds_reference", table_name="order_refunds")
    op.drop_index(op.f("ix_order_refunds_order_id"), table_name="order_refunds")
    op.drop_table("order_refunds")
    op.drop_index(
        op.f("ix_fulfillment_order_lines_order_line_id"), table_name="fulfillment_order_lines"
    )
    op.drop_index(
        op.f("ix_fulfillment_order_lines_fulfillment_order_id"),
        table_name="fulfillment_order_lines",
    )
    op.drop_table("fulfillment_order_lines")
    op.drop_index(op.f("ix_order_tenders_order_id"), table_name="order_tenders")
    op.drop_table("order_tenders")
    op.drop_index(op.f("ix_order_lines_order_id"), table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_index("ix_fulfillment_orders_queue", table_name="fulfillment_orders")
    op.drop_index(
        "ix_fulfillment_orders_pickup_due",
        table_name="fulfillment_orders",
        postgresql_where=sa.text("status = 'READY_FOR_PICKUP'"),
    )
    op.drop_index(op.f("ix_fulfillment_orders_order_id"), table_name="fulfillment_orders")
    op.drop_table("fulfillment_orders")
    op.drop_index(op.f("ix_cart_lines_cart_id"), table_name="cart_lines")
    op.drop_table("cart_lines")
    op.drop_index(op.f("ix_store_credit_entries_customer_id"), table_name="store_credit_entries")
    op.drop_table("store_credit_entries")
    op.drop_table("store_credit_accounts")
    op.drop_index("ix_orders_location_placed", table_name="orders")
    op.drop_index("ix_orders_customer_placed", table_name="orders")
    op.drop_table("orders")
    op.drop_index(
        "ix_carts_open_customer", table_name="carts", postgresql_where=sa.text("status = 'OPEN'")
    )
    op.drop_table("carts")
    op.drop_index(
        "uq_sourcing_profiles_active",
        table_name="sourcing_profiles",
        postgresql_where=sa.text("active"),
    )
    op.drop_table("sourcing_profiles")
    op.execute("DROP SEQUENCE order_number_seq")
    for enum in reversed(ENUMS):
        enum.drop(op.get_bind(), checkfirst=False)
