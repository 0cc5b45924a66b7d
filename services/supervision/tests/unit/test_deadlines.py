"""Deadline arithmetic against the State Council's holiday notices, worked out by hand.

2025 (国办发明电〔2024〕12号): 元旦 1-01; 春节 1-28…2-04, work Sun 1-26 and Sat 2-08;
  劳动节 5-01…5-05, work Sun 4-27; 国庆·中秋 10-01…10-08, work Sun 9-28 and Sat 10-11.
2026 (国办发明电〔2025〕7号): 元旦 1-01…1-03, work Sun 1-04; 春节 2-15…2-23, work Sat 2-14 and
  Sat 2-28; 端午 6-19…6-21; 中秋 9-25…9-27; 国庆 10-01…10-07, work Sun 9-20 and Sat 10-10.
2027: no notice yet, so weekends alone are rest days and the result is provisional.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar
import pytest

from xinfang.common import workdays
from xinfang.supervision import domain
from xinfang.supervision.domain import DeadlineKind

D = date

# (start, last day): 15 days, start day not counted, a rest day moves it to the next working day.
FIFTEEN_DAYS = [
    pytest.param(D(2026, 3, 2), D(2026, 3, 17), False, id="plain Tuesday stays"),
    pytest.param(D(2026, 3, 6), D(2026, 3, 23), False, id="plain Saturday moves to Monday"),
    pytest.param(D(2026, 3, 7), D(2026, 3, 23), False, id="plain Sunday moves to Monday"),
    pytest.param(D(2026, 9, 16), D(2026, 10, 8), False, id="first day of National Day 2026"),
    pytest.param(D(2026, 9, 22), D(2026, 10, 8), False, id="last day of National Day 2026"),
    pytest.param(D(2026, 9, 25), D(2026, 10, 10), False, id="make-up working Saturday stays"),
    pytest.param(D(2026, 9, 5), D(2026, 9, 20), False, id="make-up working Sunday stays"),
    pytest.param(D(2026, 2, 1), D(2026, 2, 24), False, id="Spring Festival 2026 moves past it"),
    pytest.param(D(2026, 1, 30), D(2026, 2, 14), False, id="Saturday before Spring Festival"),
    pytest.param(D(2025, 12, 17), D(2026, 1, 4), False, id="New Year 2026 onto a make-up Sunday"),
    pytest.param(D(2025, 9, 20), D(2025, 10, 9), False, id="National Day 2025 is eight days"),
    pytest.param(D(2025, 4, 12), D(2025, 4, 27), False, id="make-up Sunday before May Day 2025"),
    pytest.param(D(2027, 1, 1), D(2027, 1, 18), True, id="2027 Saturday moves, provisional"),
    pytest.param(D(2027, 9, 16), D(2027, 10, 1), True, id="2027 1 October counts as a Friday"),
    pytest.param(D(2026, 12, 17), D(2027, 1, 1), True, id="2026 clock ending in 2027"),
]

# (start, last day): the nth working day after the start; make-up working days count.
FIVE_WORKING_DAYS = [
    pytest.param(D(2026, 3, 6), D(2026, 3, 13), False, id="a plain week"),
    pytest.param(D(2026, 10, 8), D(2026, 10, 14), False, id="across a make-up Saturday"),
    pytest.param(D(2026, 9, 29), D(2026, 10, 12), False, id="across National Day 2026"),
    pytest.param(D(2025, 1, 24), D(2025, 2, 7), False, id="across Spring Festival 2025"),
    pytest.param(D(2027, 1, 1), D(2027, 1, 8), True, id="2027 weekends only, provisional"),
    pytest.param(D(2026, 12, 29), D(2027, 1, 5), True, id="running into 2027"),
]


@pytest.mark.parametrize(("start", "last_day", "provisional"), FIFTEEN_DAYS)
def test_a_fifteen_day_clock_ends_as_the_holiday_notices_say(
    start: date, last_day: date, provisional: bool
) -> None:
    count = workdays.add_days(start, 15)
    assert (count.last_day, count.provisional) == (last_day, provisional)


@pytest.mark.parametrize(("start", "last_day", "provisional"), FIVE_WORKING_DAYS)
def test_five_working_days_end_as_the_holiday_notices_say(
    start: date, last_day: date, provisional: bool
) -> None:
    count = workdays.add_working_days(start, 5)
    assert (count.last_day, count.provisional) == (last_day, provisional)


@pytest.mark.parametrize(
    ("on", "working"),
    [
        (D(2026, 10, 1), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),
        (D(2026, 9, 20), True),
        (D(2026, 2, 14), True),
        (D(2026, 2, 23), False),
        (D(2026, 1, 4), True),
        (D(2025, 10, 8), False),
        (D(2025, 10, 11), True),
        (D(2025, 1, 26), True),
    ],
)
def test_chinese_calendar_agrees_with_the_notices_the_table_was_worked_from(
    on: date, working: bool
) -> None:
    assert chinese_calendar.is_workday(on) is working


def test_the_routing_clock_names_the_holiday_it_was_moved_past() -> None:
    due = domain.schedule(DeadlineKind.ROUTING, starts_on=D(2026, 9, 16))
    assert due.due_on == D(2026, 10, 8)
    assert due.basis.startswith("《信访工作条例》第22条：自登记之日起15日（起算日不计入）；")
    assert "2026-10-01至10-07为法定节假日（国庆节），顺延至2026-10-08" in due.basis
    assert "2026-10-01 to 10-07: public holiday (National Day), moved to 2026-10-08" in due.basis


def test_a_deadline_moved_past_a_weekend_says_so() -> None:
    due = domain.schedule(DeadlineKind.ACCEPTANCE_NOTICE, starts_on=D(2026, 3, 6))
    assert due.due_on == D(2026, 3, 23)
    assert "《信访工作条例》第23条：自承办单位收到之日起15日" in due.basis
    assert "2026-03-21至03-22为休息日，顺延至2026-03-23" in due.basis


def test_a_deadline_that_needs_no_moving_gives_its_day() -> None:
    due = domain.schedule(DeadlineKind.ROUTING, starts_on=D(2026, 3, 2))
    assert "（起算日不计入），至2026-03-17。" in due.basis
    assert not due.provisional


def test_a_deadline_in_a_year_without_a_notice_is_provisional_and_says_so() -> None:
    due = domain.schedule(DeadlineKind.ROUTING, starts_on=D(2027, 9, 16))
    assert (due.due_on, due.provisional) == (D(2027, 10, 1), True)
    assert "2027年节假日安排尚未公布，暂按周末计算" in due.basis
    assert "provisional" in due.basis


def test_the_objection_clock_counts_five_working_days() -> None:
    due = domain.schedule(DeadlineKind.OBJECTION, starts_on=D(2026, 10, 8))
    assert due.due_on == D(2026, 10, 14)
    assert "第23条第3款：自承办单位收到之日起5个工作日" in due.basis


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 9, 15, 16, 0, tzinfo=UTC), D(2026, 9, 16)),
        (datetime(2026, 9, 15, 15, 59, tzinfo=UTC), D(2026, 9, 15)),
        (datetime(2026, 9, 16, 0, 30, tzinfo=timezone(timedelta(hours=8))), D(2026, 9, 16)),
        (datetime(2026, 9, 15, 18, 0), D(2026, 9, 16)),
    ],
    ids=["UTC evening", "UTC afternoon", "China midnight", "naive is UTC"],
)
def test_a_clock_starts_on_the_day_in_china_time(moment: datetime, day: date) -> None:
    assert domain.china_day(moment) == day


def test_a_period_of_no_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        workdays.add_working_days(D(2026, 3, 2), 0)
