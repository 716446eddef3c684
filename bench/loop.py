"""The closed loop: N workers repeat an operation; latencies inside the measured window count.

Used by the load generator process (one worker per HTTP connection) and by custom cases
(``bench.measure``), so every figure is taken the same way.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence

from bench.model import CaseContext, CaseResult

Operation = Callable[[], Awaitable[object]]
"""One request/transaction; raising means it failed (counted, and the worker carries on)."""

GRACE_SECONDS = 5.0  # how long a worker may overrun the window before it counts as stalled


async def closed_loop(
    name: str,
    operations: Sequence[Operation],
    *,
    duration: float,
    warmup: float,
    max_requests: int,
) -> CaseResult:
    """Run one worker per operation for ``warmup + duration`` seconds (or until
    ``max_requests`` complete in the window); report the window only."""
    start = time.perf_counter_ns() + int(warmup * 1e9)
    stop = start + int(duration * 1e9)
    latencies: list[int] = []
    completed = 0
    errors = 0
    first_error: str | None = None

    async def worker(operation: Operation) -> None:
        nonlocal errors, first_error, completed
        while len(latencies) < max_requests:
            began = time.perf_counter_ns()
            if began >= stop:
                return
            failure: str | None = None
            try:
                await operation()
            except Exception as exc:  # a failed request is a figure, not a crash
                failure = f"{type(exc).__name__}: {exc}"
            ended = time.perf_counter_ns()
            completed += 1
            if began >= start and ended <= stop:
                latencies.append(ended - began)
                if failure is not None:
                    errors += 1
                    first_error = first_error or failure
            elif failure is not None and began < start:
                await asyncio.sleep(0.01)  # warm-up: don't spin on a server still starting

    tasks = [asyncio.create_task(worker(op)) for op in operations]
    _, pending = await asyncio.wait(tasks, timeout=warmup + duration + GRACE_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if pending and first_error is None:
        first_error = f"{len(pending)} worker(s) stalled past the window"
    seconds = (min(time.perf_counter_ns(), stop) - start) / 1e9
    result = result_from(
        name,
        latencies,
        errors=errors,
        seconds=seconds,
        first_error=first_error,
        unfinished=len(pending),
    )
    result.all_requests = completed
    return result


def result_from(
    name: str,
    latencies_ns: list[int],
    *,
    errors: int,
    seconds: float,
    first_error: str | None = None,
    unfinished: int = 0,
) -> CaseResult:
    """``unfinished`` requests (stalled workers) count as requests and errors."""
    ordered = sorted(latencies_ns)
    return CaseResult(
        name=name,
        requests=len(ordered) + unfinished,
        errors=errors + unfinished,
        seconds=max(seconds, 0.0),
        p50_ms=percentile(ordered, 50) / 1e6,
        p99_ms=percentile(ordered, 99) / 1e6,
        mean_ms=(sum(ordered) / len(ordered) / 1e6) if ordered else 0.0,
        max_ms=(ordered[-1] / 1e6) if ordered else 0.0,
        first_error=first_error,
    )


def percentile(ordered: Sequence[int], pct: float) -> float:
    """Nearest rank on sorted values (0 when there are none)."""
    if not ordered:
        return 0.0
    rank = min(len(ordered), max(1, math.ceil(len(ordered) * pct / 100)))
    return float(ordered[rank - 1])


async def measure(
    name: str,
    operation: Operation | Sequence[Operation],
    ctx: CaseContext,
    *,
    concurrency: int | None = None,
) -> CaseResult:
    """For custom cases: run ``operation`` in a closed loop with the run's duration, warmup
    and request cap.

    One coroutine function is shared by ``concurrency`` workers (default: the run's); a
    sequence gives one operation per worker (per-worker connections or data).
    """
    if callable(operation):
        operations: Sequence[Operation] = [operation] * (concurrency or ctx.concurrency)
    else:
        operations = operation
    return await closed_loop(
        name,
        operations,
        duration=ctx.duration,
        warmup=ctx.warmup,
        max_requests=ctx.max_requests,
    )
