"""The embedded PostgreSQL: starts, is reused with its data, and stops; as root and as a user."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import asyncpg
import psutil
import pytest

from domain.shared.db import async_url
from domain.shared.embedded import EmbeddedPostgres


def dsn(url: str) -> str:
    return async_url(url).replace("postgresql+asyncpg://", "postgresql://")


async def test_start_reuse_and_stop_keep_the_data(tmp_path: Path):
    os.chmod(tmp_path, 0o755)
    first = EmbeddedPostgres(tmp_path)
    url = first.start()
    pid = first.pid
    assert pid is not None and psutil.pid_exists(pid)
    conn = await asyncpg.connect(dsn(url))
    await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
    await conn.close()
    first.stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE

    second = EmbeddedPostgres(tmp_path)
    url2 = second.start()
    try:
        assert second.pid != pid
        conn = await asyncpg.connect(dsn(url2))
        assert await conn.fetchval("SELECT n FROM kept") == 42
        await conn.close()
    finally:
        second.stop()


SCRIPT = """
import asyncio, sys
from pathlib import Path
import asyncpg
from domain.shared.embedded import EmbeddedPostgres
pg = EmbeddedPostgres(Path(sys.argv[1]))
url = pg.start()
async def main():
    conn = await asyncpg.connect(url.replace('postgresql+asyncpg://', 'postgresql://'))
    print(await conn.fetchval('select 40 + 2'))
    await conn.close()
asyncio.run(main())
pg.stop()
"""


@pytest.mark.slow
def test_a_normal_user_can_run_it_too():
    if os.geteuid() != 0:
        pytest.skip("runs as a separate user; needs root to create one")  # pragma: no cover
    user = "omnitest"
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
    home = Path(tempfile.mkdtemp(prefix="omni-user-"))
    shutil.chown(home, user=user)
    root = Path(__file__).resolve().parents[3]
    # The test interpreter may live under /root (pyenv), which other users cannot enter: run
    # the system Python of the same minor version on this environment's site-packages.
    python = (
        shutil.which(
            f"python{sys.version_info.major}.{sys.version_info.minor}",
            path="/usr/bin:/usr/local/bin",
        )
        or sys.executable
    )
    site = sysconfig.get_paths()["purelib"]
    result = subprocess.run(
        [
            shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin") or "runuser",
            "-u",
            user,
            "--",
            python,
            "-c",
            SCRIPT,
            str(home / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=home,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{root}:{site}",
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(home / "run"),
        },
    )
    shutil.rmtree(home, ignore_errors=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "42"
