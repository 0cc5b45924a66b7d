"""Routing's settings, from `XINFANG_ROUTING_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from xinfang.common.settings import BaseServiceSettings


class RoutingSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="XINFANG_ROUTING_", extra="ignore")

    service_name: str = "routing"
    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/routing.db"
