"""inventory: stock levels, holds, the movement ledger, transfers; location time zone

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLD_STATUS = postgresql.ENUM(
    "ACTIVE",
    "COMMITTED",
    "RELEASED",
    "EXPIRED",
    "FULFILLED",
    name="stock_hold_status",
    create_type=False,
)
MOVEMENT_KIND = postgresql.ENUM(
    "RECEIVE",
    "ADJUST",
    "COUNT",
    "STATE",
    "SAFETY_STOCK",
    "RESERVE",
    "RELEASE",
    "COMMIT",
    "SHIP",
    "SALE",
    "RETURN",
    "TRANSFER_OUT",
    "TRANSFER_IN",
    name="stock_movement_kind",
    create_type=False,
)
TRANSFER_STATUS = postgresql.ENUM(
    "CREATED",
    "SHIPPED",
    "PARTIALLY_RECEIVED",
    "RECEIVED",
    "CANCELLED",
    name="stock_transfer_status",
    create_type=False,
)


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def _created() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    bind = op.get_bind()
    for enum in (HOLD_STATUS, MOVEMENT_KIND, TRANSFER_STATUS):
        enum.create(bind, checkfirst=True)
    op.add_column(
        "locations",
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
    )
    op.create_table(
        "stock_levels",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        _count("on_hand"),
        _count("committed"),
        _count("reserved"),
        _count("safety_stock"),
        _count("damaged"),
        _count("quality_control"),
        _count("incoming"),
        sa.Column("needs_recount", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "committed >= 0 AND reserved >= 0 AND safety_stock >= 0 AND damaged >= 0 "
            "AND quality_control >= 0 AND incoming >= 0",
            name=op.f("ck_stock_levels_buckets_not_negative"),
        ),
        sa.CheckConstraint(
            "needs_recount OR on_hand >= committed + reserved",
            name=op.f("ck_stock_levels_promises_within_on_hand"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_stock_levels_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_stock_levels_variant_id_variants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_levels")),
        sa.UniqueConstraint(
            "variant_id", "location_id", name=op.f("uq_stock_levels_variant_id_location_id")
        ),
    )
    op.create_index(
        op.f("ix_stock_levels_location_id"), "stock_levels", ["location_id"], unique=False
    )
    op.create_table(
        "stock_holds",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("owner_ref", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("status", HOLD_STATUS, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        _created(),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_holds_quantity_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_holds")),
    )
    op.create_index(op.f("ix_stock_holds_owner_ref"), "stock_holds", ["owner_ref"], unique=False)
    op.create_index(
        "ix_stock_holds_active_level",
        "stock_holds",
        ["variant_id", "location_id", "expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )
    op.create_index(
        "ix_stock_holds_active_expiry",
        "stock_holds",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", MOVEMENT_KIND, nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        _count("d_on_hand"),
        _count("d_committed"),
        _count("d_reserved"),
        _count("d_safety_stock"),
        _count("d_damaged"),
        _count("d_quality_control"),
        _count("d_incoming"),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    op.create_index(
        "ix_stock_movements_level",
        "stock_movements",
        ["variant_id", "location_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_stock_movements_document_ref", "stock_movements", ["document_ref"], unique=False
    )
    # The ledger is append-only: corrections are new movements, never edits.
    op.execute(
        "CREATE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'stock_movements is append-only; record a correcting movement'; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements "
        "FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only()"
    )
    op.create_table(
        "stock_transfers",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("from_location_id", sa.BigInteger(), nullable=False),
        sa.Column("to_location_id", sa.BigInteger(), nullable=False),
        sa.Column("status", TRANSFER_STATUS, nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        _created(),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "from_location_id <> to_location_id",
            name=op.f("ck_stock_transfers_distinct_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["locations.id"],
            name=op.f("fk_stock_transfers_from_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["locations.id"],
            name=op.f("fk_stock_transfers_to_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_transfers")),
    )
    op.create_table(
        "stock_transfer_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("transfer_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _count("received"),
        _count("discrepancy"),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "quantity > 0 AND received >= 0 AND received + discrepancy <= quantity",
            name=op.f("ck_stock_transfer_lines_quantities"),
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["stock_transfers.id"],
            name=op.f("fk_stock_transfer_lines_transfer_id_stock_transfers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_stock_transfer_lines_variant_id_variants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_transfer_lines")),
        sa.UniqueConstraint(
            "transfer_id", "variant_id", name=op.f("uq_stock_transfer_lines_transfer_id_variant_id")
        ),
    )
    op.create_index(
        op.f("ix_stock_transfer_lines_transfer_id"),
        "stock_transfer_lines",
        ["transfer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("stock_transfer_lines")
    op.drop_table("stock_transfers")
    op.execute("DROP TRIGGER IF EXISTS stock_movements_append_only ON stock_movements")
    op.execute("DROP FUNCTION IF EXISTS stock_movements_append_only()")
    op.drop_table("stock_movements")
    op.drop_table("stock_holds")
    op.drop_table("stock_levels")
    op.drop_column("locations", "timezone")
    for enum in ("stock_transfer_status", "stock_movement_kind", "stock_hold_status"):
        op.execute(f"DROP TYPE IF EXISTS {enum}")
