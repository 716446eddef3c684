"""``omnicommerce serve`` on the embedded PostgreSQL shuts down cleanly on every signal: SIGTERM
(systemd, Docker, Kubernetes) as Ctrl-C, after a killed run too; requests in flight are
answered first; one shutdown line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from domain.shared.embedded import process_alive
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[3]
STOPPED = "Omnicommerce stopped ({}): in-flight requests answered; embedded PostgreSQL stopped."


class Serve:
    """``python -m api.cli serve`` with no DATABASE_URL: the embedded PostgreSQL in ``data``."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.log = data / f"serve-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update({"OMNI_DATA_DIR": str(data), "SECRET_KEY": "s" * 40})
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"serve did not start: {self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgdata(self) -> Path:
        return self.data / "pg"

    def postmaster(self) -> tuple[int, str]:
        """The server's pid and socket directory, from its postmaster.pid."""
        lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        return int(lines[0]), lines[4]

    def handles(self) -> list[int]:
        return list(json.loads((self.pgdata / ".handle_pids.json").read_text()))

    def wait(self) -> tuple[int, list[str]]:
        code = self.process.wait(timeout=90)
        return code, self.log.read_text().splitlines()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One data directory for the module (initdb once); a test that fails leaves no server."""
    path = tmp_path_factory.mktemp("serve")
    os.chmod(path, 0o755)
    yield path
    pid_file = path / "pg" / "postmaster.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().splitlines()[0])
        if process_alive(pid):
            psutil.Process(pid).terminate()


def shutdown_lines(lines: list[str]) -> list[str]:
    return [ln for ln in lines if ln.startswith("Omnicommerce stopped")]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_embedded_postgres_and_says_so_once(data: Path, sig: signal.Signals):
    serve = Serve(data)
    try:
        postmaster, _ = serve.postmaster()
        assert process_alive(postmaster)
        assert serve.handles() == [serve.process.pid]
        serve.process.send_signal(sig)
        code, lines = serve.wait()
    finally:
        serve.kill()
    assert code == 0, lines
    assert not process_alive(postmaster), lines
    assert shutdown_lines(lines) == [STOPPED.format(sig.name)]
    assert serve.handles() == []


@pytest.mark.slow
def test_a_killed_run_does_not_keep_the_next_one_from_stopping_it(data: Path):
    killed = Serve(data)
    postmaster, _ = killed.postmaster()
    killed.kill()  # SIGKILL: no cleanup, its pid stays in the handle list
    assert process_alive(postmaster)
    assert killed.handles() == [killed.process.pid]

    serve = Serve(data)
    try:
        assert serve.postmaster()[0] == postmaster  # attached to the orphaned server
        assert serve.handles() == [serve.process.pid]  # the dead pid was pruned
        serve.process.send_signal(signal.SIGTERM)
        code, lines = serve.wait()
    finally:
        serve.kill()
    assert code == 0, lines
    assert not process_alive(postmaster), lines
    assert shutdown_lines(lines) == [STOPPED.format("SIGTERM")]
    assert serve.handles() == []


@pytest.mark.slow
async def test_a_request_in_flight_is_answered_before_the_server_closes(data: Path):
    serve = Serve(data)
    try:
        postmaster, socket_dir = serve.postmaster()
        db = await asyncpg.connect(host=socket_dir, user="postgres", database="omnicommerce")
        try:
            # Hold the API key table: a request with a key waits on its lookup, in flight.
            tx = db.transaction()
            await tx.start()
            await db.execute("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
            async with httpx.AsyncClient(base_url=serve.url, timeout=60) as client:
                request = asyncio.create_task(
                    client.post(
                        "/graphql",
                        json={"query": "{ locations { edges { cursor } } }"},
                        headers={"x-api-key": "ock_nosuchkey.secret"},
                    )
                )
                await _until_waiting_on_a_lock(db)
                serve.process.send_signal(signal.SIGTERM)
                await _until_not_accepting(serve.port)
                assert serve.process.poll() is None  # still answering the request in flight
                await tx.rollback()
                response = await asyncio.wait_for(request, 60)
        finally:
            await db.close()
        code, lines = await asyncio.to_thread(serve.wait)
    finally:
        serve.kill()
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_API_KEY"
    assert code == 0, lines
    assert not process_alive(postmaster)
    assert shutdown_lines(lines) == [STOPPED.format("SIGTERM")]


async def _until_waiting_on_a_lock(db: asyncpg.Connection) -> None:
    for _ in range(600):
        waiting = await db.fetchval(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'api_keys'::regclass"
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the request never reached the database")


async def _until_not_accepting(port: int) -> None:
    """uvicorn closes its listening socket first when it begins a graceful shutdown."""
    for _ in range(600):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.05)
    raise AssertionError("the server kept accepting connections after SIGTERM")
