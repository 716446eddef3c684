"""What a run stands on: a fresh migrated database, Redis if there is one, and uvicorn
server processes on 127.0.0.1 that are always stopped (process group) at the end."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from bench.http import HOST, fetch
from bench.model import Request

if TYPE_CHECKING:
    from api.runtime import Runtime

SECRET_KEY = "bench-secret-key-for-loopback-benchmarks-only-0001"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
READY_SECONDS = 60.0
STOP_SECONDS = 15.0


def redis_url() -> str | None:
    """REDIS_URL, else a local Redis if one answers, else none (in-process broadcast)."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return DEFAULT_REDIS
    except OSError:
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def describe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return unquote(make_url(url).render_as_string(hide_password=True))


@asynccontextmanager
async def fresh_database(workdir: Path) -> AsyncIterator[str]:
    """A new migrated database; yields its postgresql+asyncpg URL and drops it afterwards.

    With DATABASE_URL: ``bench_<random>`` on that server. Without: an embedded PostgreSQL
    cluster in ``workdir``.
    """
    from sqlalchemy.engine import make_url

    from domain.shared import migrate

    server = os.environ.get("DATABASE_URL")
    if server:
        import asyncpg  # type: ignore[import-untyped]

        name = f"bench_{secrets.token_hex(6)}"
        admin = make_url(server).set(drivername="postgresql")
        dsn = admin.render_as_string(hide_password=False)
        url = admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        try:
            await asyncio.to_thread(migrate.upgrade, url)
            yield url
        finally:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
        return

    from domain.shared.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(workdir)
    embedded_url = await asyncio.to_thread(embedded.start)
    try:
        await asyncio.to_thread(migrate.upgrade, embedded_url)
        yield embedded_url
    finally:
        await asyncio.to_thread(embedded.stop)


def server_env(database_url: str, redis: str | None, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        OMNI_DEV="0",
        SECRET_KEY=SECRET_KEY,
        OMNI_DATA_DIR=str(workdir / "data"),
        REDIS_PREFIX=f"bench{secrets.token_hex(4)}",  # never meets a dev server's channels
    )
    if redis:
        env["REDIS_URL"] = redis
    else:
        env.pop("REDIS_URL", None)
    return env


@dataclass
class Server:
    """A uvicorn process group on 127.0.0.1:port."""

    name: str
    port: int
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    async def wait_ready(self) -> None:
        probe = Request("/readyz", method="GET").encode(f"{HOST}:{self.port}")
        deadline = asyncio.get_running_loop().time() + READY_SECONDS
        while True:
            if self.process.returncode is not None:
                raise RuntimeError(
                    f"{self.name} server exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            try:
                async with asyncio.timeout(5):
                    status, _ = await fetch(self.port, probe)
                if status == 200:
                    return
            except (OSError, TimeoutError):
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"{self.name} server not ready in {READY_SECONDS:.0f}s")
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self.process.returncode is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await self.process.wait()
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()


@asynccontextmanager
async def uvicorn(
    name: str,
    app: str,
    *,
    workers: int,
    env: Mapping[str, str],
    workdir: Path,
) -> AsyncIterator[Server]:
    """``app`` is an ASGI factory ("module:function"); started, awaited ready, stopped."""
    port = free_port()
    log_path = workdir / f"{name}-server.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: workers stop with it
        )
    server = Server(name, port, process, log_path)
    try:
        await server.wait_ready()
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    """The app's Runtime on the benchmark database, for a scenario's ``setup`` to call the
    domain services with (``runtime.uow()``). No relay: the API server's relay publishes."""
    from api.runtime import Runtime
    from domain.shared.logging import configure_logging
    from domain.shared.settings import Settings

    configure_logging(json=False, level=logging.WARNING)  # the servers' logs are the ones to read
    # A dict because dev_mode is declared under its env alias (OMNI_DEV); values given here
    # win over whatever the caller's shell exports.
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "redis_url": None,
            "secret_key": SECRET_KEY,
            "dev_mode": False,
        }
    )
    rt = await Runtime.start(settings, run_relay=False)
    try:
        yield rt
    finally:
        await rt.stop()
