"""When a failed notice is tried again, and when notify gives up."""

from __future__ import annotations

from datetime import timedelta

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
