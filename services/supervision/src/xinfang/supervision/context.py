"""What handlers, the scheduler and routes share: the clock, the calendar (reloadable), the
jurisdictions and the warning levels, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.workdays import PACKAGE_CALENDAR, WorkCalendar
from xinfang.supervision import calendars
from xinfang.supervision.domain import Jurisdictions, WarningLevel
from xinfang.supervision.settings import SensitivePeriod, SupervisionSettings


class FileClock:
    """'Now' from a file a test writes (ISO 8601), else the real time; never in production."""

    def __init__(self, path: Path, fallback: Clock | None = None) -> None:
        self.path, self.fallback = path, fallback or SystemClock()

    def now(self) -> datetime:
        try:
            moment = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return self.fallback.now()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class EarlyWarning:
    """Thresholds of the early warnings (§4) and who files daily zero-reports."""

    collective: int = 5
    cluster: int = 5
    window_days: int = 7
    periods: list[SensitivePeriod] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    report_hour: int = 10

    def period_on(self, day: date) -> SensitivePeriod | None:
        """The sensitive period `day` falls in, if any."""
        return next((p for p in self.periods if p.starts_on <= day <= p.ends_on), None)


@dataclass
class Context:
    """The parts every handler needs; `calendar` is replaced when a year's notice is loaded."""

    clock: Clock
    source: str
    calendar: WorkCalendar = PACKAGE_CALENDAR
    calendar_dir: Path | None = None
    jurisdictions: Jurisdictions = field(default_factory=Jurisdictions)
    levels: list[WarningLevel] = field(default_factory=list)
    feedback_days: int = 15
    ladder: list[str] = field(default_factory=list)
    step_days: int = 5
    parents: dict[str, str | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    early: EarlyWarning = field(default_factory=lambda: EarlyWarning())
    formula: str = "guangdong"
    rating_window_days: int = 30

    @classmethod
    def from_settings(cls, settings: SupervisionSettings, *, clock: Clock) -> Context:
        return cls(
            clock=clock,
            source=settings.event_source,
            calendar=calendars.load_dir(settings.calendar_dir),
            calendar_dir=settings.calendar_dir,
            jurisdictions=Jurisdictions(prefixes=dict(settings.jurisdiction_prefixes)),
            levels=[WarningLevel.parse(n, s) for n, s in settings.warning_levels.items()],
            feedback_days=settings.order_feedback_days,
            ladder=list(settings.escalation_ladder),
            step_days=settings.escalation_step_days,
            parents=department_parents(settings.reference_dir),
            names=department_names(settings.reference_dir),
            formula=settings.satisfaction_formula,
            rating_window_days=settings.rating_window_days,
            early=EarlyWarning(
                collective=settings.collective_threshold,
                cluster=settings.cluster_threshold,
                window_days=settings.cluster_window_days,
                periods=list(settings.sensitive_periods),
                units=settings.zero_report_units
                if settings.zero_report_units is not None
                else petition_bureaus(settings.reference_dir),
                report_hour=settings.zero_report_hour,
            ),
        )

    def reload_calendar(self) -> frozenset[int]:
        """Read `calendar_dir` again; returns the years loaded."""
        self.calendar = calendars.load_dir(self.calendar_dir)
        return frozenset(self.calendar.notices)


def department_parents(reference_dir: Path) -> dict[str, str | None]:
    """Department code → the body one level up (its parent in departments.json)."""
    return {d.code: d.parent for d in _departments(reference_dir)}


def department_names(reference_dir: Path) -> dict[str, str]:
    """Department code → its name, for pages and bulletins."""
    return {d.code: d.name for d in _departments(reference_dir)}


def _departments(reference_dir: Path) -> list[Any]:
    from xinfang.common.reference import load_departments

    try:
        return load_departments(reference_dir)
    except OSError:
        return []


def petition_bureaus(reference_dir: Path) -> list[str]:
    """The petition bureaus of the reference data: the units that file daily zero-reports."""
    from xinfang.common.reference import load_departments

    try:
        return [d.code for d in load_departments(reference_dir) if d.kind == "petition_bureau"]
    except OSError:
        return []
