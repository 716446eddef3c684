"""What a scenario declares: its dataset hook, its cases, and what a case reports.

Plain dataclasses with no server or database imports, so the load generator process (which
imports this module through ``bench``) starts light.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Data = dict[str, Any]
"""What a scenario's ``setup`` returns for its cases: ids, API keys, tokens."""

Check = Callable[[int, bytes], "str | None"]
"""Judges one response (status, body): None when it is right, else what is wrong."""


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "POST"

    def encode(self, host: str) -> bytes:
        """The exact HTTP/1.1 keep-alive bytes sent on the wire (built once per case)."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def graphql(
    query: str,
    variables: Mapping[str, Any] | None = None,
    *,
    api_key: str | None = None,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    path: str = "/graphql",
) -> Request:
    """A POST /graphql request, as a web/app/POS client sends it."""
    all_headers = {"Content-Type": "application/json"}
    if api_key:
        all_headers["X-Api-Key"] = api_key
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    document: dict[str, Any] = {"query": query}
    if variables:
        document["variables"] = dict(variables)
    return Request(path, orjson.dumps(document), all_headers)


def graphql_ok(status: int, body: bytes) -> str | None:
    """HTTP 200, a JSON object with ``data`` and no top-level ``errors``."""
    if status != 200:
        return f"HTTP {status}: {body[:500]!r}"
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return f"not JSON: {body[:500]!r}"
    if not isinstance(document, dict):
        return f"not a JSON object: {body[:500]!r}"
    if document.get("errors"):
        return f"GraphQL errors: {orjson.dumps(document['errors'])[:500].decode()}"
    if document.get("data") is None:
        return f"no data: {body[:500]!r}"
    return None


@dataclass(frozen=True)
class HttpCase:
    """Closed-loop HTTP load: ``concurrency`` keep-alive connections, each sending the case's
    request(s) back to back (a list is cycled through) for ``duration`` seconds.

    ``server`` is "api" (the app), "raw" (the plain Starlette baseline of ``raw_app``) or "sql"
    (the scenario's own ``sql_app``: hand-written SQL answering the same JSON). ``concurrency``
    overrides the run's for this case (e.g. 1 client for latency targets). ``same_as`` names
    an earlier case whose first response this one's must equal as JSON (checked once, before
    anything is measured): a baseline that answers something else measures nothing.
    ``check`` judges the first response before the load starts and one after it ends; during
    the load every non-2xx response, and every sampled JSON body with top-level ``errors``,
    counts as an error.
    """

    name: str
    requests: Callable[[Data], Request | Sequence[Request]]
    server: Literal["api", "raw", "sql"] = "api"
    check: Check = graphql_ok
    concurrency: int | None = None
    same_as: str | None = None


@dataclass(frozen=True)
class CaseContext:
    """What a custom case gets: the dataset, where things are, and the run's knobs."""

    data: Data
    database_url: str  # postgresql+asyncpg://... of the fresh benchmark database
    api_url: str  # http://127.0.0.1:<port>
    concurrency: int
    duration: float
    warmup: float
    max_requests: int
    api_pid: int | None = None  # the API server's process (group leader), for /proc CPU figures


@dataclass
class CaseResult:
    name: str
    requests: int  # completed in the measured window, errors included
    errors: int
    seconds: float  # length of the measured window
    p50_ms: float
    p99_ms: float
    mean_ms: float = 0.0  # with rps, a sanity check: rps * mean_ms / 1000 ~ concurrency
    max_ms: float = 0.0
    first_error: str | None = None
    extra: dict[str, float | int | str] = field(default_factory=dict)  # a custom case's figures
    # Every operation completed, warm-up included (what the server's CPU time was spent on).
    all_requests: int = 0
    # Server CPU (user + system, the server process and its children, from /proc) per
    # completed request over the warm-up and the window; None when not measured.
    cpu_ms: float | None = None
    concurrency: int | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class CustomCase:
    """A case that drives its own load (e.g. raw asyncpg contention) and reports a result;
    ``bench.measure`` runs the closed loop and takes the percentiles for it."""

    name: str
    run: Callable[[CaseContext], Awaitable[CaseResult]]
    api_cpu: bool = False  # it drives the API server: report the server's CPU per operation


Case = HttpCase | CustomCase


@dataclass(frozen=True)
class Scenario:
    """One ``bench/scenarios/<name>.py`` module exposes ``SCENARIO = Scenario(...)``.

    ``setup(database_url)`` loads the dataset into the fresh, migrated database (through the
    domain services, see ``bench.runtime``) once the API server is ready, and returns what
    the cases need. Cases run in order. ``baseline`` names the case the others are compared
    with (req/s and latency ratios). ``raw_mirror`` names an "api" case whose first response
    body the raw Starlette server returns, so the raw baseline answers the identical JSON.
    """

    name: str
    description: str
    setup: Callable[[str], Awaitable[Data]]
    cases: Sequence[Case]
    baseline: str | None = None
    raw_mirror: str | tuple[str, ...] | None = None  # a tuple: each also at POST /raw/<name>
    sql_app: str | None = None  # "module:factory" of the "sql" server (DATABASE_URL in its env)
    workers: int | None = None  # the worker count this scenario is defined with (CLI overrides)
    duration: float | None = None  # its default seconds per case (CLI overrides)
    warmup: float | None = None
    compare: Mapping[str, Sequence[str]] = field(default_factory=dict)  # case -> its baselines

    def __post_init__(self) -> None:
        names = [case.name for case in self.cases]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: case names repeat: {names}")
        http = {c.name: c for c in self.cases if isinstance(c, HttpCase)}
        if self.baseline is not None and self.baseline not in names:
            raise ValueError(f"{self.name}: baseline {self.baseline!r} is not a case")
        uses_raw = any(c.server == "raw" for c in http.values())
        if uses_raw != (self.raw_mirror is not None):
            raise ValueError(f"{self.name}: a 'raw' case and raw_mirror go together")
        uses_sql = any(c.server == "sql" for c in http.values())
        if uses_sql != (self.sql_app is not None):
            raise ValueError(f"{self.name}: a 'sql' case and sql_app go together")
        for case, bases in self.compare.items():
            for name in [case, *bases]:
                if name not in names:
                    raise ValueError(f"{self.name}: compare names {name!r}, not a case")
        for mirror in self.mirrors:
            if getattr(http.get(mirror), "server", "") != "api":
                raise ValueError(f"{self.name}: raw_mirror {mirror!r} is not an api case")

    @property
    def mirrors(self) -> tuple[str, ...]:
        if self.raw_mirror is None:
            return ()
        return (self.raw_mirror,) if isinstance(self.raw_mirror, str) else self.raw_mirror
