"""Intake's settings, from `XINFANG_INTAKE_*` environment variables."""

from __future__ import annotations

from pathlib import Path

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
    # Attachments travel in multipart bodies; JSON bodies keep the smaller `max_json_bytes`.
    max_body_bytes: int = 12_000_000
    max_json_bytes: int = 1_000_000
    attachments_dir: Path = Path("var/intake-attachments")
    max_attachment_bytes: int = 2_000_000
    attachment_types: list[str] = Field(
        default_factory=lambda: ["application/pdf", "image/jpeg", "image/png", "text/plain"]
    )
    receiving_office: str = Field(default="C_PETITION", description="this bureau's office code")
    max_representatives: int = 5
    collective_threshold: int = 5
    repeat_window_days: int = 180
    repeat_similarity: float = Field(default=0.5, ge=0.0, le=1.0)
    lookups_per_minute: int = Field(
        default=10, description="failed query-code lookups a client IP may make a minute"
    )
    review_window_days: int = 30
    open311_api_key: str = "dev-open311-key"
    category_version: str | None = Field(
        default=None, description="version of the classification table; default: its hash"
    )

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
