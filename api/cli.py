"""``omnicommerce``: serve, migrate, create-admin, create-api-key, demo-data, import-catalog."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from domain.access.model import Channel, Role
from domain.shared.embedded import EmbeddedPostgres
from domain.shared.settings import Settings, get_settings


@contextmanager
def database(settings: Settings, outcome: dict[str, str] | None = None) -> Iterator[str]:
    """DATABASE_URL, or the embedded PostgreSQL (started here, stopped on exit). ``outcome``
    gets "database" = what became of the embedded server, for the shutdown line."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    print(
        f"DATABASE_URL is not set: using the embedded PostgreSQL in {embedded.pgdata}",
        file=sys.stderr,
    )
    url = embedded.start()
    try:
        yield url
    finally:
        stopped = embedded.stop()
        if outcome is not None:
            outcome["database"] = (
                "embedded PostgreSQL stopped"
                if stopped
                else "embedded PostgreSQL left running for the other processes using it"
            )


class _Stopped(BaseException):
    """SIGTERM or SIGINT: unwind (closing the embedded PostgreSQL) like Ctrl-C does.

    A BaseException, like KeyboardInterrupt, so no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signal_name = signal.Signals(signum).name


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """uvicorn answers in-flight requests on SIGTERM/SIGINT, then re-raises the signal to the
    previous handler. Python's default for SIGTERM kills the process on the spot, skipping
    every ``finally`` (the embedded server was left running); this handler unwinds instead.
    Further signals while unwinding are ignored, so a second Ctrl-C cannot cut the cleanup."""
    handled = (signal.SIGTERM, signal.SIGINT)

    def on_signal(signum: int, frame: Any) -> None:
        for sig in handled:
            signal.signal(sig, signal.SIG_IGN)
        raise _Stopped(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _migrate(url: str) -> None:
    from domain.shared import migrate

    migrate.upgrade(url)


def _with_runtime(settings: Settings, url: str, body: Callable[[Any], Awaitable[Any]]) -> Any:
    from api.runtime import Runtime

    async def main() -> Any:
        runtime = await Runtime.start(
            settings.model_copy(update={"database_url": url}), run_relay=False
        )
        try:
            return await body(runtime)
        finally:
            await runtime.stop()

    return asyncio.run(main())


def cmd_serve(args: argparse.Namespace) -> int:
    if args.dev or args.demo:
        os.environ["OMNI_DEV"] = "1"
    get_settings.cache_clear()
    settings = get_settings()
    outcome: dict[str, str] = {}
    reason = "exit"
    try:
        with _stop_on_signals(), database(settings, outcome) as url:
            _serve(args, settings, url)
    except _Stopped as stop:
        reason = stop.signal_name
    finally:
        # The one shutdown line: why, and what became of the embedded server.
        done = "; ".join(["in-flight requests answered", *outcome.values()])
        print(f"Omnicommerce stopped ({reason}): {done}.", file=sys.stderr, flush=True)
    return 0


def _serve(args: argparse.Namespace, settings: Settings, url: str) -> None:
    import uvicorn

    os.environ["DATABASE_URL"] = url  # worker processes inherit it
    get_settings.cache_clear()
    _migrate(url)
    if args.demo:
        from api.demo import credentials_text, load_demo

        _with_runtime(settings, url, load_demo)
        print(credentials_text(), file=sys.stderr)
    mode = "development" if settings.dev_mode else "production"
    print(f"Omnicommerce ({mode}) on http://{args.host}:{args.port}/graphql", file=sys.stderr)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws="websockets-sansio",
        # On SIGTERM/SIGINT: stop accepting, answer the requests in flight (at most this
        # long), then close. Kubernetes waits 30 s by default before it kills.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        # Frames past this are dropped by uvicorn; up to it the app closes larger ones
        # with a reason (api.app: websocket messages are capped like HTTP bodies).
        ws_max_size=2 * settings.max_body_bytes,
    )


def cmd_migrate(args: argparse.Namespace) -> int:
    with database(get_settings()) as url:
        _migrate(url)
    print("Database is at the latest migration.")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from api.demo import credentials_text, load_demo

    settings = get_settings()
    with database(settings) as url:
        _migrate(url)
        _with_runtime(settings, url, load_demo)
    print(credentials_text())
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from domain.access import services as access

    password = os.environ.get("OMNI_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    settings = get_settings()
    with database(settings) as url:
        _migrate(url)

        async def body(runtime: Any) -> int:
            return await access.create_staff_user(
                runtime.uow(),
                actor=None,
                email=args.email,
                name=args.name,
                password=password,
                role=Role.ADMIN,
                location_ids=[],
            )

        staff_id = _run_domain(lambda: _with_runtime(settings, url, body))
    if staff_id is None:
        return 1
    print(f"Admin {args.email} created (id {staff_id}). Sign in with the staffSignIn mutation.")
    return 0


def cmd_create_api_key(args: argparse.Namespace) -> int:
    from domain.access import services as access
    from inventory.queries import location_by_code

    settings = get_settings()
    with database(settings) as url:
        _migrate(url)

        async def body(runtime: Any) -> Any:
            location_id = None
            if args.location:
                async with runtime.session_factory() as session:
                    row = await location_by_code(session, args.location.upper())
                if row is None:
                    raise access.NotFound(
                        f"No location with code {args.location}.", field="location"
                    )
                location_id = row.id
            return await access.create_api_key(
                runtime.uow(),
                actor="cli",
                name=args.name,
                channel=Channel(args.channel),
                location_id=location_id,
            )

        issued = _run_domain(lambda: _with_runtime(settings, url, body))
    if issued is None:
        return 1
    print(f"API key {issued.id} for {args.channel}: {issued.key}")
    print("Store it now: only its hash is kept. Send it as the X-Api-Key header.")
    return 0


def cmd_import_catalog(args: argparse.Namespace) -> int:
    """Upsert products and variants by SKU from JSON Lines or CSV, with a progress bar."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from domain.catalog.importer import import_rows, parse_file

    try:
        total, rows = parse_file(args.file)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    console = Console(stderr=True)
    settings = get_settings()
    with database(settings) as url:
        _migrate(url)

        async def body(runtime: Any) -> Any:
            with Progress(
                TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=console
            ) as progress:
                task = progress.add_task("rows", total=total)
                return await import_rows(
                    runtime.uow,
                    rows,
                    actor="cli:import-catalog",
                    on_progress=lambda n: progress.advance(task, n),
                )

        report = _with_runtime(settings, url, body)
    print(
        f"products: {report.products_created} created, {report.products_updated} updated; "
        f"variants: {report.variants_created} created, {report.variants_updated} updated; "
        f"{report.unchanged} unchanged; {len(report.rejected)} rejected"
    )
    for rejected in report.rejected:
        print(f"line {rejected.line}: {rejected.reason}", file=sys.stderr)
    return 1 if report.rejected else 0


