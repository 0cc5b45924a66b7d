"""Notify's settings, from `XINFANG_NOTIFY_*` environment variables."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from xinfang.common.crypto import derive_key
from xinfang.common.settings import BaseServiceSettings

DEV_SECRET = "xinfang-development"


class NotifySettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="XINFANG_NOTIFY_", extra="ignore")

    service_name: str = "notify"
    port: int = 8004
    database_url: str = "sqlite+aiosqlite:///var/notify.db"
    notice_key: str = Field(
        default=derive_key(DEV_SECRET, "notice"),
        description="opens intake's sealed contact details; must equal intake's NOTICE_KEY",
    )
    hash_key: str = Field(
        default=derive_key(DEV_SECRET, "notify-hash"),
        description="keys the recipient hashes that de-duplicate notices",
    )
    authority_name: str = "江宁市信访局"
    portal_url: str = "http://127.0.0.1:8001/"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "xinfang@jiangning.gov.example"
    smtp_timeout: float = 10
    max_attempts: int = Field(default=6, ge=1)
    retry_base_seconds: float = Field(default=1.0, gt=0, description="wait after a first failure")
    retry_max_seconds: float = Field(default=300.0, gt=0, description="longest wait between tries")
    default_channel: str = Field(
        default="email", description="a petitioner's channel when intake names no preference"
    )
    fallback_order: list[str] = Field(
        default=["sms", "email", "letter"],
        description="petitioner channels in fallback order, from the preferred one onwards",
    )
    sms_gateway_url: str = "http://127.0.0.1:8025/sms"
    sms_account: str = "xinfang-dev"
    sms_secret: str = Field(default=derive_key(DEV_SECRET, "sms"), description="signs SMS requests")
    http_timeout: float = Field(default=10, gt=0, description="SMS gateway and webhook timeout")
    letters_dir: str = Field(default="var/letters", description="where PDF letters are stored")
    recipients_file: str = Field(
        default="", description="departments' and leaders' addresses; the demo directory if empty"
    )
    quiet_start_hour: int = Field(default=22, ge=0, le=23, description="SMS quiet from (China)")
    quiet_end_hour: int = Field(default=8, ge=0, le=23, description="SMS quiet until (China)")
    quiet_audiences: list[str] = Field(
        default=["petitioner"],
        description="whose SMS waits for the morning; leaders' early warnings go at once",
    )
    breaker_threshold: int = Field(default=5, ge=1, description="failures in a row that pause")
    breaker_cooldown_seconds: float = Field(default=60.0, gt=0)
    dispatch_interval_seconds: float = 0.2
    dispatch_batch: int = Field(
        default=50,
        ge=1,
        description="notices a dispatcher round claims, sends (e-mails over one connection) and "
        "records in one transaction; each round costs a lease, a connection and two commits "
        "whatever its size, and a crash mid-round may send at most this many again",
    )
    lease_seconds: float = Field(
        default=30.0,
        description="how long a claimed notice is reserved for one instance; after a crash, "
        "how long until another instance sends it",
    )

    @model_validator(mode="after")
    def _refuse_development_keys(self) -> NotifySettings:
        dev = {derive_key(DEV_SECRET, p) for p in ("notice", "notify-hash", "sms")}
        if self.environment == "production" and dev & {
            self.notice_key,
            self.hash_key,
            self.sms_secret,
        }:
            raise ValueError("notify: set real NOTICE_KEY, HASH_KEY and SMS_SECRET in production")
        return self

    @model_validator(mode="after")
    def _refuse_leases_shorter_than_a_send(self) -> NotifySettings:
        if self.lease_seconds <= 2 * max(self.smtp_timeout, self.http_timeout):
            # A lease running out mid-send would let a second instance send the notice again.
            raise ValueError("notify: LEASE_SECONDS must exceed twice SMTP_ and HTTP_TIMEOUT")
        return self
