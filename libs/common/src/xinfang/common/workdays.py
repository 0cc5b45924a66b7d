"""The working-day calendar and the two ways a period is counted. Pure: no I/O, no clock.

Counting follows 民法典 Arts. 201 and 203 (regulations.md §12): the start day is not counted, and
a period whose last day is a rest day ends on the next working day. Working days come from
`chinese_calendar`, which knows the State Council's holidays and make-up working days (调休上班),
and from the year notices a deployment loads (`YearNotice`, see `calendars`). For a year neither
knows, only Saturdays and Sundays are rest days and the result is provisional: it is recomputed
once that year's notice is loaded.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar.constants import Holiday

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Day:
    """What the calendar says of one day."""

    on: date
    working: bool
    holiday: Holiday | None = None  # the public holiday it belongs to, if any
    known: bool = True  # False: the year has no official calendar, weekends alone were used


@dataclass(frozen=True)
class YearNotice:
    """One year's State Council notice: public holidays (day → name) and make-up working days."""

    year: int
    holidays: Mapping[date, Holiday | None]
    workdays: frozenset[date] = frozenset()

    def day(self, on: date) -> Day:
        if on in self.workdays:
            return Day(on=on, working=True)
        if on in self.holidays:
            return Day(on=on, working=False, holiday=self.holidays[on])
        return Day(on=on, working=on.weekday() < 5)


@dataclass(frozen=True)
class Count:
    """Where a period ends, and how it got there."""

    nominal: date  # the day the count reached, before moving past rest days
    last_day: date  # the deadline: the period ends at 24:00 on this day
    unknown_years: tuple[int, ...] = ()  # years counted on weekends alone

    @property
    def provisional(self) -> bool:
        """True when a year without an official calendar decided the result."""
        return bool(self.unknown_years)

    @property
    def moved_over(self) -> list[date]:
        """The rest days the deadline was moved past (empty when it was not moved)."""
        return [self.nominal + ONE_DAY * i for i in range((self.last_day - self.nominal).days)]


@dataclass(frozen=True)
class WorkCalendar:
    """The package's calendar plus the year notices a deployment loaded (these win)."""

    notices: Mapping[int, YearNotice] = field(default_factory=dict)

    def knows(self, year: int) -> bool:
        """True when `year` is counted on an official calendar."""
        return year in self.notices or self.day(date(year, 6, 1)).known

    def day(self, on: date) -> Day:
        """Look a day up in a loaded notice, the package, or the weekends of an unknown year."""
        notice = self.notices.get(on.year)
        if notice is not None:
            return notice.day(on)
        return _package_day(on)

    def add_days(self, start: date, n: int) -> Count:
        """`n` days after `start` (not counted); a rest day moves it to the next working day."""
        _require_positive(n)
        nominal = start + ONE_DAY * n
        current = self.day(nominal)
        unknown: set[int] = set()
        while True:
            if not current.known:
                unknown.add(current.on.year)
            if current.working:
                return Count(nominal, current.on, tuple(sorted(unknown)))
            current = self.day(current.on + ONE_DAY)

    def add_working_days(self, start: date, n: int) -> Count:
        """The `n`th working day after `start` (not counted); make-up working days count."""
        _require_positive(n)
        on, counted = start, 0
        unknown: set[int] = set()
        while counted < n:
            on += ONE_DAY
            current = self.day(on)
            if not current.known:
                unknown.add(on.year)
            counted += current.working
        return Count(nominal=on, last_day=on, unknown_years=tuple(sorted(unknown)))


@functools.lru_cache(maxsize=16_384)
def _package_day(on: date) -> Day:
    # Every deadline counts tens of days on this calendar, and the package's own lookup costs
    # more than the rest of a routing decision; its answers never change while it runs.
    try:
        is_rest, name = chinese_calendar.get_holiday_detail(on)
    except NotImplementedError:  # chinese_calendar knows 2004 up to its release's last notice
        return Day(on=on, working=on.weekday() < 5, known=False)
    holiday = Holiday(name) if is_rest and name else None
    return Day(on=on, working=not is_rest, holiday=holiday)


PACKAGE_CALENDAR = WorkCalendar()


def day(on: date) -> Day:
    """`PACKAGE_CALENDAR.day`: the package's calendar alone."""
    return PACKAGE_CALENDAR.day(on)


def add_days(start: date, n: int) -> Count:
    """`n` days after `start` on the package's calendar alone."""
    return PACKAGE_CALENDAR.add_days(start, n)


def add_working_days(start: date, n: int) -> Count:
    """`n` working days after `start` on the package's calendar alone."""
    return PACKAGE_CALENDAR.add_working_days(start, n)


def _require_positive(n: int) -> None:
    if n < 1:
        raise ValueError(f"a period is at least one day long, not {n}")
