"""Events routing emits: where a petition went and what its department does with it.

Department events go out on subjects ending in the department's code, so a department consumes
only its own with a subject filter and NATS permissions.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from xinfang.common.events.envelope import CaseEvent, DepartmentEvent, register

Outcome = Literal[
    "supported", "explained", "not_supported", "mediated"
]  # 予以支持 / 解释说明 / 不予支持 / 调解
Stage = Literal["handling", "review", "re_review"]


@register
class PetitionRouted(DepartmentEvent):
    """Routing assigned a petition to its lead department (转送/交办)."""

    TYPE = "xinfang.petition.routed.v1"

    department_name: str
    mode: Literal["forward", "assign"] = "forward"
    rule: str = Field(description="the routing rule that matched")
    reason: str = Field(description="why this department, in words")
    routed_at: datetime
    co_handlers: list[str] = Field(default_factory=list, description="co-handling departments")
    report_due_on: date | None = Field(default=None, description="交办: report-back deadline")
    stage: Stage = "handling"


@register
class PetitionTriaged(CaseEvent):
    """No rule (or conflicting rules) placed the petition: it waits in the clerks' queue."""

    TYPE = "xinfang.petition.triaged.v1"

    reason: str
    queued_at: datetime


@register
class AssignmentAccepted(DepartmentEvent):
    """The department accepted the case (受理)."""

    TYPE = "xinfang.assignment.accepted.v1"

    accepted_at: datetime


@register
class AssignmentObjected(DepartmentEvent):
    """The department objected to a wrong assignment (异议); the case goes back to routing."""

    TYPE = "xinfang.assignment.objected.v1"

    reason: str
    objected_at: datetime


@register
class AssignmentTransferred(DepartmentEvent):
    """The case moved from one department to another; department_code is the new one."""

    TYPE = "xinfang.assignment.transferred.v1"

    from_department: str
    department_name: str
    reason: str
    transferred_at: datetime


@register
class ExtensionRequested(DepartmentEvent):
    """The department asked for more time (延期), at most 30 days, once."""

    TYPE = "xinfang.assignment.extension_requested.v1"

    days: int
    reason: str
    requested_at: datetime


@register
class ExtensionDecided(DepartmentEvent):
    """The bureau approved or refused an extension."""

    TYPE = "xinfang.assignment.extension_decided.v1"

    approved: bool
    days: int
    reason: str
    decided_at: datetime


@register
class CaseAnswered(DepartmentEvent):
    """The department answered: the handling decision (信访处理意见书) or a review decision."""

    TYPE = "xinfang.case.answered.v1"

    stage: Stage = "handling"
    outcome: Outcome
    summary: str = Field(description="the public part of the decision")
    legal_basis: str
    review_body: str | None = Field(default=None, description="where to ask for review")
    answered_at: datetime
    request: str | None = Field(default=None, description="the petitioner's request, as answered")
    facts_and_reasons: str | None = Field(default=None, description="findings and reasons")
    review_how: str | None = Field(default=None, description="how and by when to ask for review")


@register
class CompletionReported(DepartmentEvent):
    """A 交办 case's completion report (办结报告) was filed."""

    TYPE = "xinfang.assignment.completion_reported.v1"

    reported_at: datetime
    summary: str | None = Field(default=None, description="the completion report's text")


@register
class CoHandlingRequested(DepartmentEvent):
    """A department was asked to co-handle a case (协办); the lead department answers for it."""

    TYPE = "xinfang.assignment.co_handling_requested.v1"

    lead_department: str
    department_name: str
    reason: str
    requested_at: datetime
