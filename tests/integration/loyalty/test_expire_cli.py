"""``omnicommerce loyalty-expire`` against the test database (a real process entry point)."""

from __future__ import annotations

import asyncio

import asyncpg

from api.cli import main
from domain.shared.settings import get_settings
from tests.conftest import _raw

SEED = """
INSERT INTO customers (id, status, first_name, last_name, qr_generation, registered_via,
                       registered_channel)
VALUES (901, 'ACTIVE', '', '', 0, 'ENROLMENT', 'POS');
INSERT INTO loyalty_accounts (customer_id, balance) VALUES (901, 150);
INSERT INTO points_entries (customer_id, kind, points, remaining, expires_at, actor, created_at)
VALUES (901, 'EARN', 100, 100, '2025-01-10T00:00:00Z', 'seed', '2024-01-10T00:00:00Z'),
       (901, 'EARN', 50, 50, '2025-09-10T00:00:00Z', 'seed', '2024-09-10T00:00:00Z');
"""
CLEAN = "TRUNCATE points_entries, loyalty_accounts, customers, outbox_events CASCADE"


def test_the_expiry_command_expires_due_lots_once(database_url, monkeypatch, capsys):
    async def sql(statement: str) -> list:
        conn = await asyncpg.connect(_raw(database_url))
        try:
            if statement.startswith("SELECT"):
                return await conn.fetch(statement)
            await conn.execute(statement)
            return []
        finally:
            await conn.close()

    asyncio.run(sql(SEED))
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        assert main(["loyalty-expire", "--as-of", "2025-06-01T00:00:00+03:00"]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1] == "Expired 100 points."
        assert main(["loyalty-expire", "--as-of", "2025-06-01T00:00:00+03:00"]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1] == "Expired 0 points."
        balance = asyncio.run(sql("SELECT balance FROM loyalty_accounts WHERE customer_id = 901"))
        assert balance[0]["balance"] == 50
    finally:
        get_settings.cache_clear()
        asyncio.run(sql(CLEAN))
