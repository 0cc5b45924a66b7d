"""Which notices each step of a case calls for: pure functions from an event to plans.

A plan names the notice type, the step it is about (part of the once-only key), the facts its
template needs (no personal data), and its audience: the petitioners (each reachable one, plus an
in-portal copy), departments by code, or every leader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from xinfang.common.clock import CHINA_TZ
from xinfang.common.events import (
    AlertRaised,
    AssignmentAccepted,
    CaseAnswered,
    DeadlineMissed,
    DeadlineWarned,
    Event,
    ExtensionDecided,
    PetitionRefused,
    PetitionRouted,
    SupervisionEscalated,
    SupervisionOrderIssued,
)

REVIEW_WINDOW_DAYS = 30  # 《信访工作条例》第三十五条: 30 days to ask for 复查 / 复核
DECISION_TYPE = {
    "handling": "decision",
    "review": "review_decision",
    "re_review": "re_review_decision",
}


@dataclass(frozen=True)
class Plan:
    notice_type: str
    step: str
    audience: str  # petitioner, department, leader
    facts: dict[str, str]
    refs: list[str] = field(default_factory=list)  # department codes; empty for petitioners


def _routed(event: Event) -> list[Plan]:
    assert isinstance(event, PetitionRouted)
    code = event.department_code
    step = f"routed:{code}" if event.stage == "handling" else f"routed:{event.stage}:{code}"
    facts = {
        "department_code": code,
        "department_name": event.department_name,
        "mode": event.mode,
        "routed_date": event.routed_at.isoformat(),
        "reason": event.reason,
        "report_due_zh": _report_due_zh(event),
        "report_due_en": f"Report back by {event.report_due_on.isoformat()}."
        if event.report_due_on
        else "",
    }
    return [
        Plan("registration", step, "petitioner", facts),
        Plan("new_assignment", step, "department", facts, [code, *event.co_handlers]),
    ]


def _report_due_zh(event: PetitionRouted) -> str:
    due = event.report_due_on
    return f"请于{due.year}年{due.month}月{due.day}日前报送办结报告。" if due else ""


def _accepted(event: Event) -> list[Plan]:
    assert isinstance(event, AssignmentAccepted)
    facts = {
        "department_code": event.department_code,
        "accepted_date": event.accepted_at.isoformat(),
    }
    return [Plan("acceptance", f"accepted:{event.department_code}", "petitioner", facts)]


def _refused(event: Event) -> list[Plan]:
    assert isinstance(event, PetitionRefused)
    facts = {
        "reason": event.reason,
        "basis": event.basis,
        "related_case": event.related_case or "",
        "refused_date": event.refused_at.isoformat(),
    }
    return [Plan(event.kind, f"refused:{event.kind}", "petitioner", facts)]


def _extension(event: Event) -> list[Plan]:
    assert isinstance(event, ExtensionDecided)
    if not event.approved:
        return []
    facts = {
        "department_code": event.department_code,
        "days": str(event.days),
        "reason": event.reason,
        "decided_date": event.decided_at.isoformat(),
    }
    return [Plan("extension", f"extension:{event.department_code}", "petitioner", facts)]


def _answered(event: Event) -> list[Plan]:
    assert isinstance(event, CaseAnswered)
    due = event.answered_at.astimezone(CHINA_TZ).date() + timedelta(days=REVIEW_WINDOW_DAYS)
    facts = {
        "department_code": event.department_code,
        "outcome": event.outcome,
        "summary": event.summary,
        "legal_basis": event.legal_basis,
        "review_body_zh": event.review_body or "原办理机关的上一级行政机关",
        "review_body_en": event.review_body or "the body one level above the one that decided",
        "answered_date": event.answered_at.isoformat(),
        "review_due_date": due.isoformat(),
    }
    step = f"answered:{event.stage}:{event.department_code}"
    return [
        Plan(DECISION_TYPE[event.stage], step, "petitioner", facts),
        Plan("rating_invitation", step, "petitioner", facts),
    ]


def _order(event: Event) -> list[Plan]:
    assert isinstance(event, SupervisionOrderIssued)
    facts = {
        "order_id": event.order_id,
        "department_code": event.department_code,
        "reason": event.reason,
        "feedback_due_date": event.feedback_due_on.isoformat(),
    }
    code = event.department_code
    return [Plan("supervision_order", f"order:{event.order_id}", "department", facts, [code])]


def _escalated(event: Event) -> list[Plan]:
    assert isinstance(event, SupervisionEscalated)
    facts = {
        "order_id": event.order_id,
        "step": event.step,
        "department_code": event.department_code,
    }
    step = f"escalated:{event.order_id}:{event.step}"
    plans = [Plan("escalation", step, "department", facts, [event.department_code])]
    if event.step == "responsible_leader":
        leader_facts = facts | {"kind": "escalation", "alert_id": event.order_id}
        plans.append(Plan("escalation", step, "leader", leader_facts))
    return plans


def _deadline(event: Event) -> list[Plan]:
    """A department is told of its own clocks only; the bureau watches the rest on its dashboard."""
    assert isinstance(event, DeadlineWarned | DeadlineMissed)
    code = event.department_code
    if code is None:
        return []
    facts = {
        "department_code": code,
        "deadline_kind": event.kind,
        "due_date": event.due_on.isoformat(),
    }
    if isinstance(event, DeadlineWarned):
        facts["level"] = event.level
        step = f"warned:{event.kind}:{event.due_on.isoformat()}:{event.level}"
        return [Plan("deadline_warning", step, "department", facts, [code])]
    step = f"missed:{event.kind}:{event.due_on.isoformat()}"
    return [Plan("deadline_missed", step, "department", facts, [code])]


def _alert(event: Event) -> list[Plan]:
    assert isinstance(event, AlertRaised)
    facts = {
        "alert_id": event.alert_id,
        "kind": event.kind,
        "summary": event.summary,
        "raised_date": event.raised_at.isoformat(),
        "about_case_zh": f"（信访件编号{event.case_no}）" if event.case_no else "",
        "about_case_en": f" (case {event.case_no})" if event.case_no else "",
    }
    return [Plan("alert", f"alert:{event.alert_id}", "leader", facts)]


PLANNERS: dict[str, Callable[[Event], list[Plan]]] = {
    PetitionRouted.TYPE: _routed,
    AssignmentAccepted.TYPE: _accepted,
    PetitionRefused.TYPE: _refused,
    ExtensionDecided.TYPE: _extension,
    CaseAnswered.TYPE: _answered,
    SupervisionOrderIssued.TYPE: _order,
    SupervisionEscalated.TYPE: _escalated,
    DeadlineWarned.TYPE: _deadline,
    DeadlineMissed.TYPE: _deadline,
    AlertRaised.TYPE: _alert,
}


def plans_for(event: Event) -> list[Plan]:
    """The notices an event calls for."""
    return PLANNERS[event.TYPE](event)
