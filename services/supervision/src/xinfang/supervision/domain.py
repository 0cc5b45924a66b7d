"""Supervision's pure rules: the legal clocks, when each one is due, and why, in words.

The time limits are the national defaults of DESIGN.md ("Legal time limits"); provinces differ,
so later they become a per-jurisdiction profile. Counting itself is in `workdays`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from xinfang.common.clock import CHINA_TZ
from xinfang.supervision import workdays


class DeadlineKind(StrEnum):
    """Which legal clock a deadline is."""

    ROUTING = "routing"  # 转送/交办
    ACCEPTANCE_NOTICE = "acceptance_notice"  # 受理告知
    OBJECTION = "objection"  # 异议: a department objects to a wrong assignment


class DeadlineStatus(StrEnum):
    """Where a deadline stands; met, overdue and paused come with the work that sets them."""

    OPEN = "open"


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


REGULATIONS_EN = "Regulations on Petition Work"

RULES: dict[DeadlineKind, Rule] = {
    DeadlineKind.ROUTING: Rule(
        name_zh="转送/交办",
        article_zh="《信访工作条例》第22条",
        article_en=f"{REGULATIONS_EN} Art. 22",
        from_zh="登记之日",
        from_en="registration",
        days=15,
    ),
    DeadlineKind.ACCEPTANCE_NOTICE: Rule(
        name_zh="受理告知",
        article_zh="《信访工作条例》第23条",
        article_en=f"{REGULATIONS_EN} Art. 23",
        from_zh="承办单位收到之日",
        from_en="receipt by the department",
        days=15,
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
}


@dataclass(frozen=True)
class Due:
    """A computed deadline, ready to be stored and announced."""

    kind: DeadlineKind
    starts_on: date
    due_on: date
    provisional: bool
    basis: str


def china_day(moment: datetime) -> date:
    """The calendar day of `moment` in China time; a naive moment is taken to be UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(CHINA_TZ).date()


def schedule(kind: DeadlineKind, *, starts_on: date) -> Due:
    """When the clock `kind`, started on `starts_on`, runs out, and the basis in words."""
    rule = RULES[kind]
    count_from = workdays.add_working_days if rule.working_days else workdays.add_days
    count = count_from(starts_on, rule.days)
    return Due(
        kind=kind,
        starts_on=starts_on,
        due_on=count.last_day,
        provisional=count.provisional,
        basis=basis(rule, count),
    )


def basis(rule: Rule, count: workdays.Count) -> str:
    """How the date was counted, in Chinese then English, for the record and the notices."""
    zh = f"{rule.article_zh}：自{rule.from_zh}起{rule.length_zh}（起算日不计入）"
    en = f"{rule.article_en}: {rule.length_en} from {rule.from_en}, the start day not counted"
    last = count.last_day.isoformat()
    moved = [workdays.day(d) for d in count.moved_over]
    if moved:
        label_zh, label_en = _rest_labels(moved)
        span_zh, span_en = _span(moved[0].on, moved[-1].on)
        zh += f"；{span_zh}为{label_zh}，顺延至{last}"
        en += f"; {span_en}: {label_en}, moved to {last}"
    else:
        zh += f"，至{last}"
        en += f"; due {last}"
    if count.provisional:
        years_zh = "、".join(f"{y}年" for y in count.unknown_years)
        years_en = ", ".join(str(y) for y in count.unknown_years)
        zh += f"；{years_zh}节假日安排尚未公布，暂按周末计算，公布后重算（暂定）"
        en += f"; provisional: {years_en} holidays not yet published, counted on weekends only"
    return f"{zh}。{en}."


def _rest_labels(days: list[workdays.Day]) -> tuple[str, str]:
    holidays = list(dict.fromkeys(d.holiday for d in days if d.holiday is not None))
    if not holidays:
        return "休息日", "weekend"
    label_zh = f"法定节假日（{'、'.join(h.chinese for h in holidays)}）"
    label_en = f"public holiday ({', '.join(h.value for h in holidays)})"
    if any(d.holiday is None for d in days):
        return f"{label_zh}及休息日", f"{label_en} and weekend"
    return label_zh, label_en


def _span(first: date, last: date) -> tuple[str, str]:
    """`2026-10-01至10-07`: the second date loses what it shares with the first."""
    if first == last:
        return first.isoformat(), first.isoformat()
    end = last.strftime("%m-%d") if first.year == last.year else last.isoformat()
    return f"{first.isoformat()}至{end}", f"{first.isoformat()} to {end}"
