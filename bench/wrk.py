"""``wrk`` as the load generator (``--client wrk``; Debian package ``wrk``): C, one thread, far
cheaper than Python, so it leaves more CPU to the server.

Two differences from the Python client. It cannot look into bodies, so only socket errors and
status >= 400 count as errors (the harness still checks a body before and after each case).
And wrk 4 "corrects" its latency histogram for coordinated omission, adding synthetic samples
for every response slower than the mean interval: on a closed loop with a long tail its
p99 and mean come out far above what was observed (rps x mean latency exceeds the number of
connections), while its req/s agrees with the Python client's.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.http import HOST
from bench.model import CaseResult, Request

MARK = "BENCH_RESULT"


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str | bytes) -> str:
    """Decimal escapes: safe for any byte, no quoting rules to get wrong."""
    data = value.encode("latin-1") if isinstance(value, str) else value
    return '"' + "".join(f"\\{b:03d}" for b in data) + '"'


def _lua_request(request: Request) -> str:
    headers = ", ".join(
        f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items()
    )
    return (
        f"wrk.format({_lua_string(request.method)}, {_lua_string(request.path)}, "
        f"{{{headers}}}, {_lua_string(request.body)})"
    )


def script(requests: Sequence[Request]) -> str:
    if len(requests) == 1:
        # No request() function: wrk builds the request once and never calls into Lua.
        only = requests[0]
        lines = [
            f"wrk.method = {_lua_string(only.method)}",
            f"wrk.path = {_lua_string(only.path)}",
            f"wrk.body = {_lua_string(only.body)}",
        ]
        lines += [
            f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in only.headers.items()
        ]
    else:
        built = ",\n    ".join(_lua_request(r) for r in requests)
        lines = [
            "local requests, i = {}, 0",
            f"init = function(args)\n  requests = {{\n    {built}\n  }}\nend",
            "request = function()\n  i = i % #requests + 1\n  return requests[i]\nend",
        ]
    lines.append(
        "done = function(summary, latency, requests)\n"
        "  local e = summary.errors\n"
        f'  io.write(string.format("{MARK} %d %d %d %.1f %.1f %.1f %.1f\\n",\n'
        "    summary.requests, summary.duration,\n"
        "    e.connect + e.read + e.write + e.status + e.timeout,\n"
        "    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))\n"
        "end"
    )
    return "\n".join(lines) + "\n"


async def _wrk(script_path: Path, port: int, *, concurrency: int, seconds: float) -> str:
    command = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script_path),
        f"http://{HOST}:{port}/",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(seconds + 30):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.decode()[-2000:]}")
    return out.decode()


async def run(
    name: str,
    port: int,
    requests: Sequence[Request],
    *,
    concurrency: int,
    duration: float,
    warmup: float,
) -> CaseResult:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        path = Path(tmp) / "case.lua"
        path.write_text(script(requests))
        if warmup > 0:
            await _wrk(path, port, concurrency=concurrency, seconds=warmup)
        output = await _wrk(path, port, concurrency=concurrency, seconds=duration)
    line = next((ln for ln in output.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {output[-2000:]}")
    count, duration_us, errors, p50_us, p99_us, mean_us, max_us = line.split()[1:]
    return CaseResult(
        name=name,
        requests=int(count),
        errors=int(errors),
        seconds=int(duration_us) / 1e6,
        p50_ms=float(p50_us) / 1e3,
        p99_ms=float(p99_us) / 1e3,
        mean_ms=float(mean_us) / 1e3,
        max_ms=float(max_us) / 1e3,
        first_error=f"{errors} socket errors or HTTP >= 400 (wrk)" if int(errors) else None,
    )
