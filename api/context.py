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
