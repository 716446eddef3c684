"""pos sale reviews: the store managers' queue of till sales to reconcile

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pos_sale_reviews",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Enum("OPEN", "RESOLVED", name="pos_review_status"), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expected_total", sa.BigInteger(), nullable=False),
        sa.Column("tendered_total", sa.BigInteger(), nullable=False),
        sa.Column("discrepancy", sa.BigInteger(), nullable=False),
        sa.Column("notes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("offline_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offline_reason", sa.String(length=200), nullable=True),
        sa.Column("cashier", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "resolution",
            sa.Enum("ACCEPTED", "COLLECTED", "WRITTEN_OFF", name="pos_review_resolution"),
            nullable=True,
        ),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_pos_sale_reviews_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_pos_sale_reviews_order_id_orders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_sale_reviews")),
        sa.UniqueConstraint("order_id", name=op.f("uq_pos_sale_reviews_order_id")),
    )
    op.create_index(
        "ix_pos_sale_reviews_location_status",
        "pos_sale_reviews",
        ["location_id", "status", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_pos_sale_reviews_location_status", table_name="pos_sale_reviews")
    op.drop_table("pos_sale_reviews")
    sa.Enum(name="pos_review_resolution").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="pos_review_status").drop(op.get_bind(), checkfirst=True)
