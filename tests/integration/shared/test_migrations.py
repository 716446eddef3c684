"""The migration chain is one line, goes down to nothing and up again."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from domain.shared import migrate
from tests.conftest import _raw


def test_the_chain_has_one_head_and_survives_a_full_downgrade(server_url: str):
    config = migrate.alembic_config(server_url)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    name = f"omni_mig_{secrets.token_hex(4)}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(_raw(server_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        command.downgrade(migrate.alembic_config(url), "base")
        migrate.upgrade(url)
        migrate.check(url)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
