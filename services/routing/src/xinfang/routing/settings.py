"""Routing's settings, from `XINFANG_ROUTING_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from xinfang.common.settings import BaseServiceSettings


class RoutingSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="XINFANG_ROUTING_", extra="ignore")

    service_name: str = "routing"
    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/routing.db"
    webhooks_enabled: bool = True
    webhook_interval_seconds: float = 0.5
    webhook_batch: int = 50
    webhook_max_attempts: int = 8
    webhook_backoff_seconds: float = 5.0
    webhook_timeout_seconds: float = 10.0
    webhook_secret_keys: list[str] = Field(
        default_factory=list,
        description="Fernet keys sealing webhook secrets at rest, newest first; "
        "derived from jwt_secret when empty (development)",
    )
