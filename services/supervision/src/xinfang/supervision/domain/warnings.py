"""Graded warnings before a deadline, as data: `{"half": "50%", "day_before": "1d"}`.

A level is either a share of the period (from the start day to the last day) or a number of days
before the last day. Levels are ordered by the day they fall on for each deadline; `warned` counts
how many of them have been announced, so each fires once, and after downtime only the most urgent
one that has come due is announced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class WarningLevel:
    """One graded warning: `name` as the event carries it and when it falls."""

    name: str
    share: float | None = None  # 0.5: half the period has run
    days_before: int | None = None  # 1: the day before the last day

    @classmethod
    def parse(cls, name: str, spec: str) -> WarningLevel:
        """`"50%"` or `"1d"`."""
        spec = spec.strip()
        if spec.endswith("%"):
            share = float(spec[:-1]) / 100
            if not 0 < share < 1:
                raise ValueError(f"warning {name}: a share is between 0% and 100%, not {spec}")
            return cls(name=name, share=share)
        if spec.endswith("d") and spec[:-1].isdigit():
            return cls(name=name, days_before=int(spec[:-1]))
        raise ValueError(f"warning {name}: write 50% or 1d, not {spec!r}")

    def falls_on(self, starts_on: date, due_on: date) -> date:
        """The day this warning is due for a period from `starts_on` to `due_on`."""
        if self.share is not None:
            return starts_on + timedelta(days=math.ceil((due_on - starts_on).days * self.share))
        return due_on - timedelta(days=self.days_before or 0)


def schedule_of(
    levels: list[WarningLevel], starts_on: date, due_on: date
) -> list[tuple[date, WarningLevel]]:
    """The levels of one deadline by the day they fall on (after the start day)."""
    dated = [(lvl.falls_on(starts_on, due_on), lvl) for lvl in levels]
    return sorted(((d, lvl) for d, lvl in dated if starts_on < d <= due_on), key=lambda x: x[0])


def warning_due(
    levels: list[WarningLevel], *, starts_on: date, due_on: date, warned: int, today: date
) -> tuple[WarningLevel | None, int]:
    """The most urgent level come due and not yet announced, and the new `warned` count."""
    dated = schedule_of(levels, starts_on, due_on)
    passed = sum(1 for d, _ in dated if d <= today)
    if passed <= warned:
        return None, warned
    return dated[passed - 1][1], passed


def passed_count(levels: list[WarningLevel], *, starts_on: date, due_on: date, today: date) -> int:
    """How many levels have already come due on `today` (a recomputed deadline skips them)."""
    return sum(1 for d, _ in schedule_of(levels, starts_on, due_on) if d <= today)


def next_check(levels: list[WarningLevel], *, starts_on: date, due_on: date, warned: int) -> date:
    """The next day the scheduler must look at this deadline: a warning, or the day after the
    last day (when it is overdue)."""
    dated = schedule_of(levels, starts_on, due_on)
    if warned < len(dated):
        return dated[warned][0]
    return due_on + timedelta(days=1)
