"""``omnicommerce pricing-tick``: announce scheduled price and promotion starts/ends (shelf
labels). Run it every few seconds (``--every 10``) or from cron; each change fires once."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


def add_commands(sub: Any) -> None:
    tick = sub.add_parser(
        "pricing-tick",
        help="emit priceChanged events for scheduled prices/promotions that started or ended",
    )
    tick.add_argument(
        "--every", type=float, default=None, help="keep running, ticking every N seconds"
    )
    tick.set_defaults(func=cmd_pricing_tick)


def cmd_pricing_tick(args: argparse.Namespace) -> int:
    from api.cli import _migrate, _with_runtime, database
    from domain.pricing.services import announce_due
    from domain.shared.settings import get_settings

    settings = get_settings()
    with database(settings) as url:
        _migrate(url)

        async def body(runtime: Any) -> int:
            total = 0
            while True:
                events = await announce_due(runtime.uow())
                total += len(events)
                for e in events:
                    print(f"{e.kind} {e.subject}", flush=True)
                if args.every is None:
                    return total
                await asyncio.sleep(args.every)

        announced = _with_runtime(settings, url, body)
    print(f"Announced {announced} change(s).")
    return 0
