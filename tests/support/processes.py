"""Private servers for fault tests: never touch the machine's shared PostgreSQL or Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class PrivateRedis:
    """A redis-server on its own port that a test may stop and start again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="omni-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ApiServer:
    """``uvicorn api.app:create_app`` in its own process (a second API replica)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=self.env,
            cwd=Path(__file__).resolve().parents[2],
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"API server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("API server did not start in 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None


@contextlib.asynccontextmanager
async def api_servers(env: dict[str, str], count: int = 2) -> AsyncIterator[list[ApiServer]]:
    """``count`` API server processes with ``env``, started together and always stopped."""
    servers = [ApiServer(env) for _ in range(count)]
    try:
        await asyncio.gather(*(asyncio.to_thread(s.start) for s in servers))
        yield servers
    finally:
        await asyncio.gather(*(asyncio.to_thread(s.stop) for s in servers))


class PrivatePostgres:
    """An embedded PostgreSQL (the wheel the app uses) in its own directory, that a test may
    stop and start again to play a database restart. Never the machine's shared server."""

    def __init__(self) -> None:
        from domain.shared.embedded import EmbeddedPostgres

        # Short path: the Unix socket lives in the data directory (108-byte limit).
        self.dir = tempfile.mkdtemp(prefix="omni-pg-")
        os.chmod(self.dir, 0o755)  # the server runs as its own user when we are root
        self.embedded = EmbeddedPostgres(Path(self.dir))
        self.url = ""

    def start(self) -> str:
        """Start (again); the URL stays the same, so a running app's pool reconnects."""
        url = self.embedded.start()
        assert self.url in ("", url), (self.url, url)
        self.url = url
        return url

    def stop(self) -> None:
        """``pg_ctl stop`` (fast mode): open sessions are cut, as in a restart or failover."""
        self.embedded.stop()

    def close(self) -> None:
        self.embedded.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
