"""When a failed notice is tried again, when notify gives up, pauses a channel or waits for the
morning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xinfang.notify.domain import gives_up, retry_delay


def test_retries_wait_one_two_four_seconds_doubling_up_to_five_minutes() -> None:
    waits = [retry_delay(n, base=1.0, cap=300.0) for n in range(1, 12)]

    assert waits == [timedelta(seconds=s) for s in (1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300)]


def test_a_notice_failing_for_weeks_never_waits_more_than_the_cap() -> None:
    assert retry_delay(10_000, base=1.0, cap=300.0) == timedelta(minutes=5)


def test_a_shorter_base_scales_the_whole_schedule() -> None:
    assert retry_delay(3, base=0.1, cap=300.0) == timedelta(seconds=0.4)


def test_notify_gives_up_at_the_last_allowed_attempt_and_not_before() -> None:
    assert not gives_up(attempts=5, max_attempts=6, permanent=False)
    assert gives_up(attempts=6, max_attempts=6, permanent=False)


def test_a_permanent_error_gives_up_at_once() -> None:
    assert gives_up(attempts=1, max_attempts=6, permanent=True)


def test_a_half_open_breaker_lets_one_trial_through_at_a_time() -> None:
    from xinfang.notify.breaker import Breaker

    start = datetime(2026, 1, 1, tzinfo=UTC)
    breaker = Breaker(threshold=2, cooldown=timedelta(seconds=60))
    breaker.failed(start)
    assert breaker.allows(start)
    breaker.failed(start)
    assert not breaker.allows(start + timedelta(seconds=59))

    later = start + timedelta(seconds=60)
    assert breaker.state(later) == "half_open"
    assert breaker.allows(later) and not breaker.allows(later)
    breaker.succeeded()
    assert breaker.state(later) == "closed" and breaker.allows(later)


def test_quiet_hours_run_from_ten_at_night_to_eight_in_the_morning_china_time() -> None:
    from xinfang.common.clock import CHINA_TZ
    from xinfang.notify.domain import quiet_until

    def at(hour: int, day: int = 1) -> datetime:
        return datetime(2026, 1, day, hour, tzinfo=CHINA_TZ)

    assert quiet_until(at(21), start_hour=22, end_hour=8) is None
    assert quiet_until(at(22), start_hour=22, end_hour=8) == at(8, day=2)
    assert quiet_until(at(3, day=2), start_hour=22, end_hour=8) == at(8, day=2)
    assert quiet_until(at(8), start_hour=22, end_hour=8) is None
