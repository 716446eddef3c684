"""The table people read and the JSON machines read; ratios are against the scenario's
baseline case (req/s: case / baseline, so 0.25 = a quarter of the throughput; latency:
case / baseline, so 4.0 = four times slower)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench.harness import Report
from bench.model import CaseResult


def ratios(result: CaseResult, base: CaseResult | None) -> dict[str, float] | None:
    if base is None or base is result or not base.rps or not base.p50_ms or not base.p99_ms:
        return None
    return {
        "rps": result.rps / base.rps,
        "p50": result.p50_ms / base.p50_ms,
        "p99": result.p99_ms / base.p99_ms,
    }


def compared(report: Report, result: CaseResult) -> dict[str, dict[str, float]]:
    """The case against each of its own baselines (``Scenario.compare``): req/s, latency and
    CPU per request as multiples of the baseline's."""
    by_name = {r.name: r for r in report.results}
    out = {}
    for name in report.scenario.compare.get(result.name, ()):
        base = by_name.get(name)
        figures = ratios(result, base) or {}
        if base is not None and result.cpu_ms is not None and base.cpu_ms:
            figures["cpu"] = result.cpu_ms / base.cpu_ms
        if figures:
            out[name] = figures
    return out


def _baseline(report: Report) -> CaseResult | None:
    name = report.scenario.baseline
    return next((r for r in report.results if r.name == name), None)


def header(report: Report) -> str:
    o = report.options
    return (
        f"scenario {report.scenario.name}: {report.scenario.description}\n"
        f"workers={o.workers} concurrency={o.concurrency} duration={o.duration:g}s "
        f"warmup={o.warmup:g}s client={report.client}\n"
        f"database={report.database} redis={report.redis or 'none (in-process)'}"
    )


def table(report: Report) -> str:
    base = _baseline(report)
    width = max([len("case"), *(len(r.name) for r in report.results)])
    ratio_width = len(base.name) + 5 if base else 0
    head = (
        f"{'case':<{width}}  {'clients':>7}  {'requests':>9}  {'errors':>6}  {'req/s':>9}  "
        f"{'p50 ms':>8}  {'p99 ms':>8}  {'cpu ms':>7}"
    )
    if base:
        head += "".join(f"  {f'{k}/{base.name}':>{ratio_width}}" for k in ("rps", "p50", "p99"))
    lines = [head]
    for r in report.results:
        clients = "" if r.concurrency is None else str(r.concurrency)
        cpu = "" if r.cpu_ms is None else f"{r.cpu_ms:.2f}"
        line = (
            f"{r.name:<{width}}  {clients:>7}  {r.requests:>9}  {r.errors:>6}  {r.rps:>9.1f}  "
            f"{r.p50_ms:>8.2f}  {r.p99_ms:>8.2f}  {cpu:>7}"
        )
        ratio = ratios(r, base)
        if ratio:
            line += "".join(f"  {ratio[k]:>{ratio_width}.3f}" for k in ("rps", "p50", "p99"))
        lines.append(line)
        indent = " " * (width + 2)
        if r.extra:
            lines.append(indent + "  ".join(f"{k}={v}" for k, v in r.extra.items()))
        for name, figures in compared(report, r).items():
            lines.append(
                indent + f"vs {name}: " + "  ".join(f"{k} {v:.3g}x" for k, v in figures.items())
            )
        if r.errors:
            lines.append(indent + f"ERRORS, first: {r.first_error}")
    return "\n".join(lines)


def as_json(report: Report) -> dict[str, Any]:
    base = _baseline(report)
    return {
        "scenario": report.scenario.name,
        "options": asdict(report.options),
        "client": report.client,
        "database": report.database,
        "redis": report.redis,
        "baseline": report.scenario.baseline,
        "cases": [
            {
                **asdict(r),
                "rps": r.rps,
                "vs_baseline": ratios(r, base),
                "vs": compared(report, r),
            }
            for r in report.results
        ],
    }
