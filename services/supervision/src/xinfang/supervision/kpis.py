"""Assessment KPIs (考核指标, regulations.md §14), pure: facts of cases in, rates out.

No official definitions exist; each formula below follows the practice named, and README.md
repeats them. A rate is `None` when its denominator is zero (nothing to assess).

- timely_acceptance (及时受理率, Guangdong `jssl/zs`): accepted on time ÷ (on time + accepted
  late + overdue and not accepted). Counted on the 受理告知 clock; clocks still running and not
  yet due are left out.
- on_time_completion (按期办结率, Guangdong): answered on time ÷ (on time + answered late + not
  yet answered + overdue and not answered), on the handling clock.
- participation (参评率, Guangdong): rated ÷ (rated + answered and not rated within the rating
  window, 超期未评价).
- satisfaction (满意率), by setting `satisfaction_formula`:
  `guangdong`: (满意 + 基本满意) ÷ rated;
  `ssy`: (满意 + 基本满意 + 逾期未评价) ÷ 应评总数 (rated + window passed unrated).
- repeat (重复信访率, `cfjc/zjc`): repeat petitions ÷ all petitions received.
- first_time_resolution (一次性化解率; no formula in the sources, ours): answered cases with no
  review asked for and not rated 不满意 ÷ answered cases.
- avg_days_to_acceptance (平均受理周期): mean days from registration to acceptance.
- avg_days_to_answer (平均答复周期): mean days from acceptance to the handling answer.
- misroute (错转率, from `assignment.objected`): routed cases a department objected to ÷ routed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Formula = Literal["guangdong", "ssy"]
KPI_NAMES = (
    "timely_acceptance",
    "on_time_completion",
    "participation",
    "satisfaction",
    "repeat",
    "first_time_resolution",
    "avg_days_to_acceptance",
    "avg_days_to_answer",
    "misroute",
)
KPI_ZH = {
    "timely_acceptance": "及时受理率",
    "on_time_completion": "按期办结率",
    "participation": "参评率",
    "satisfaction": "满意率",
    "repeat": "重复信访率",
    "first_time_resolution": "一次性化解率",
    "avg_days_to_acceptance": "平均受理天数",
    "avg_days_to_answer": "平均答复天数",
    "misroute": "错转率",
}


@dataclass(frozen=True)
class CaseFacts:
    """What the KPIs need of one case."""

    case_no: str
    department_code: str | None
    region_code: str | None
    channel: str | None
    received_on: date | None
    routed: bool = False
    accepted_on: date | None = None
    answered_on: date | None = None
    notice_status: str | None = None  # the 受理告知 clock: open, met, late, overdue, …
    handling_status: str | None = None
    rating: str | None = None
    repeat: bool = False
    objections: int = 0
    review_requests: int = 0


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def compute(
    cases: Iterable[CaseFacts],
    *,
    today: date,
    formula: Formula = "guangdong",
    rating_window_days: int = 30,
) -> dict[str, float | None]:
    """Every KPI over `cases`."""
    cs = list(cases)
    notice = [c.notice_status for c in cs]
    handling = [c.handling_status for c in cs if c.handling_status]
    answered = [c for c in cs if c.answered_on]
    rated = [c for c in answered if c.rating]
    window = timedelta(days=rating_window_days)
    lapsed = [c for c in answered if not c.rating and c.answered_on + window < today]  # type: ignore[operator]
    good = sum(c.rating in ("satisfied", "basically_satisfied") for c in rated)
    routed = [c for c in cs if c.routed]
    return {
        "timely_acceptance": _rate(
            notice.count("met"), sum(notice.count(s) for s in ("met", "late", "overdue"))
        ),
        "on_time_completion": _rate(handling.count("met"), len(handling)),
        "participation": _rate(len(rated), len(rated) + len(lapsed)),
        "satisfaction": _rate(good, len(rated))
        if formula == "guangdong"
        else _rate(good + len(lapsed), len(rated) + len(lapsed)),
        "repeat": _rate(sum(c.repeat for c in cs), len(cs)),
        "first_time_resolution": _rate(
            sum(c.review_requests == 0 and c.rating != "dissatisfied" for c in answered),
            len(answered),
        ),
        "avg_days_to_acceptance": _mean(
            [(c.accepted_on - c.received_on).days for c in cs if c.accepted_on and c.received_on]
        ),
        "avg_days_to_answer": _mean(
            [(c.answered_on - c.accepted_on).days for c in answered if c.accepted_on]  # type: ignore[operator]
        ),
        "misroute": _rate(sum(c.objections > 0 for c in routed), len(routed)),
    }


GroupBy = Literal["department", "district", "street", "channel", "month", "all"]

KEYS: dict[str, Callable[[CaseFacts], str | None]] = {
    "department": lambda c: c.department_code,
    "district": lambda c: (c.region_code or "")[:6] or None,
    "street": lambda c: c.region_code if c.region_code and len(c.region_code) > 6 else None,
    "channel": lambda c: c.channel,
    "month": lambda c: c.received_on.strftime("%Y-%m") if c.received_on else None,
    "all": lambda c: "all",
}


def by_group(
    cases: Iterable[CaseFacts],
    *,
    group_by: GroupBy,
    today: date,
    formula: Formula = "guangdong",
    rating_window_days: int = 30,
) -> dict[str, dict[str, float | None]]:
    """The KPIs per department, region level (district/street), channel or month."""
    groups: dict[str, list[CaseFacts]] = defaultdict(list)
    for c in cases:
        key = KEYS[group_by](c)
        if key is not None:
            groups[key].append(c)
    return {
        key: compute(members, today=today, formula=formula, rating_window_days=rating_window_days)
        for key, members in sorted(groups.items())
    }
