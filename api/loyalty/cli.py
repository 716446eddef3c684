"""``omnicommerce loyalty-expire``: expire points past their date (run it daily, e.g. cron)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any


def add_commands(sub: Any) -> None:
    expire = sub.add_parser(
        "loyalty-expire",
        help="expire loyalty points older than the programme's expiry (FIFO); safe to rerun",
    )
    expire.add_argument(
        "--as-of",
        type=datetime.fromisoformat,
        default=None,
        help="ISO date-time to expire as of (default: now), e.g. 2026-01-01T00:00:00+03:00",
    )
    expire.set_defaults(func=cmd_loyalty_expire)


def cmd_loyalty_expire(args: argparse.Namespace) -> int:
    from api.cli import _migrate, _with_runtime, database
    from domain.shared.settings import get_settings
    from loyalty.services import expire_points

    as_of = args.as_of
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    settings = get_settings()
    with database(settings) as url:
        _migrate(url)

        async def body(runtime: Any) -> int:
            return await expire_points(runtime.uow, now=as_of)

        expired = _with_runtime(settings, url, body)
    print(f"Expired {expired} points.")
    return 0
