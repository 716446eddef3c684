"""The Python load generator, a process of its own: ``python -m bench.loadgen`` reads a job
(JSON on stdin), drives closed-loop keep-alive load on 127.0.0.1 and prints a CaseResult as
JSON. Kept apart from the harness so the measuring side is one small, busy event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import sys
from collections.abc import Coroutine
from typing import Any, TypedDict

import orjson

from bench.http import BadResponse, Connection
from bench.loop import Operation, closed_loop
from bench.model import CaseResult


class Job(TypedDict):
    name: str
    port: int
    requests: list[str]  # encoded request bytes as latin-1 text
    concurrency: int
    duration: float
    warmup: float
    max_requests: int
    sample_every: int  # parse every Nth body (and each connection's first) for "errors"


def job_for(
    name: str,
    port: int,
    requests: list[bytes],
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    max_requests: int,
    sample_every: int = 50,
) -> Job:
    return Job(
        name=name,
        port=port,
        requests=[r.decode("latin-1") for r in requests],
        concurrency=concurrency,
        duration=duration,
        warmup=warmup,
        max_requests=max_requests,
        sample_every=sample_every,
    )


def _worker(job: Job, index: int, connection: Connection, requests: list[bytes]) -> Operation:
    port = job["port"]
    sample_every = job["sample_every"]
    count = 0
    state = {"connection": connection}
    # Workers start at different points of the request list so the mix is even at once.
    order = requests[index % len(requests) :] + requests[: index % len(requests)]

    async def operation() -> None:
        nonlocal count
        conn = state["connection"]
        if conn.closed:
            conn = state["connection"] = await Connection.open(port)
        raw = order[count % len(order)]
        count += 1
        try:
            status, body = await conn.request(raw)
        except BaseException:
            conn.close()  # a late response must not be read as the next request's
            raise
        if not 200 <= status < 300:
            raise BadResponse(f"HTTP {status}: {body[:300]!r}")
        if (count - 1) % sample_every == 0 and body[:1] == b"{":
            document = orjson.loads(body)
            if document.get("errors"):
                raise BadResponse(f"errors in body: {body[:300]!r}")

    return operation


async def drive(job: Job) -> CaseResult:
    requests = [r.encode("latin-1") for r in job["requests"]]
    connections = await asyncio.gather(
        *(Connection.open(job["port"]) for _ in range(job["concurrency"]))
    )
    operations = [_worker(job, i, c, requests) for i, c in enumerate(connections)]
    gc.disable()  # a collection pause would show up as client-side latency
    try:
        return await closed_loop(
            job["name"],
            operations,
            duration=job["duration"],
            warmup=job["warmup"],
            max_requests=job["max_requests"],
        )
    finally:
        gc.enable()
        for connection in connections:
            connection.close()


def _run(coro: Coroutine[Any, Any, CaseResult]) -> CaseResult:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it on Linux/macOS
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def main() -> None:
    job: Job = json.load(sys.stdin)
    result = _run(drive(job))
    sys.stdout.write(json.dumps(dataclasses.asdict(result)) + "\n")


if __name__ == "__main__":
    main()
