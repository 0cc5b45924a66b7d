"""Fields that read differently per language: dates, route verbs, outcomes, delivery methods."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from xinfang.common.clock import CHINA_TZ

WORDS: dict[str, dict[str, dict[str, str]]] = {
    "route_verb": {
        "zh": {"forward": "转送", "assign": "交办"},
        "en": {"forward": "forwarded to", "assign": "assigned to"},
    },
    "outcome_text": {
        "zh": {
            "supported": "予以支持",
            "explained": "解释说明",
            "not_supported": "不予支持",
            "mediated": "调解处理",
        },
        "en": {
            "supported": "supported",
            "explained": "explained",
            "not_supported": "not supported",
            "mediated": "settled by mediation",
        },
    },
    "delivery_method": {
        "zh": {
            "email": "电子邮件",
            "sms": "手机短信",
            "letter": "邮寄送达",
            "portal": "网上信访平台",
            "webhook": "系统推送",
        },
        "en": {
            "email": "e-mail",
            "sms": "text message",
            "letter": "post",
            "portal": "the online petition portal",
            "webhook": "system push",
        },
    },
    "step_text": {
        "zh": {
            "department_head": "约谈部门负责人",
            "responsible_leader": "报分管领导督办",
            "public_notice": "通报",
        },
        "en": {
            "department_head": "a talk with the department head",
            "responsible_leader": "supervision by the responsible leader",
            "public_notice": "a public notice",
        },
    },
    "kind_text": {
        "zh": {
            "collective": "群体性信访",
            "cluster": "集中反映问题",
            "sensitive_period": "敏感时期",
            "zero_report": "零报告",
            "calendar": "重要时间节点",
        },
        "en": {
            "collective": "collective petition",
            "cluster": "cluster of petitions",
            "sensitive_period": "sensitive period",
            "zero_report": "zero report",
            "calendar": "calendar date",
        },
    },
    "deadline_text": {
        "zh": {
            "routing": "转送交办",
            "acceptance_notice": "受理告知",
            "objection": "异议",
            "handling": "办理",
            "report_back": "交办报告",
            "review_request": "复查申请",
            "review_decision": "复查",
            "re_review_request": "复核申请",
            "re_review_decision": "复核",
        },
        "en": {
            "routing": "forwarding",
            "acceptance_notice": "acceptance notice",
            "objection": "objection",
            "handling": "handling",
            "report_back": "report-back",
            "review_request": "review request",
            "review_decision": "review decision",
            "re_review_request": "re-review request",
            "re_review_decision": "re-review decision",
        },
    },
    "level_text": {
        "zh": {"half": "期限已过半", "eighty": "期限已过八成", "day_before": "明日到期"},
        "en": {
            "half": "half the time is gone",
            "eighty": "80% of the time is gone",
            "day_before": "due tomorrow",
        },
    },
}

# fact key → the localised field made from it
SOURCES = {
    "mode": "route_verb",
    "outcome": "outcome_text",
    "channel": "delivery_method",
    "step": "step_text",
    "kind": "kind_text",
    "deadline_kind": "deadline_text",
    "level": "level_text",
}

MONTHS = "January February March April May June July August September October November December"


def chinese_date(moment: datetime | date) -> str:
    """A date as a formal letter writes it, in China time: 2026年11月22日."""
    day = moment.astimezone(CHINA_TZ) if isinstance(moment, datetime) else moment
    return f"{day.year}年{day.month}月{day.day}日"


def english_date(moment: datetime | date) -> str:
    """22 November 2026, in China time."""
    day = moment.astimezone(CHINA_TZ) if isinstance(moment, datetime) else moment
    return f"{day.day} {MONTHS.split()[day.month - 1]} {day.year}"


def localise(fields: Mapping[str, str], *, locale: str) -> dict[str, str]:
    """The fields with dates (keys ending in `_date`, ISO values) and enumerations in `locale`."""
    out = dict(fields)
    for key, value in fields.items():  # `x_zh` / `x_en` pairs: x in the notice's language
        if key.endswith(f"_{locale}"):
            out[key.rsplit("_", 1)[0]] = value
    write = english_date if locale == "en" else chinese_date
    for key, value in fields.items():
        if key.endswith("_date") or key == "date":
            out[key] = write(_parse(value)) if value else ""
        if key in SOURCES:
            out[SOURCES[key]] = WORDS[SOURCES[key]][locale].get(value, value)
    return out


def _parse(value: str) -> datetime | date:
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
