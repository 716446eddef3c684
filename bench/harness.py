"""One run of a scenario: fresh database -> API server -> dataset -> probe every case ->
(raw baseline server) -> each case under load -> results. Everything is torn down on exit."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from bench import cpu, wrk
from bench.http import HOST, fetch
from bench.loadgen import job_for
from bench.model import CaseContext, CaseResult, CustomCase, Data, HttpCase, Request, Scenario
from bench.raw_app import BODIES_ENV, BODY_ENV
from bench.servers import Server, describe, fresh_database, redis_url, server_env, uvicorn

Client = Literal["auto", "python", "wrk"]
API_APP = "api.app:create_app"
RAW_APP = "bench.raw_app:create_app"
SETUP_SECONDS = 900.0
CUSTOM_GRACE_SECONDS = 300.0


class BrokenBenchmark(Exception):
    """A case's probe response is wrong: measuring it would measure an error path."""


@dataclass(frozen=True)
class Options:
    workers: int = 2
    concurrency: int = 32
    duration: float = 10.0
    warmup: float = 2.0
    max_requests: int = 5_000_000
    client: Client = "python"


@dataclass
class Report:
    scenario: Scenario
    options: Options
    client: str
    database: str
    redis: str | None
    results: list[CaseResult] = field(default_factory=list)


def resolve_client(choice: Client) -> Literal["python", "wrk"]:
    if choice == "wrk" and not wrk.available():
        raise SystemExit("--client wrk: no wrk on PATH (apt-get install wrk)")
    if choice == "auto":
        return "wrk" if wrk.available() else "python"
    return choice


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


async def run(
    scenario: Scenario, options: Options, *, log: Callable[[str], None] = _progress
) -> Report:
    client = resolve_client(options.client)
    workers = options.workers
    redis = await asyncio.to_thread(redis_url)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        async with AsyncExitStack() as stack:
            log("creating and migrating a fresh database")
            database_url = await stack.enter_async_context(fresh_database(workdir))
            env = server_env(database_url, redis, workdir)
            log(f"starting the API ({workers} worker(s))")
            api = await stack.enter_async_context(
                uvicorn("api", API_APP, workers=workers, env=env, workdir=workdir)
            )
            log(f"loading the {scenario.name} dataset")
            async with asyncio.timeout(SETUP_SECONDS):
                data = await scenario.setup(database_url)
            requests = _requests(scenario, data)
            servers = {"api": api}
            bodies = {
                c.name: await _probe(c, api, requests[c.name]) for c in _http(scenario, "api")
            }
            if scenario.raw_mirror is not None:
                log("starting the raw Starlette baseline")
                mirrors = scenario.mirrors
                raw_env = {
                    **env,
                    BODY_ENV: bodies[mirrors[0]].decode(),
                    BODIES_ENV: json.dumps({m: bodies[m].decode() for m in mirrors}),
                }
                servers["raw"] = await stack.enter_async_context(
                    uvicorn("raw", RAW_APP, workers=workers, env=raw_env, workdir=workdir)
                )
                for c in _http(scenario, "raw"):
                    await _probe(c, servers["raw"], requests[c.name])
            if scenario.sql_app is not None:
                log("starting the raw SQL baseline")
                servers["sql"] = await stack.enter_async_context(
                    uvicorn("sql", scenario.sql_app, workers=workers, env=env, workdir=workdir)
                )
                for c in _http(scenario, "sql"):
                    bodies[c.name] = await _probe(c, servers["sql"], requests[c.name])
            context = CaseContext(
                data=data,
                database_url=database_url,
                api_url=api.url,
                concurrency=options.concurrency,
                duration=options.duration,
                warmup=options.warmup,
                max_requests=options.max_requests,
                api_pid=api.process.pid,
            )
            report = Report(scenario, options, client, describe(database_url), redis)
            for case in scenario.cases:
                log(
                    f"case {case.name}: {options.warmup:g}s warm-up, {options.duration:g}s measured"
                )
                if isinstance(case, CustomCase):
                    before = cpu.tree_seconds(api.process.pid) if case.api_cpu else None
                    result = await _custom(case, context)
                    _cpu(result, before, api)
                else:
                    server = servers[case.server]
                    # built and checked again: a custom case before it may have changed the data
                    requests[case.name] = _built(case, data)
                    bodies[case.name] = await _probe(case, server, requests[case.name])
                    _same(case, bodies)
                    case_options = options
                    if case.concurrency:
                        case_options = replace(options, concurrency=case.concurrency)
                    before = cpu.tree_seconds(server.process.pid)
                    result = await _load(
                        case.name, server, requests[case.name], case_options, client
                    )
                    _cpu(result, before, server)
                    result.concurrency = case_options.concurrency
                    await _after(case, server, requests[case.name], result)
                report.results.append(result)
            return report


