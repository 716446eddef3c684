"""``omnicommerce fulfillment-sweep``: release uncollected pickups past their deadline."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


def add_commands(sub: Any) -> None:
    sweep = sub.add_parser(
        "fulfillment-sweep",
        help="release pickups not collected by their deadline (once, or every --every seconds)",
    )
    sweep.add_argument("--every", type=float, default=None)
    sweep.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from api.inventory.cli import _run
    from fulfillment.services.rerouting import sweep_pickup_deadlines

    async def body(runtime: Any) -> int:
        total = 0
        while True:
            released = await sweep_pickup_deadlines(runtime.uow)
            total += released
            if args.every is None:
                return total
            print(f"released {released} uncollected pickup(s)", flush=True)
            await asyncio.sleep(args.every)

    print(f"Released {_run(body)} uncollected pickup(s) past their deadline.")
    return 0
