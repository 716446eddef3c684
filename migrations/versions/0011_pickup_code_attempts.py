"""pickup code attempts: wrong codes per fulfillment order (locks after a few)

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-08 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "fulfillment_orders",
        sa.Column("pickup_code_attempts", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("fulfillment_orders", "pickup_code_attempts")
