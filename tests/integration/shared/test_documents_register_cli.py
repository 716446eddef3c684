"""``omnicommerce documents-register`` against the test database (a real process entry point)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import asyncpg

from api.cli import main
from domain.shared.settings import get_settings
from tests.conftest import _raw

VIEWER = "query Viewer { viewer { role } }\n"


def test_the_command_registers_valid_documents_and_nothing_when_one_is_invalid(
    database_url, monkeypatch, capsys, tmp_path: Path
):
    async def clean() -> None:
        conn = await asyncpg.connect(_raw(database_url))
        try:
            await conn.execute("DELETE FROM trusted_documents")
        finally:
            await conn.close()

    async def rows() -> list[tuple[str, str, str]]:
        conn = await asyncpg.connect(_raw(database_url))
        try:
            found = await conn.fetch(
                "SELECT sha256, name, created_by FROM trusted_documents ORDER BY name"
            )
            return [tuple(r) for r in found]
        finally:
            await conn.close()

    good = tmp_path / "viewer.graphql"
    good.write_text(VIEWER)
    bad = tmp_path / "typo.graphql"
    bad.write_text("query Typo { viewer { rol } }")
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        assert main(["documents-register", str(good), str(bad)]) == 1
        assert capsys.readouterr().err.splitlines() == [
            "error: Document 2 (Typo): Cannot query field 'rol' on type 'Viewer'. Fix the "
            "document and register it again."
        ]
        assert asyncio.run(rows()) == []
        assert main(["documents-register", str(good)]) == 0
        sha = hashlib.sha256(VIEWER.encode()).hexdigest()
        assert capsys.readouterr().out.splitlines()[-1] == f"sha256:{sha}  Viewer"
        assert asyncio.run(rows()) == [(sha, "Viewer", "cli")]
    finally:
        get_settings.cache_clear()
        asyncio.run(clean())
