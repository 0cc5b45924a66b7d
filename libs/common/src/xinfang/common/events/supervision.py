"""Events supervision emits: legal clocks, warnings, orders, alerts, the review chain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from xinfang.common.events.envelope import CaseEvent, Event, register


@register
class DeadlineScheduled(CaseEvent):
    """Supervision started (or recomputed) a legal clock on a case."""

    TYPE = "xinfang.deadline.scheduled.v1"

    kind: str = Field(description="which clock: routing, acceptance_notice, handling, …")
    starts_on: date
    due_on: date
    basis: str = Field(description="the rule and how the date was counted")
    provisional: bool = False
    department_code: str | None = None


@register
class DeadlineWarned(CaseEvent):
    """A clock is nearing its end (graded warning)."""

    TYPE = "xinfang.deadline.warned.v1"

    kind: str
    due_on: date
    level: str = Field(description="which warning: half, eighty, day_before, …")
    department_code: str | None = None


@register
class DeadlineMissed(CaseEvent):
    """A clock ran out with its step not done."""

    TYPE = "xinfang.deadline.missed.v1"

    kind: str
    due_on: date
    department_code: str | None = None


@register
class SupervisionOrderIssued(CaseEvent):
    """A supervision order (督办单) went to the responsible department."""

    TYPE = "xinfang.supervision.order_issued.v1"

    order_id: str
    department_code: str
    reason: str
    feedback_due_on: date
    issued_by: str = "system"
    kind: Literal["order", "recommendation"] = Field(
        default="order", description="督办单, or an improvement recommendation (改进建议)"
    )
    deadline_kind: str | None = Field(default=None, description="the missed clock, if any")


@register
class SupervisionEscalated(CaseEvent):
    """An unanswered order went one step up the ladder."""

    TYPE = "xinfang.supervision.escalated.v1"

    order_id: str
    step: Literal["department_head", "responsible_leader", "public_notice"]
    department_code: str
    responsible_leader: str | None = Field(default=None, description="包案领导, when assigned")


@register
class CaseStatusChanged(CaseEvent):
    """The case moved in the state machine (the 15 statuses used in practice)."""

    TYPE = "xinfang.case.status_changed.v1"

    status: str
    status_zh: str
    changed_at: datetime


@register
class ReviewOpened(CaseEvent):
    """A review (复查) or re-review (复核) request was accepted and sent one level up."""

    TYPE = "xinfang.review.opened.v1"

    level: Literal["review", "re_review"]
    body_department_code: str
    due_on: date


@register
class CaseFinalised(CaseEvent):
    """The matter is final (三级终结 or lapsed windows): same facts and reasons → 不再受理."""

    TYPE = "xinfang.case.finalised.v1"

    reason: str
    finalised_at: datetime


@register
class AlertRaised(Event):
    """An early warning for leaders and operators; case_no is set when it is about one case."""

    TYPE = "xinfang.alert.raised.v1"

    alert_id: str
    kind: str = Field(description="collective, cluster, sensitive_period, zero_report, calendar")
    summary: str
    region_code: str | None = None
    category_code: str | None = None
    raised_at: datetime
