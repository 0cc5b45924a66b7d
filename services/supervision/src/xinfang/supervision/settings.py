"""Supervision's settings, from `XINFANG_SUPERVISION_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from xinfang.common.settings import BaseServiceSettings


class SupervisionSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="XINFANG_SUPERVISION_", extra="ignore")

    service_name: str = "supervision"
    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/supervision.db"
