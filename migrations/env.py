"""Alembic environment: async engine, one advisory lock so parallel starters migrate once."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from domain.shared.db import async_url
from domain.shared.registry import load_all_tables

config = context.config
target_metadata = load_all_tables()
MIGRATION_LOCK = 0x0A11_0A1E


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from domain.shared.settings import get_settings

        url = get_settings().database_url
    if not url:
        raise RuntimeError(
            "Set DATABASE_URL (or use `omnicommerce migrate`, which starts the "
            "embedded PostgreSQL when it is unset)."
        )
    return async_url(url)


def _run(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
    try:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    except BaseException:
        # Leave the failed transaction so the unlock below runs and the real error surfaces.
        connection.rollback()
        raise
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
        connection.commit()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    existing = config.attributes.get("connection")
    if existing is not None:
        _run(existing)
    else:
        asyncio.run(_run_async())
