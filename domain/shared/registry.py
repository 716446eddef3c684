"""Imports every context's tables so ``Base.metadata`` is complete (alembic, tests)."""

from __future__ import annotations

from sqlalchemy import MetaData


def load_all_tables() -> MetaData:
    import domain.access.tables  # noqa: F401
    import domain.catalog.tables  # noqa: F401
    import domain.pricing.tables  # noqa: F401
    import domain.shared.idempotency  # noqa: F401
    import domain.shared.outbox  # noqa: F401
    import fulfillment.returns.tables  # noqa: F401
    import fulfillment.review_tables  # noqa: F401
    import fulfillment.tables  # noqa: F401
    import inventory.tables  # noqa: F401
    import loyalty.clienteling.tables  # noqa: F401
    import loyalty.tables  # noqa: F401
    from domain.shared.db import Base

    return Base.metadata
