"""Working-day arithmetic for the workbench's own limits (pure).

Routing counts the 5-working-day objection window on weekends alone; the authoritative legal
deadlines, holidays and make-up days included, are supervision's.
"""

from __future__ import annotations

from datetime import date, timedelta


def add_working_days(start: date, days: int) -> date:
    """The day `days` working days after `start` (the start day is not counted)."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def add_days(start: date, days: int) -> date:
    """Calendar days, the start day not counted."""
    return start + timedelta(days=days)
