"""returns, exchanges and refunds (helper: returns)

Return documents and their lines (reason, disposition, refund per line), and the return
window per channel.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 20:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETURN_STATUS = sa.Enum("REQUESTED", "RECEIVED", "CANCELLED", name="return_status")
RETURN_REASON = sa.Enum(
    "CHANGED_MIND",
    "DOES_NOT_FIT",
    "NOT_AS_DESCRIBED",
    "DEFECTIVE",
    "WRONG_ITEM",
    "DAMAGED_IN_TRANSIT",
    "OTHER",
    name="return_reason",
)
RETURN_DISPOSITION = sa.Enum("RESTOCK", "DAMAGED", "QUALITY_CONTROL", name="return_disposition")
ENUMS = (RETURN_STATUS, RETURN_REASON, RETURN_DISPOSITION)


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "return_policies",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "window_days >= 0", name=op.f("ck_return_policies_window_days_not_negative")
        ),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_return_policies")),
    )
    op.create_table(
        "returns",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("status", RETURN_STATUS, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("started_at_location_id", sa.BigInteger(), nullable=True),
        sa.Column("location_id", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("to_store_credit", sa.Boolean(), nullable=False),
        sa.Column("window_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_override_reason", sa.String(length=500), nullable=True),
        sa.Column("window_override_by", sa.String(length=100), nullable=True),
        _money("refund_goods"),
        _money("refund_shipping"),
        _money("refund_withheld"),
        _money("refund_total"),
        sa.Column("points_reversed", sa.BigInteger(), nullable=False),
        sa.Column("exchange_order_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("received_by", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "refund_total = refund_goods + refund_shipping",
            name=op.f("ck_returns_refund_total_sum"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_returns_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_returns_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_returns_order_id_orders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["started_at_location_id"],
            ["locations.id"],
            name=op.f("fk_returns_started_at_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    op.create_index("ix_returns_customer_id_id", "returns", ["customer_id", "id"], unique=False)
    op.create_index("ix_returns_location_id_id", "returns", ["location_id", "id"], unique=False)
    op.create_index(op.f("ix_returns_order_id"), "returns", ["order_id"], unique=False)
    op.create_index(
        "ix_returns_started_at_location_id_id",
        "returns",
        ["started_at_location_id", "id"],
        unique=False,
    )
    op.create_table(
        "return_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("return_id", sa.BigInteger(), nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("cancelled_quantity", sa.Integer(), nullable=False),
        sa.Column("received_quantity", sa.Integer(), nullable=False),
        sa.Column("reason", RETURN_REASON, nullable=False),
        sa.Column("disposition", RETURN_DISPOSITION, nullable=True),
        _money("refund_amount"),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "quantity >= 0 AND cancelled_quantity >= 0 AND quantity + cancelled_quantity > 0 "
            "AND received_quantity >= 0 AND received_quantity <= quantity",
            name=op.f("ck_return_lines_quantities"),
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_return_lines_order_line_id_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_lines_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    op.create_index(
        op.f("ix_return_lines_order_line_id"), "return_lines", ["order_line_id"], unique=False
    )
    op.create_index(op.f("ix_return_lines_return_id"), "return_lines", ["return_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_return_lines_return_id"), table_name="return_lines")
    op.drop_index(op.f("ix_return_lines_order_line_id"), table_name="return_lines")
    op.drop_table("return_lines")
    op.drop_index("ix_returns_started_at_location_id_id", table_name="returns")
    op.drop_index(op.f("ix_returns_order_id"), table_name="returns")
    op.drop_index("ix_returns_location_id_id", table_name="returns")
    op.drop_index("ix_returns_customer_id_id", table_name="returns")
    op.drop_table("returns")
    op.drop_table("return_policies")
    for enum in reversed(ENUMS):
        enum.drop(op.get_bind(), checkfirst=False)
