"""Alembic migrations: the only way the schema changes. Run with ``omnicommerce migrate``."""
