"""The operator's commands against a real database."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from api.runtime import Runtime
from domain.access.tables import ApiKeyRow, StaffUserRow


def run_cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 40, **env},
    )


async def test_migrate_create_admin_and_create_api_key(
    runtime: Runtime, database_url: str, make_location
):
    await make_location("S05")
    assert run_cli(database_url, "migrate").stdout == "Database is at the latest migration.\n"

    admin = run_cli(
        database_url,
        "create-admin",
        "--email",
        "Boss@Omni.test",
        OMNI_ADMIN_PASSWORD="a-long-admin-password",
    )
    assert admin.returncode == 0, admin.stderr
    weak = run_cli(
        database_url, "create-admin", "--email", "b2@omni.test", OMNI_ADMIN_PASSWORD="short"
    )
    assert weak.returncode == 1
    assert "error: The password needs at least 10 characters." in weak.stderr

    key = run_cli(
        database_url, "create-api-key", "--name", "till 4", "--channel", "POS", "--location", "s05"
    )
    assert key.returncode == 0, key.stderr
    issued = key.stdout.split(": ", 1)[1].splitlines()[0]
    missing = run_cli(database_url, "create-api-key", "--name", "till", "--channel", "POS")
    assert missing.returncode == 1
    assert "give its locationId" in missing.stderr

    async with runtime.session_factory() as s:
        staff = (await s.execute(select(StaffUserRow.email, StaffUserRow.role))).all()
        keys = (await s.execute(select(ApiKeyRow.name, ApiKeyRow.channel))).all()
    assert [(e, r.value) for e, r in staff] == [("boss@omni.test", "ADMIN")]
    assert [(n, c.value) for n, c in keys] == [("till 4", "POS")]
    assert issued.startswith("ock_")
