"""The test clock file, the settings guards and the warning levels, as data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from xinfang.common.clock import ManualClock
from xinfang.supervision.context import FileClock
from xinfang.supervision.domain import WarningLevel
from xinfang.supervision.domain.warnings import next_check, warning_due
from xinfang.supervision.settings import SupervisionSettings

SECRET = "x" * 40


def test_the_file_clock_reads_now_from_its_file_and_falls_back_without_it(tmp_path: Path) -> None:
    path = tmp_path / "now"
    fallback = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock = FileClock(path, fallback)
    assert clock.now() == fallback.now()
    path.write_text("2026-05-07T09:00:00+08:00")
    assert clock.now() == datetime(2026, 5, 7, 1, 0, tzinfo=UTC)


def test_a_clock_file_is_refused_in_production(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="clock_file is for tests"):
        SupervisionSettings(environment="production", jwt_secret=SECRET, clock_file=tmp_path)


def test_an_unknown_escalation_step_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown steps"):
        SupervisionSettings(escalation_ladder=["department_head", "the_emperor"])


@pytest.mark.parametrize("spec", ["150%", "0%", "tomorrow", "d"])
def test_a_warning_level_must_be_a_share_or_days_before(spec: str) -> None:
    with pytest.raises(ValueError, match="warning w"):
        WarningLevel.parse("w", spec)


LEVELS = [WarningLevel.parse(n, s) for n, s in {"half": "50%", "day_before": "1d"}.items()]


def test_only_the_most_urgent_warning_come_due_is_announced_after_downtime() -> None:
    start, due = date(2026, 3, 3), date(2026, 5, 6)
    level, warned = warning_due(
        LEVELS, starts_on=start, due_on=due, warned=0, today=date(2026, 5, 5)
    )
    assert (level and level.name, warned) == ("day_before", 2)
    assert next_check(LEVELS, starts_on=start, due_on=due, warned=warned) == date(2026, 5, 7)
