"""Intake's settings, from `XINFANG_INTAKE_*` environment variables."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from xinfang.common.crypto import derive_key
from xinfang.common.settings import BaseServiceSettings

DEV_SECRET = "xinfang-development"


class IntakeSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="XINFANG_INTAKE_", extra="ignore")

    service_name: str = "intake"
    port: int = 8001
    database_url: str = "sqlite+aiosqlite:///var/intake.db"
    pii_keys: list[str] = Field(default_factory=lambda: [derive_key(DEV_SECRET, "pii")])
    notice_key: str = derive_key(DEV_SECRET, "notice")
    hash_key: str = derive_key(DEV_SECRET, "hash")
    max_petitioners: int = 50

    @model_validator(mode="after")
    def _refuse_development_keys(self) -> IntakeSettings:
        dev = {derive_key(DEV_SECRET, p) for p in ("pii", "notice", "hash")}
        if self.environment == "production" and dev & {
            *self.pii_keys,
            self.notice_key,
            self.hash_key,
        }:
            raise ValueError("intake: set real PII_KEYS, NOTICE_KEY and HASH_KEY in production")
        return self