def _cpu(result: CaseResult, before: float | None, server: Server) -> None:
    """CPU ms per request of ``server`` over the case (warm-up included, so divided by every
    request completed, warm-up included)."""
    after = cpu.tree_seconds(server.process.pid)
    if before is not None and after is not None and result.all_requests:
        result.cpu_ms = (after - before) * 1000 / result.all_requests


def _same(case: HttpCase, bodies: dict[str, bytes]) -> None:
    """A baseline that answers different JSON than the case it stands beside measures nothing."""
    if case.same_as is not None:
        mine, theirs = json.loads(bodies[case.name]), json.loads(bodies[case.same_as])
        if mine != theirs:
            raise BrokenBenchmark(
                f"case {case.name}: its answer is not the JSON of {case.same_as}, nothing "
                f"measured.\n  {case.name}: {bodies[case.name][:600]!r}\n"
                f"  {case.same_as}: {bodies[case.same_as][:600]!r}"
            )


async def _custom(case: CustomCase, context: CaseContext) -> CaseResult:
    async with asyncio.timeout(context.warmup + context.duration + CUSTOM_GRACE_SECONDS):
        return await case.run(context)


def _http(scenario: Scenario, server: str) -> list[HttpCase]:
    return [c for c in scenario.cases if isinstance(c, HttpCase) and c.server == server]


def _requests(scenario: Scenario, data: Data) -> dict[str, list[Request]]:
    out: dict[str, list[Request]] = {}
    for case in scenario.cases:
        if isinstance(case, HttpCase):
            out[case.name] = _built(case, data)
    return out


def _built(case: HttpCase, data: Data) -> list[Request]:
    built = case.requests(data)
    out = [built] if isinstance(built, Request) else list(built)
    if not out:
        raise BrokenBenchmark(f"case {case.name}: no requests to send")
    return out


async def _probe(case: HttpCase, server: Server, requests: Sequence[Request]) -> bytes:
    """The first request's response, judged by the case; a wrong one stops the run."""
    request = requests[0]
    status, body = await fetch(server.port, request.encode(f"{HOST}:{server.port}"))
    problem = case.check(status, body)
    if problem:
        raise BrokenBenchmark(
            f"case {case.name}: the first response is wrong, nothing measured.\n"
            f"  request: {request.method} {request.path} {request.body[:300]!r}\n"
            f"  problem: {problem}"
            + (f"\n  server log:\n{server.log_tail(2000)}" if status >= 500 else "")
        )
    return body


async def _after(
    case: HttpCase, server: Server, requests: Sequence[Request], result: CaseResult
) -> None:
    """The server survived and still answers right (e.g. no rate limit kicked in)."""
    if server.process.returncode is not None:
        raise RuntimeError(f"{server.name} server died during {case.name}:\n{server.log_tail()}")
    status, body = await fetch(server.port, requests[0].encode(f"{HOST}:{server.port}"))
    problem = case.check(status, body)
    if problem:
        result.errors += 1
        result.first_error = result.first_error or f"after the load: {problem}"


async def _load(
    name: str,
    server: Server,
    requests: Sequence[Request],
    options: Options,
    client: Literal["python", "wrk"],
) -> CaseResult:
    if client == "wrk":
        return await wrk.run(
            name,
            server.port,
            requests,
            concurrency=options.concurrency,
            duration=options.duration,
            warmup=options.warmup,
        )
    job = job_for(
        name,
        server.port,
        [r.encode(f"{HOST}:{server.port}") for r in requests],
        concurrency=options.concurrency,
        duration=options.duration,
        warmup=options.warmup,
        max_requests=options.max_requests,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.loadgen",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(options.warmup + options.duration + 60):
            out, err = await process.communicate(json.dumps(job).encode())
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({process.returncode}):\n{err.decode()[-3000:]}")
    return CaseResult(**json.loads(out))
