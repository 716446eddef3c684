"""clienteling: interactions, preferences, consultations

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 20:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("REQUESTED", "ACCEPTED", "CLOSED", name="consultation_status"),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("staff_user_id", sa.BigInteger(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_consultations_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_consultations_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_consultations_staff_user_id_staff_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    op.create_index(
        "ix_consultations_location_id_status",
        "consultations",
        ["location_id", "status", "requested_at"],
        unique=False,
    )
    op.create_index(
        "ix_consultations_staff_accepted",
        "consultations",
        ["location_id", "accepted_at"],
        unique=False,
    )
    op.create_index(
        "uq_consultations_open_customer_location",
        "consultations",
        ["customer_id", "location_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('REQUESTED', 'ACCEPTED')"),
    )
    op.create_table(
        "customer_personalisation",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
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
            name=op.f("fk_customer_personalisation_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_personalisation")),
    )
    op.create_table(
        "interactions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("session_id", sa.String(length=100), nullable=True),
        sa.Column("origin", sa.String(length=120), nullable=False),
        sa.Column("client_event_id", sa.String(length=100), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "PRODUCT_VIEWED",
                "SEARCHED",
                "FILTER_APPLIED",
                "FAVORITED",
                "UNFAVORITED",
                "COMPARED",
                "REVIEW_READ",
                "STORE_CHECK_IN",
                "CONSULTANT_REQUESTED",
                "PRODUCT_SCANNED",
                "PRODUCT_RATED",
                name="interaction_type",
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("variant_id", sa.BigInteger(), nullable=True),
        sa.Column("product_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=True),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("price_min", sa.BigInteger(), nullable=True),
        sa.Column("price_max", sa.BigInteger(), nullable=True),
        sa.Column("ratings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("consultation_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_interactions_consultation_id_consultations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_interactions_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_interactions_location_id_locations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_interactions_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    op.create_index(
        "ix_interactions_customer_id_occurred_at",
        "interactions",
        ["customer_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_interactions_location_id_type_occurred_at",
        "interactions",
        ["location_id", "type", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_interactions_session_id",
        "interactions",
        ["session_id"],
        unique=False,
        postgresql_where=sa.text("customer_id IS NULL"),
    )
    op.create_index(
        "uq_interactions_origin_client_event_id",
        "interactions",
        ["origin", "client_event_id"],
        unique=True,
        postgresql_where=sa.text("client_event_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_interactions_origin_client_event_id",
        table_name="interactions",
        postgresql_where=sa.text("client_event_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_interactions_session_id",
        table_name="interactions",
        postgresql_where=sa.text("customer_id IS NULL"),
    )
    op.drop_index("ix_interactions_location_id_type_occurred_at", table_name="interactions")
    op.drop_index("ix_interactions_customer_id_occurred_at", table_name="interactions")
    op.drop_table("interactions")
    op.drop_table("customer_personalisation")
    op.drop_index(
        "uq_consultations_open_customer_location",
        table_name="consultations",
        postgresql_where=sa.text("status IN ('REQUESTED', 'ACCEPTED')"),
    )
    op.drop_index("ix_consultations_staff_accepted", table_name="consultations")
    op.drop_index("ix_consultations_location_id_status", table_name="consultations")
    op.drop_table("consultations")
    sa.Enum(name="interaction_type").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="consultation_status").drop(op.get_bind(), checkfirst=True)
