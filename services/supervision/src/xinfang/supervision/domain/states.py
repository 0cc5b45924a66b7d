"""The case state machine over the 15 statuses seen in practice (regulations.md §13).

Each status may move only to the ones listed; anything else is impossible and the caller turns it
into a dead letter. Re-entering the current status is a no-op (a redelivered or co-handler event).
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    """信访件状态: the value is the code, `zh` the wording of practice."""

    REVIEWING = "reviewing"  # 受理申请审查中
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    ACCEPTED = "accepted"  # 受理
    ANSWERED = "answered"  # 已作出处理意见
    ANSWER_OVERDUE = "answer_overdue"  # 超期未作出处理意见
    NOT_REACCEPTED = "not_reaccepted"  # 不再受理
    REVIEW_LAPSED = "review_lapsed"  # 超期未申请复查
    IN_REVIEW = "in_review"  # 复查
    REVIEWED = "reviewed"  # 提出复查意见
    REVIEW_OVERDUE = "review_overdue"  # 超期未作出复查意见
    RE_REVIEW_LAPSED = "re_review_lapsed"  # 超期未申请复核
    IN_RE_REVIEW = "in_re_review"  # 复核
    RE_REVIEWED = "re_reviewed"  # 提出复核意见
    RE_REVIEW_OVERDUE = "re_review_overdue"  # 超期未作出复核意见
    CONCLUDED = "concluded"  # 审核认定办结

    @property
    def zh(self) -> str:
        return ZH[self]


ZH: dict[CaseStatus, str] = {
    CaseStatus.REVIEWING: "受理申请审查中",
    CaseStatus.NOT_ACCEPTED: "不予受理",
    CaseStatus.ACCEPTED: "受理",
    CaseStatus.ANSWERED: "已作出处理意见",
    CaseStatus.ANSWER_OVERDUE: "超期未作出处理意见",
    CaseStatus.NOT_REACCEPTED: "不再受理",
    CaseStatus.REVIEW_LAPSED: "超期未申请复查",
    CaseStatus.IN_REVIEW: "复查",
    CaseStatus.REVIEWED: "提出复查意见",
    CaseStatus.REVIEW_OVERDUE: "超期未作出复查意见",
    CaseStatus.RE_REVIEW_LAPSED: "超期未申请复核",
    CaseStatus.IN_RE_REVIEW: "复核",
    CaseStatus.RE_REVIEWED: "提出复核意见",
    CaseStatus.RE_REVIEW_OVERDUE: "超期未作出复核意见",
    CaseStatus.CONCLUDED: "审核认定办结",
}

S = CaseStatus
TRANSITIONS: dict[CaseStatus | None, frozenset[CaseStatus]] = {
    None: frozenset({S.REVIEWING, S.NOT_ACCEPTED, S.NOT_REACCEPTED}),
    S.REVIEWING: frozenset({S.NOT_ACCEPTED, S.NOT_REACCEPTED, S.ACCEPTED, S.ANSWER_OVERDUE}),
    S.ACCEPTED: frozenset({S.ANSWERED, S.ANSWER_OVERDUE, S.REVIEWING}),
    S.ANSWER_OVERDUE: frozenset({S.ANSWERED}),
    S.ANSWERED: frozenset({S.IN_REVIEW, S.REVIEW_LAPSED, S.CONCLUDED}),
    S.IN_REVIEW: frozenset({S.REVIEWED, S.REVIEW_OVERDUE}),
    S.REVIEW_OVERDUE: frozenset({S.REVIEWED}),
    S.REVIEWED: frozenset({S.IN_RE_REVIEW, S.RE_REVIEW_LAPSED, S.CONCLUDED}),
    S.IN_RE_REVIEW: frozenset({S.RE_REVIEWED, S.RE_REVIEW_OVERDUE}),
    S.RE_REVIEW_OVERDUE: frozenset({S.RE_REVIEWED}),
    S.RE_REVIEWED: frozenset({S.CONCLUDED}),
    S.REVIEW_LAPSED: frozenset({S.CONCLUDED}),
    S.RE_REVIEW_LAPSED: frozenset({S.CONCLUDED}),
    S.NOT_ACCEPTED: frozenset(),
    S.NOT_REACCEPTED: frozenset(),
    S.CONCLUDED: frozenset(),
}

FINAL = frozenset({S.NOT_ACCEPTED, S.NOT_REACCEPTED, S.CONCLUDED})
# "open" for the backlog: the bureau still expects something from a department.
OPEN = frozenset(
    {S.REVIEWING, S.ACCEPTED, S.ANSWER_OVERDUE, S.IN_REVIEW, S.REVIEW_OVERDUE}
    | {S.IN_RE_REVIEW, S.RE_REVIEW_OVERDUE}
)


class ImpossibleTransition(ValueError):
    """The case can never move from where it is to where an event says it went."""


class TooEarly(RuntimeError):
    """The move is not possible yet but is further down the case's way: an event that should
    come first has not been applied (instances consume in parallel). Retried, not dead-lettered."""


def reachable(current: CaseStatus | None) -> frozenset[CaseStatus]:
    """Every status the case can still reach from `current`, in any number of steps."""
    seen: set[CaseStatus] = set()
    frontier = list(TRANSITIONS[current])
    while frontier:
        status = frontier.pop()
        if status not in seen:
            seen.add(status)
            frontier.extend(TRANSITIONS[status])
    return frozenset(seen)


def move(current: CaseStatus | None, target: CaseStatus) -> bool:
    """True when the case changes status; False when it already is there.

    Raises TooEarly when `target` lies further down the way (retry later) and
    ImpossibleTransition when it can never be reached (a dead letter).
    (ACCEPTED → REVIEWING is a return: the department objected and the case goes back to routing.)
    """
    if current == target:
        return False
    if target in TRANSITIONS[current]:
        return True
    where = current.zh if current else "（无记录）"
    message = f"{where} → {target.zh}: {current} cannot become {target}"
    if target in reachable(current):
        raise TooEarly(f"{message} yet")
    raise ImpossibleTransition(message)
