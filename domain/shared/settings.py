"""Settings from the environment (pydantic-settings), one frozen object per process."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("omnicommerce", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="",
        case_sensitive=False,
        frozen=True,
        extra="ignore",
        populate_by_name=True,
    )

    # Connections. Empty means "embedded PostgreSQL" / "in-process cache and broadcast".
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "omni"
    data_dir: Path = Field(default_factory=default_data_dir, alias="OMNI_DATA_DIR")

    # Production unless told otherwise: no introspection, no GraphiQL, no suggestions.
    dev_mode: bool = Field(default=False, alias="OMNI_DEV")
    secret_key: str | None = None
    token_ttl_seconds: int = 12 * 3600
    customer_token_ttl_seconds: int = 30 * 24 * 3600

    # Abuse limits, applied before execution.
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_directives: int = 20
    max_page_size: int = 100
    max_body_bytes: int = 256 * 1024
    # Fields a document selects once every fragment spread is expanded, and fragment spreads
    # written in it: fragments spreading each other cannot blow a small document up.
    max_fields: int = 1000
    max_fragment_spreads: int = 100
    # Field pairs graphql-core's overlap check may compare: quadratic in fields repeated under
    # one response name (`{ a {...} a {...} a {...} }`), refused before validation.
    max_overlap_checks: int = 10_000
    # Most points one operation may cost (api/cost.py), refused before it runs; production
    # only (development mode does not check it); 0 turns it off. Separate from the per-client
    # budget below.
    max_query_cost: int = 10_000
    # Longest string accepted in any argument or input field (api/input_guard.py lists the
    # longer named exceptions, e.g. product descriptions).
    max_input_chars: int = 1_000
    # Cost-based rate limit per client (API key, signed-in person or address): points per
    # window; 0 turns it off. See api/ratelimit.py for the cost of an operation.
    rate_limit_points: int = 0
    rate_limit_window_seconds: int = 60
    api_key_cache_seconds: float = 30.0
    # Sign-in throttle (domain/access/throttle.py), per account identifier and per client
    # address, shared by replicas through Redis: after the free failures each further one
    # doubles the wait (1, 2, 4 ... s, at most the max delay); at the lockout count sign-in is
    # locked for the lockout seconds. 0 lockout attempts: delays only.
    sign_in_free_attempts: int = Field(default=3, ge=0)
    sign_in_lockout_attempts: int = Field(default=10, ge=0)
    sign_in_address_free_attempts: int = Field(default=20, ge=0)
    sign_in_address_lockout_attempts: int = Field(default=100, ge=0)
    sign_in_lockout_seconds: int = Field(default=15 * 60, ge=1)
    sign_in_max_delay_seconds: int = Field(default=60, ge=1)
    # Addresses of reverse proxies (comma-separated) whose X-Forwarded-For names the client;
    # empty: the connection's own address is the client's.
    trusted_proxies: str = ""
    # Wrong pickup codes a fulfillment order takes before it locks until a store manager
    # releases it (pickupCodeUnlock).
    pickup_code_max_attempts: int = Field(default=5, ge=1)

    # Trusted documents (persisted queries, api/trusted_documents.py): "off" (text only),
    # "allow" (ids or text), "anonymous-only" (callers without a token on a WEB/APP key or no key
    # must send ids; staff, POS and back office may send text), "only" (everyone sends ids).
    trusted_documents: Literal["off", "allow", "anonymous-only", "only"] = "allow"
    # Apollo automatic persisted queries: a hash sent with its text registers it. Always on in
    # development mode; in production only when this is set (otherwise register at build time).
    trusted_documents_auto_register: bool = False

    # Outbox relay.
    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 200
    outbox_retention_hours: int = 72
    idempotency_retention_hours: int = 7 * 24
    # How often each server process cleans up and runs the hold and pickup-deadline sweepers.
    housekeeping_seconds: float = 300.0

    # A till may replay a sale it declares it made offline up to this many hours after the
    # sale; older ones are refused (the cashier calls the back office).
    pos_offline_window_hours: float = Field(default=72.0, gt=0)

    db_pool_size: int = 10
    db_max_overflow: int = 20
    # Seconds a request waits for a pooled connection before it is answered UNAVAILABLE.
    db_pool_timeout: float = 30.0
    # Retry-After (seconds) on an HTTP 503 UNAVAILABLE answer (database restarting, failing
    # over, or no pooled connection in time).
    unavailable_retry_after_seconds: int = Field(default=2, ge=0)
    # `omnicommerce serve` on SIGTERM/SIGINT: seconds the requests in flight get to finish
    # before the server closes (and stops the embedded PostgreSQL).
    shutdown_grace_seconds: int = Field(default=25, ge=0)

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError(
                "SECRET_KEY must be at least 32 characters (HS256 wants 256 bits); "
                "generate one with: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'"
            )
        return value

    def resolved_secret_key(self) -> str:
        """SECRET_KEY, or one generated once and kept in the data directory (laptop mode)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
