"""Settings from the environment (pydantic-settings), one frozen object per process."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

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
    # Longest string accepted in any argument or input field (api/input_guard.py lists the
    # longer named exceptions, e.g. product descriptions).
    max_input_chars: int = 1_000
    # Cost-based rate limit per client (API key, signed-in person or address): points per
    # window; 0 turns it off. See api/ratelimit.py for the cost of an operation.
    rate_limit_points: int = 0
    rate_limit_window_seconds: int = 60
    api_key_cache_seconds: float = 30.0

    # Outbox relay.
    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 200
    outbox_retention_hours: int = 72
    idempotency_retention_hours: int = 7 * 24
    # How often each server process cleans up and runs the hold and pickup-deadline sweepers.
    housekeeping_seconds: float = 300.0

    db_pool_size: int = 10
    db_max_overflow: int = 20
    # Seconds a request waits for a pooled connection before it is answered UNAVAILABLE.
    db_pool_timeout: float = 30.0

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
