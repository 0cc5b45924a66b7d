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
    "refused": "不予受理",
    "triaged": "待分办",
    "routed": "已转送承办单位",
    "accepted": "已受理",
    "answered": "已作出处理意见",
    "review": "复查中",
    "re_review": "复核中",
    "finalised": "已终结",
}

# Intake's own coarse statuses in the order a case goes through them.
STATUS_RANK = {
    "registered": 0,
    "refused": 0,
    "triaged": 1,
    "routed": 2,
    "accepted": 3,
    "answered": 4,
    "review": 5,
    "re_review": 6,
    "finalised": 7,
}
# A status supervision set (its 15-status machine) outranks what intake derives itself.
AUTHORITATIVE = 100

# Which status an event moves a case to; events not listed leave the status as it is.
STATUS_AFTER = {
    "xinfang.petition.received.v1": "registered",
    "xinfang.petition.routed.v1": "routed",
}


def case_day(moment: datetime) -> str:
    """The registration day in China time, as in the case number: 20261122."""
    return moment.astimezone(CHINA_TZ).strftime("%Y%m%d")


def case_number(day: str, serial: int) -> str:
    """`XF20261122000042`: the day and the day's serial number."""
    return f"XF{day}{serial:06d}"


def new_query_code() -> str:
    """A random 查询码: one draw from the OS's randomness, written in the code's alphabet."""
    base = len(QUERY_CODE_ALPHABET)
    number, letters = secrets.randbelow(base**QUERY_CODE_LENGTH), []
    for _ in range(QUERY_CODE_LENGTH):
        number, digit = divmod(number, base)
        letters.append(QUERY_CODE_ALPHABET[digit])
    return "".join(letters)


def normalise_query_code(code: str) -> str:
    """Accept lower case and stray spaces or dashes."""
    return code.strip().upper().replace("-", "").replace(" ", "")


def next_status(current: str, event_type: str) -> str:
    """The status after an event; out-of-order events never move a case backwards."""
    proposed = STATUS_AFTER.get(event_type, current)
    return proposed if _rank(proposed) >= _rank(current) else current


def _rank(status: str) -> int:
    return STATUS_RANK.get(status, AUTHORITATIVE)


def advance(current: str, current_zh: str | None, proposed: str) -> tuple[str, str | None]:
    """Move to `proposed` unless that is a step back; a supervision status is kept until
    supervision changes it or the case reaches a later stage of intake's own."""
    if _rank(proposed) >= _rank(current) or (
        _rank(current) == AUTHORITATIVE
        and proposed in ("answered", "review", "re_review", "finalised")
    ):
        return proposed, None
    return current, current_zh


def status_zh(status: str, given: str | None) -> str:
    """The Chinese name of a status: supervision's words when it set it, else intake's."""
    return given or STATUS_ZH.get(status, status)
