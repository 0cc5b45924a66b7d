"""When a clock runs out, and why, in words (Chinese then English, for the record and notices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from xinfang.common import workdays
from xinfang.common.clock import CHINA_TZ
from xinfang.common.workdays import PACKAGE_CALENDAR, WorkCalendar
from xinfang.supervision.domain.rules import NATIONAL, DeadlineKind, Profile, Rule


@dataclass(frozen=True)
class Due:
    """A computed deadline, ready to be stored and announced."""

    kind: DeadlineKind
    starts_on: date
    due_on: date
    provisional: bool
    basis: str
    unknown_years: tuple[int, ...] = ()


def china_day(moment: datetime) -> date:
    """The calendar day of `moment` in China time; a naive moment is taken to be UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(CHINA_TZ).date()


def schedule(
    kind: DeadlineKind,
    *,
    starts_on: date,
    profile: Profile = NATIONAL,
    calendar: WorkCalendar = PACKAGE_CALENDAR,
    paused_days: int = 0,
    extension_days: int = 0,
) -> Due:
    """When the clock `kind`, started on `starts_on`, runs out, and the basis in words.

    `paused_days` (a hearing) lengthen the period day for day; an approved extension counts
    `extension_days` on from the day the original period ended.
    """
    rule = profile.rules[kind]
    count = _count(rule, starts_on, rule.days + paused_days, calendar)
    text = basis(rule, count, paused_days=paused_days, calendar=calendar)
    unknown = set(count.unknown_years)
    if extension_days:
        original = count.last_day
        count = calendar.add_days(original, extension_days)
        unknown |= set(count.unknown_years)
        text = _extended(text, original, extension_days, count)
    if unknown:
        text = _provisional(text, tuple(sorted(unknown)))
    return Due(
        kind=kind,
        starts_on=starts_on,
        due_on=count.last_day,
        provisional=bool(unknown),
        basis=text,
        unknown_years=tuple(sorted(unknown)),
    )


def fixed(kind: DeadlineKind, *, starts_on: date, due_on: date, set_by: str) -> Due:
    """A deadline another body set (交办's report-back date): taken as given."""
    zh = f"交办机关（{set_by}）确定的报告期限：{due_on.isoformat()}"
    en = f"report-back date set by the assigning body ({set_by}): {due_on.isoformat()}"
    return Due(
        kind=kind, starts_on=starts_on, due_on=due_on, provisional=False, basis=f"{zh}。{en}."
    )


def _count(rule: Rule, start: date, n: int, calendar: WorkCalendar) -> workdays.Count:
    if rule.working_days:
        return calendar.add_working_days(start, n)
    return calendar.add_days(start, n)


def basis(
    rule: Rule,
    count: workdays.Count,
    *,
    paused_days: int = 0,
    calendar: WorkCalendar = PACKAGE_CALENDAR,
) -> str:
    """How the date was counted, in Chinese then English."""
    zh = f"{rule.article_zh}：自{rule.from_zh}起{rule.length_zh}（起算日不计入）"
    en = f"{rule.article_en}: {rule.length_en} from {rule.from_en}, the start day not counted"
    if paused_days:
        zh += f"，中止计算{paused_days}日（听证等）"
        en += f", {paused_days} days paused (hearing)"
    last = count.last_day.isoformat()
    moved = [calendar.day(d) for d in count.moved_over]
    if moved:
        label_zh, label_en = _rest_labels(moved)
        span_zh, span_en = _span(moved[0].on, moved[-1].on)
        zh += f"；{span_zh}为{label_zh}，顺延至{last}"
        en += f"; {span_en}: {label_en}, moved to {last}"
    else:
        zh += f"，至{last}"
        en += f"; due {last}"
    return f"{zh}。{en}."


def _extended(text: str, original: date, days: int, count: workdays.Count) -> str:
    zh, _, en = text.partition("。")
    last = count.last_day.isoformat()
    zh += f"；经批准延期{days}日（自原期限{original.isoformat()}起算），至{last}"
    en = en.rstrip(".") + f"; extended by {days} days from {original.isoformat()} to "
    en += f"{count.last_day.isoformat()}."
    return f"{zh}。{en}"


def _provisional(text: str, years: tuple[int, ...]) -> str:
    zh, _, en = text.partition("。")
    years_zh = "、".join(f"{y}年" for y in years)
    years_en = ", ".join(str(y) for y in years)
    zh += f"；{years_zh}节假日安排尚未公布，暂按周末计算，公布后重算（暂定）"
    en = en.rstrip(".") + f"; provisional: {years_en} holidays not yet published, "
    en += "counted on weekends only."
    return f"{zh}。{en}"


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
