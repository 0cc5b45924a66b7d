"""An injectable clock: services ask it for the time so tests can move time forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

# China has one time zone and no daylight saving; days (case numbers, deadlines) are counted in it.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    """Tells the current time, always timezone-aware."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move time forward by `delta`."""
        self._now += delta

    def set(self, moment: datetime) -> None:
        """Jump to `moment`."""
        self._now = moment
