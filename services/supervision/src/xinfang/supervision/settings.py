"""Supervision's settings, from `XINFANG_SUPERVISION_*` environment variables."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import SettingsConfigDict

from xinfang.common.settings import BaseServiceSettings

LADDER_STEPS = ("department_head", "responsible_leader", "public_notice")


class SensitivePeriod(BaseModel):
    """A window (e.g. a major meeting) when early warnings fire on smaller numbers."""

    name: str
    starts_on: date
    ends_on: date
    collective_threshold: int = Field(default=3, ge=2)
    cluster_threshold: int = Field(default=3, ge=2)


class SupervisionSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="XINFANG_SUPERVISION_", extra="ignore")

    service_name: str = "supervision"
    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/supervision.db"
    calendar_dir: Path | None = Field(
        default=None, description="one `<year>.json` per year the calendar package does not know"
    )
    jurisdiction_prefixes: dict[str, str] = Field(
        default_factory=lambda: {"33": "zhejiang", "41": "henan"},
        description="locality code prefix → profile (national, zhejiang, henan)",
    )
    warning_levels: dict[str, str] = Field(
        default_factory=lambda: {"half": "50%", "eighty": "80%", "day_before": "1d"}
    )
    order_feedback_days: int = Field(default=15, ge=1, description="督办单 feedback period")
    escalation_ladder: list[str] = Field(
        default_factory=lambda: ["department_head", "responsible_leader", "public_notice"]
    )
    escalation_step_days: int = Field(default=5, ge=1, description="days between ladder steps")
    scheduler_interval_seconds: float = 30.0
    scheduler_batch: int = Field(default=1000, ge=1)
    collective_threshold: int = Field(default=5, ge=2, description="people making a 集体访")
    cluster_threshold: int = Field(
        default=5, ge=2, description="similar petitions making a cluster"
    )
    cluster_window_days: int = Field(default=7, ge=1)
    sensitive_periods: list[SensitivePeriod] = Field(
        default_factory=list, description="date windows with tighter thresholds"
    )
    zero_report_units: list[str] | None = Field(
        default=None, description="units that file 零报告 daily; default: the petition bureaus"
    )
    zero_report_hour: int = Field(default=10, ge=0, le=23, description="China time")
    satisfaction_formula: Literal["guangdong", "ssy"] = Field(
        default="guangdong", description="满意率: guangdong (rated only) or ssy (逾期未评价 counts)"
    )
    rating_window_days: int = Field(default=30, ge=1, description="days a petitioner may rate")
    kpi_refresh_seconds: float = Field(default=300.0, description="how often the gauges update")
    clock_file: Path | None = Field(
        default=None, description="tests only: read 'now' (ISO 8601) from this file when present"
    )

    @model_validator(mode="after")
    def _known_ladder_steps(self) -> SupervisionSettings:
        unknown = set(self.escalation_ladder) - set(LADDER_STEPS)
        if unknown:
            raise ValueError(
                f"escalation_ladder: unknown steps {sorted(unknown)}; use {LADDER_STEPS}"
            )
        return self

    @model_validator(mode="after")
    def _no_file_clock_in_production(self) -> SupervisionSettings:
        if self.clock_file is not None and self.environment == "production":
            raise ValueError("supervision: clock_file is for tests, never in production")
        return self
