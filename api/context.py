"""Per-request context: the runtime, the caller, the request's read connection and DataLoaders,
the request id."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.loaders import Loaders, RequestReads, RequestUnitOfWork
from api.runtime import Runtime
from domain.access.model import Principal
from domain.shared.uow import UnitOfWork


@dataclass
class Context:
    runtime: Runtime
    principal: Principal
    request_id: str
    idempotency_key_header: str | None = None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init
    #: False for a websocket: it lives for hours, so it must not keep a connection between reads.
    sticky_reads: bool = True
    #: The request's reads when the middleware opened them first (to authenticate).
    shared_reads: RequestReads | None = None
    #: The registered document this request runs (api/trusted_documents.py), parsed and
    #: validated once per process; None when the request sent text.
    trusted_document: Any = None
    reads: RequestReads = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.reads = self.shared_reads or RequestReads(
            self.runtime.engine, self.runtime.session_factory, sticky=self.sticky_reads
        )
        self.loaders = Loaders(self.reads)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A short read session on the request's one connection (shared with the loaders).

        Only query calls inside: awaiting a loader here would wait for this session's turn."""
        async with self.reads.session() as session:
            yield session

    def uow(self) -> UnitOfWork:
        """A fresh unit of work: one per mutation field (the request's read connection is
        given back before it takes its own)."""
        return RequestUnitOfWork(
            self.runtime.session_factory, reads=self.reads, after_commit=self.runtime.relay.wake
        )

    @property
    def settings(self) -> Any:
        return self.runtime.settings

    @property
    def client_address(self) -> str | None:
        """The caller's IP address: the connection's, or behind a trusted reverse proxy
        (TRUSTED_PROXIES) the last X-Forwarded-For hop that is not one of our proxies."""
        request = self.request
        host = getattr(getattr(request, "client", None), "host", None)
        trusted = {p.strip() for p in self.settings.trusted_proxies.split(",") if p.strip()}
        if host is None or host not in trusted or request is None:
            return host
        hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
        for hop in reversed([h for h in hops if h]):
            if hop not in trusted:
                return hop
        return host
