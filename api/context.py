"""Per-request context: the runtime, the caller, per-request DataLoaders, the request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.loaders import Loaders
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
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.runtime.session_factory)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work: one per mutation field."""
        return self.runtime.uow()

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
