"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-only-jwt-secret-change-me-before-deploying"

REFERENCE_DIR = Path(__file__).parent / "reference" / "demo_city"


class BaseServiceSettings(BaseSettings):
    """Settings of one service process; env prefix `XINFANG_<SERVICE>_`."""

    model_config = SettingsConfigDict(extra="ignore", env_file=".env", env_file_encoding="utf-8")

    service_name: str = "xinfang"
    environment: Literal["development", "test", "production"] = "development"
    instance_id: str = Field(default="1", description="distinguishes instances of one service")
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "sqlite+aiosqlite:///var/xinfang.db"
    nats_url: str = Field(
        default="nats://127.0.0.1:4222", description="one URL, or a cluster's comma-separated"
    )
    nats_user: str | None = None
    nats_password: str | None = None
    stream_replicas: int = 1
    provision_stream: bool = Field(
        default=True,
        description="create/update the XINFANG stream at start; false where a provisioning job "
        "owns it (deploy/), so the service's NATS user needs no stream-admin rights",
    )
    jwt_secret: str = DEFAULT_JWT_SECRET
    log_level: str = "INFO"
    log_json: bool = True
    reference_dir: Path = REFERENCE_DIR
    max_body_bytes: int = Field(
        default=1_000_000, description="larger request bodies are refused with 413 (field body)"
    )
    max_form_fields: int = Field(
        default=200, ge=1, description="a form with more fields than this is refused (400)"
    )
    max_form_files: int = Field(
        default=5, ge=0, description="a multipart form with more files than this is refused (400)"
    )
    http_body_timeout_seconds: float = Field(
        default=60, gt=0, description="a request body still arriving after this is refused (408)"
    )
    http_header_timeout_seconds: float = Field(
        default=10, gt=0, description="a connection whose request headers take longer is closed"
    )
    http_keep_alive_seconds: int = Field(
        default=5, ge=1, description="an idle keep-alive connection is closed after this"
    )
    http_max_header_bytes: int = Field(
        default=16_384, ge=1024, description="request line and headers larger than this get 400"
    )
    relay_interval_seconds: float = 0.2
    relay_batch: int = 200
    consumer_batch: int = 50
    consumer_max_deliver: int = 8
    consumer_ack_wait_seconds: float = 30.0
    start_background: bool = Field(
        default=True, description="start consumers and the outbox relay in the app lifespan"
    )

    @property
    def event_source(self) -> str:
        """The CloudEvents `source` of the events this instance emits."""
        return f"/xinfang/{self.service_name}/{self.instance_id}"

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> BaseServiceSettings:
        if self.environment != "production":
            return self
        if self.jwt_secret == DEFAULT_JWT_SECRET:
            raise ValueError(
                f"{self.service_name}: set a real jwt_secret (XINFANG_..._JWT_SECRET) "
                "outside development and test"
            )
        if len(self.jwt_secret) < 32:
            raise ValueError(f"{self.service_name}: jwt_secret must be at least 32 bytes")
        return self
