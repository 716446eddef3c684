"""loyalty: customers, identifiers, addresses, consents, points ledger, spend, merges

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:00:10.166256
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CUSTOMER_STATUS = postgresql.ENUM(
    "ACTIVE", "MERGED", "ERASED", name="customer_status", create_type=False
)
CONTACT_CHANNEL = postgresql.ENUM("EMAIL", "SMS", "PUSH", name="contact_channel", create_type=False)
IDENTIFIER_KIND = postgresql.ENUM(
    "EMAIL", "PHONE", "CARD", "EXTERNAL", name="identifier_kind", create_type=False
)
IDENTIFIER_VERIFICATION = postgresql.ENUM(
    "UNVERIFIED", "VERIFIED", name="identifier_verification", create_type=False
)
POINTS_KIND = postgresql.ENUM(
    "EARN", "REDEEM", "REVERSE", "EXPIRE", "ADJUST", name="points_kind", create_type=False
)
ENUMS = [CUSTOMER_STATUS, CONTACT_CHANNEL, IDENTIFIER_KIND, IDENTIFIER_VERIFICATION, POINTS_KIND]


def upgrade() -> None:
    for enum in ENUMS:
        enum.create(op.get_bind(), checkfirst=False)
    # Loyalty card numbers: 299 + this sequence (9 digits) + EAN-13 check digit.
    op.execute("CREATE SEQUENCE loyalty_card_seq")
    op.create_table(
        "customers",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("status", CUSTOMER_STATUS, nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("preferred_contact_channel", CONTACT_CHANNEL, nullable=True),
        sa.Column("preferred_store_id", sa.BigInteger(), nullable=True),
        sa.Column("merged_into_id", sa.BigInteger(), nullable=True),
        sa.Column("qr_generation", sa.Integer(), nullable=False),
        sa.Column("registered_via", sa.String(length=20), nullable=False),
        sa.Column("registered_channel", sa.String(length=20), nullable=False),
        sa.Column("registered_location_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'MERGED') = (merged_into_id IS NOT NULL)",
            name=op.f("ck_customers_merged_has_target"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["customers.id"],
            name=op.f("fk_customers_merged_into_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["preferred_store_id"],
            ["locations.id"],
            name=op.f("fk_customers_preferred_store_id_locations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registered_location_id"],
            ["locations.id"],
            name=op.f("fk_customers_registered_location_id_locations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_table(
        "customer_addresses",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("line1", sa.Text(), nullable=False),
        sa.Column("line2", sa.Text(), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_addresses_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
    )
    op.create_index(
        op.f("ix_customer_addresses_customer_id"),
        "customer_addresses",
        ["customer_id"],
        unique=False,
    )
    op.create_table(
        "customer_consents",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", CONTACT_CHANNEL, nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_consents_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("customer_id", "channel", name=op.f("pk_customer_consents")),
    )
    op.create_table(
        "customer_identifiers",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", IDENTIFIER_KIND, nullable=False),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("verification", IDENTIFIER_VERIFICATION, nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_identifiers_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identifiers")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_customer_identifiers_kind_value")),
    )
    op.create_index(
        op.f("ix_customer_identifiers_customer_id"),
        "customer_identifiers",
        ["customer_id"],
        unique=False,
    )
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("survivor_id", sa.BigInteger(), nullable=False),
        sa.Column("duplicate_id", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("moved", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("conflicts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "merged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_id"],
            ["customers.id"],
            name=op.f("fk_customer_merges_duplicate_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["customers.id"],
            name=op.f("fk_customer_merges_survivor_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
        sa.UniqueConstraint("duplicate_id", name=op.f("uq_customer_merges_duplicate_id")),
    )
    op.create_index(
        op.f("ix_customer_merges_survivor_id"), "customer_merges", ["survivor_id"], unique=False
    )
    op.create_table(
        "loyalty_accounts",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_loyalty_accounts_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_accounts_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_loyalty_accounts")),
    )
    op.create_table(
        "points_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", POINTS_KIND, nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("reversed_kind", POINTS_KIND, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("points <> 0", name=op.f("ck_points_entries_points_not_zero")),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= greatest(points, 0)",
            name=op.f("ck_points_entries_remaining"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_points_entries_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
    )
    op.create_index(
        "ix_points_entries_customer_id_id", "points_entries", ["customer_id", "id"], unique=False
    )
    op.create_index(
        "ix_points_entries_due",
        "points_entries",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("remaining > 0"),
    )
    op.create_index(
        "ix_points_entries_open_lots",
        "points_entries",
        ["customer_id", "expires_at", "id"],
        unique=False,
        postgresql_where=sa.text("remaining > 0"),
    )
    op.create_index("ix_points_entries_reference", "points_entries", ["reference"], unique=False)
    op.create_index(
        "uq_points_entries_kind_idempotency_key",
        "points_entries",
        ["kind", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_table(
        "spend_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("order_ref", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_spend_entries_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_entries")),
        sa.UniqueConstraint("order_ref", name=op.f("uq_spend_entries_order_ref")),
    )
    op.create_index(
        "ix_spend_entries_customer_id_occurred_at",
        "spend_entries",
        ["customer_id", "occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_spend_entries_customer_id_occurred_at", table_name="spend_entries")
    op.drop_table("spend_entries")
    op.drop_index(
        "uq_points_entries_kind_idempotency_key",
        table_name="points_entries",
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.drop_index("ix_points_entries_reference", table_name="points_entries")
    op.drop_index(
        "ix_points_entries_open_lots",
        table_name="points_entries",
        postgresql_where=sa.text("remaining > 0"),
    )
    op.drop_index(
        "ix_points_entries_due",
        table_name="points_entries",
        postgresql_where=sa.text("remaining > 0"),
    )
    op.drop_index("ix_points_entries_customer_id_id", table_name="points_entries")
    op.drop_table("points_entries")
    op.drop_table("loyalty_accounts")
    op.drop_index(op.f("ix_customer_merges_survivor_id"), table_name="customer_merges")
    op.drop_table("customer_merges")
    op.drop_index(op.f("ix_customer_identifiers_customer_id"), table_name="customer_identifiers")
    op.drop_table("customer_identifiers")
    op.drop_table("customer_consents")
    op.drop_index(op.f("ix_customer_addresses_customer_id"), table_name="customer_addresses")
    op.drop_table("customer_addresses")
    op.drop_table("customers")
    op.execute("DROP SEQUENCE loyalty_card_seq")
    for enum in reversed(ENUMS):
        enum.drop(op.get_bind(), checkfirst=False)
