"""Intake's pure rules: case numbers, query codes, the public status of a case."""

from __future__ import annotations

import secrets
from datetime import datetime

from xinfang.common.clock import CHINA_TZ

# No 0/O, 1/I/L: a code read out over the phone or copied from a letter must survive it.
QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
QUERY_CODE_LENGTH = 10  # 31^10 ≈ 8e14: not guessable at any rate a limiter lets through

STATUS_ZH = {
    "registered": "已登记",
    "routed": "已转送承办单位",
}

# Which status an event moves a case to; events not listed leave the status as it is.
STATUS_AFTER = {
    "xinfang.petition.received.v1": "registered",
    "xinfang.petition.routed.v1": "routed",
}

STATUS_RANK = {"registered": 0, "routed": 1}


def case_day(moment: datetime) -> str:
    """The registration day in China time, as in the case number: 20261122."""
    return moment.astimezone(CHINA_TZ).strftime("%Y%m%d")


def case_number(day: str, serial: int) -> str:
    """`XF20261122000042`: the day and the day's serial number."""
    return f"XF{day}{serial:06d}"


def new_query_code() -> str:
    """A random 查询码."""
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def normalise_query_code(code: str) -> str:
    """Accept lower case and stray spaces or dashes."""
    return code.strip().upper().replace("-", "").replace(" ", "")


def next_status(current: str, event_type: str) -> str:
    """The status after an event; out-of-order events never move a case backwards."""
    proposed = STATUS_AFTER.get(event_type, current)
    return proposed if STATUS_RANK.get(proposed, 0) >= STATUS_RANK.get(current, 0) else current
