"""Supervision's pure rules: the legal clocks, counting, the case state machine, warnings."""

from xinfang.supervision.domain.counting import Due, basis, china_day, fixed, schedule
from xinfang.supervision.domain.rules import (
    DUTIES,
    HENAN,
    NATIONAL,
    PROFILES,
    RULES,
    WINDOWS,
    ZHEJIANG,
    DeadlineKind,
    DeadlineStatus,
    Jurisdictions,
    Profile,
    Rule,
)
from xinfang.supervision.domain.states import (
    CaseStatus,
    ImpossibleTransition,
    TooEarly,
    move,
)
from xinfang.supervision.domain.warnings import (
    WarningLevel,
    next_check,
    passed_count,
    warning_due,
)

__all__ = [
    "DUTIES",
    "HENAN",
    "NATIONAL",
    "PROFILES",
    "RULES",
    "WINDOWS",
    "ZHEJIANG",
    "CaseStatus",
    "DeadlineKind",
    "DeadlineStatus",
    "Due",
    "ImpossibleTransition",
    "Jurisdictions",
    "Profile",
    "Rule",
    "TooEarly",
    "WarningLevel",
    "basis",
    "china_day",
    "fixed",
    "move",
    "next_check",
    "passed_count",
    "schedule",
    "warning_due",
]
