"""The legal clocks as data: which clocks exist, and each jurisdiction's lengths and articles.

National defaults follow the 信访工作条例 (regulations.md §4, §6); provinces differ, so a case is
counted on the profile its locality selects (Zhejiang: handling 30 days, extension to 60 in all;
Henan 2012: routing 5 days, handling 30 extendable to 90 in all, 交办 90 days).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class DeadlineKind(StrEnum):
    """Which legal clock a deadline is."""

    ROUTING = "routing"  # 转送/交办
    ACCEPTANCE_NOTICE = "acceptance_notice"  # 受理告知
    OBJECTION = "objection"  # 异议: a department objects to a wrong assignment
    HANDLING = "handling"  # 办理
    REPORT_BACK = "report_back"  # 交办: report the result to the assigning body
    REVIEW_REQUEST = "review_request"  # 申请复查
    REVIEW_DECISION = "review_decision"  # 复查意见
    RE_REVIEW_REQUEST = "re_review_request"  # 申请复核
    RE_REVIEW_DECISION = "re_review_decision"  # 复核意见


class DeadlineStatus(StrEnum):
    """Where a deadline stands."""

    OPEN = "open"  # running
    PAUSED = "paused"  # stopped for a hearing; resumes later
    MET = "met"  # the step was done in time
    LATE = "late"  # the step was done after the deadline had been missed
    OVERDUE = "overdue"  # missed, step not done yet (a duty on the department)
    LAPSED = "lapsed"  # a petitioner's window closed unused (no one's fault)
    CLOSED = "closed"  # no longer relevant (objection upheld, transfer, refusal)


# Windows belong to the petitioner or the department's option: when they close nobody is at fault.
WINDOWS = frozenset(
    {DeadlineKind.OBJECTION, DeadlineKind.REVIEW_REQUEST, DeadlineKind.RE_REVIEW_REQUEST}
)
# Duties on the department whose miss means a supervision order.
DUTIES = frozenset(
    {
        DeadlineKind.ACCEPTANCE_NOTICE,
        DeadlineKind.HANDLING,
        DeadlineKind.REPORT_BACK,
        DeadlineKind.REVIEW_DECISION,
        DeadlineKind.RE_REVIEW_DECISION,
    }
)

REGULATIONS_EN = "Regulations on Petition Work"


@dataclass(frozen=True)
class Rule:
    """A legal time limit: its article, what it is counted from, how long, in which days."""

    name_zh: str
    article_zh: str
    article_en: str
    from_zh: str
    from_en: str
    days: int
    working_days: bool = False

    @property
    def length_zh(self) -> str:
        return f"{self.days}个工作日" if self.working_days else f"{self.days}日"

    @property
    def length_en(self) -> str:
        return f"{self.days} working days" if self.working_days else f"{self.days} days"


def _rule(name: str, article: int, part: str, src_zh: str, src_en: str, days: int) -> Rule:
    return Rule(
        name_zh=name,
        article_zh=f"《信访工作条例》第{article}条{part}",
        article_en=f"{REGULATIONS_EN} Art. {article}",
        from_zh=src_zh,
        from_en=src_en,
        days=days,
    )


NATIONAL_RULES: dict[DeadlineKind, Rule] = {
    DeadlineKind.ROUTING: _rule("转送/交办", 22, "", "登记之日", "registration", 15),
    DeadlineKind.ACCEPTANCE_NOTICE: _rule(
        "受理告知", 23, "", "承办单位收到之日", "receipt by the department", 15
    ),
    DeadlineKind.OBJECTION: Rule(
        name_zh="异议",
        article_zh="《信访工作条例》第23条第3款",
        article_en=f"{REGULATIONS_EN} Art. 23(3)",
        from_zh="承办单位收到之日",
        from_en="receipt by the department",
        days=5,
        working_days=True,
    ),
    DeadlineKind.HANDLING: _rule("办理", 34, "", "受理之日", "acceptance", 60),
    DeadlineKind.REPORT_BACK: _rule("交办报告", 22, "第1款第3项", "交办之日", "assignment", 60),
    DeadlineKind.REVIEW_REQUEST: _rule(
        "申请复查", 35, "", "收到书面答复之日", "receipt of the written answer", 30
    ),
    DeadlineKind.REVIEW_DECISION: _rule(
        "复查意见", 35, "", "收到复查请求之日", "receipt of the review request", 30
    ),
    DeadlineKind.RE_REVIEW_REQUEST: _rule(
        "申请复核", 36, "第1款", "收到复查意见之日", "receipt of the review decision", 30
    ),
    DeadlineKind.RE_REVIEW_DECISION: _rule(
        "复核意见", 36, "第1款", "收到复核请求之日", "receipt of the re-review request", 30
    ),
}


@dataclass(frozen=True)
class Profile:
    """A jurisdiction's clocks: the rules by kind and the longest extension of the handling one."""

    code: str
    name_zh: str
    rules: dict[DeadlineKind, Rule]
    max_extension_days: int = 30
    report_back_default: bool = False  # True: 交办 without a set date gets `rules[REPORT_BACK]`


def _variant(rule: Rule, *, days: int, article_zh: str, article_en: str) -> Rule:
    return replace(rule, days=days, article_zh=article_zh, article_en=article_en)


NATIONAL = Profile(code="national", name_zh="全国", rules=NATIONAL_RULES)

ZHEJIANG = Profile(
    code="zhejiang",
    name_zh="浙江省",
    rules=NATIONAL_RULES
    | {
        DeadlineKind.HANDLING: _variant(
            NATIONAL_RULES[DeadlineKind.HANDLING],
            days=30,
            article_zh="《浙江省信访条例》第23条",
            article_en="Zhejiang Petition Regulations Art. 23",
        )
    },
    max_extension_days=30,
)

_HENAN_ZH, _HENAN_EN = "《河南省信访条例》", "Henan Petition Regulations"
HENAN = Profile(
    code="henan",
    name_zh="河南省",
    rules=NATIONAL_RULES
    | {
        DeadlineKind.ROUTING: _variant(
            NATIONAL_RULES[DeadlineKind.ROUTING],
            days=5,
            article_zh=f"{_HENAN_ZH}第26条",
            article_en=f"{_HENAN_EN} Art. 26",
        ),
        DeadlineKind.HANDLING: _variant(
            NATIONAL_RULES[DeadlineKind.HANDLING],
            days=30,
            article_zh=f"{_HENAN_ZH}第27条",
            article_en=f"{_HENAN_EN} Art. 27",
        ),
        DeadlineKind.REPORT_BACK: _variant(
            NATIONAL_RULES[DeadlineKind.REPORT_BACK],
            days=90,
            article_zh=f"{_HENAN_ZH}第27条",
            article_en=f"{_HENAN_EN} Art. 27",
        ),
    },
    max_extension_days=60,
    report_back_default=True,
)

PROFILES: dict[str, Profile] = {p.code: p for p in (NATIONAL, ZHEJIANG, HENAN)}


@dataclass(frozen=True)
class Jurisdictions:
    """Which profile a locality code selects: the longest matching prefix wins, else national."""

    prefixes: dict[str, str] = field(default_factory=lambda: {"33": "zhejiang", "41": "henan"})

    def profile_for(self, region_code: str | None) -> Profile:
        matches = [p for p in self.prefixes if region_code and region_code.startswith(p)]
        if not matches:
            return NATIONAL
        return PROFILES[self.prefixes[max(matches, key=len)]]


RULES = NATIONAL_RULES  # the national table, for callers that need no profile
