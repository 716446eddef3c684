"""``python -m bench <scenario> [--workers N] [--concurrency C] [--duration S] [--warmup S]
[--client auto|python|wrk] [--json]``; ``python -m bench --list``."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable

import bench.scenarios
from bench.harness import BrokenBenchmark, Options, run
from bench.model import Scenario
from bench.report import as_json, header, table


def scenario_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.scenarios.__path__))


def load(name: str) -> Scenario:
    if name not in scenario_names():
        raise SystemExit(f"unknown scenario {name!r}; there are: {', '.join(scenario_names())}")
    scenario = importlib.import_module(f"bench.scenarios.{name}").SCENARIO
    if not isinstance(scenario, Scenario):
        raise SystemExit(f"bench/scenarios/{name}.py: SCENARIO is not a bench.Scenario")
    return scenario


def positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Start the API on a fresh database, load a dataset, drive HTTP load on "
        "127.0.0.1 and print req/s and p50/p99 latency per case.",
    )
    p.add_argument("scenario", nargs="?", help="a module of bench/scenarios/")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument(
        "--workers",
        type=positive(int),
        help="uvicorn workers (2, or the scenario's own: storefront runs 1)",
    )
    p.add_argument("--concurrency", type=positive(int), default=32, help="connections (32)")
    p.add_argument(
        "--duration", type=positive(float), help="seconds per case (10, or the scenario's own)"
    )
    p.add_argument("--warmup", type=float, help="seconds before measuring (2, or the scenario's)")
    p.add_argument(
        "--max-requests",
        type=positive(int),
        default=5_000_000,
        help="stop a case's window after this many requests",
    )
    p.add_argument(
        "--client",
        choices=["auto", "python", "wrk"],
        default="python",
        help="load generator (python): the Python one measures what it sees; wrk is cheaper "
        "but corrects its latencies for coordinated omission; auto = wrk when on PATH",
    )
    p.add_argument("--json", action="store_true", help="also print the results as JSON")
    return p


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.list:
        for name in scenario_names():
            print(f"{name:<16} {load(name).description}")
        return 0
    if not args.scenario:
        parser().error("name a scenario (see --list)")
    if args.warmup is not None and args.warmup < 0:
        parser().error("--warmup must be >= 0")
    scenario = load(args.scenario)
    defaults = Options()
    options = Options(
        workers=args.workers or scenario.workers or defaults.workers,
        concurrency=args.concurrency,
        duration=args.duration or scenario.duration or defaults.duration,
        warmup=_first(args.warmup, scenario.warmup, defaults.warmup),
        max_requests=args.max_requests,
        client=args.client,
    )
    try:
        report = asyncio.run(run(scenario, options))
    except BrokenBenchmark as exc:
        print(f"\nBENCHMARK BROKEN: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped and the database dropped", file=sys.stderr)
        return 130
    print(header(report))
    print()
    print(table(report))
    if args.json:
        print(json.dumps(as_json(report)))
    failed = [r.name for r in report.results if r.errors]
    if failed:
        print(f"\nERRORS in {', '.join(failed)}: these figures measure failures", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