def _run_domain(fn: Callable[[], Any]) -> Any:
    from domain.shared.errors import DomainError, MultipleErrors

    try:
        return fn()
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, MultipleErrors) else [exc]
        for e in errors:
            print(f"error: {e.message}", file=sys.stderr)
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omnicommerce", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API (production mode unless --dev/--demo)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--dev", action="store_true", help="GraphiQL, introspection, suggestions")
    serve.add_argument("--demo", action="store_true", help="--dev plus the demo store and logins")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("demo-data", help="load the demo store").set_defaults(func=cmd_demo_data)

    catalog = sub.add_parser(
        "import-catalog", help="upsert products and variants by SKU from .jsonl or .csv"
    )
    catalog.add_argument("file", help="JSON Lines (.jsonl) or CSV (.csv); see docs/catalog.md")
    catalog.set_defaults(func=cmd_import_catalog)

    admin = sub.add_parser(
        "create-admin", help="create an admin login (password from OMNI_ADMIN_PASSWORD or a prompt)"
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.set_defaults(func=cmd_create_admin)

    key = sub.add_parser("create-api-key", help="issue a key for a client application")
    key.add_argument("--name", required=True)
    key.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    key.add_argument("--location", help="store code, required for POS and STAFF keys")
    key.set_defaults(func=cmd_create_api_key)
    from api.loyalty.cli import add_commands as add_loyalty_commands

    add_loyalty_commands(sub)
    from api.inventory.cli import add_commands as add_inventory_commands

    add_inventory_commands(sub)
    from api.pricing.cli import add_commands as add_pricing_commands

    add_pricing_commands(sub)
    from api.fulfillment.cli import add_commands as add_fulfillment_commands

    add_fulfillment_commands(sub)
    from api.documents_cli import add_commands as add_document_commands

    add_document_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
