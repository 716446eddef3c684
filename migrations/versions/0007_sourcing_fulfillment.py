"""sourcing and fulfillment-order extras (helper: sourcing)

Fulfillment orders keep the allocations and reasons that put them at their location, and
when they were shipped, made ready for pickup and completed; a pickup store's queue index
(transfers coming to it). A default sourcing profile v1 is seeded active.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 20:55:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_RULES = {
    "criteria": ["DISTANCE", "STOCK_DEPTH", "PRIORITY"],
    "prefer_single_location": True,
    "max_splits": 2,
    "allow_transfers": True,
    "transfer_lead_minutes": 1440,
    "ship_lead_minutes": 240,
    "max_distance_km": None,
    "pickup_window_days": 3,
}


def upgrade() -> None:
    op.add_column(
        "fulfillment_orders",
        sa.Column(
            "sourcing",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "fulfillment_orders", sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "fulfillment_orders", sa.Column("ready_since", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "fulfillment_orders", sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_fulfillment_orders_pickup_queue",
        "fulfillment_orders",
        ["pickup_location_id", "status", "id"],
        unique=False,
    )
    op.execute(
        sa.text(
            "INSERT INTO sourcing_profiles (version, name, rules, active, created_by) "
            "VALUES (1, 'Default', CAST(:rules AS jsonb), true, 'migration')"
        ).bindparams(rules=json.dumps(DEFAULT_RULES))
    )


def downgrade() -> None:
    op.execute("DELETE FROM sourcing_profiles WHERE version = 1 AND created_by = 'migration'")
    op.drop_index("ix_fulfillment_orders_pickup_queue", table_name="fulfillment_orders")
    op.drop_column("fulfillment_orders", "completed_at")
    op.drop_column("fulfillment_orders", "ready_since")
    op.drop_column("fulfillment_orders", "shipped_at")
    op.drop_column("fulfillment_orders", "sourcing")
