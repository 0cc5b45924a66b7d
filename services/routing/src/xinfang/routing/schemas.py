"""Routing's API schemas: what callers send (commands) and what they get back (views)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CODE_PATTERN = r"^[A-Z0-9_]{1,40}$"
Level = Literal["city", "district", "street"]

# --- directory ---------------------------------------------------------------------------------


class DepartmentPublic(BaseModel):
    """A handling unit; its code is the last token of its NATS subjects."""

    code: str
    name: str
    level: str = Field(description="city, district or street")
    kind: str = Field(description="government, petition_bureau, politics_law, discipline, …")
    parent: str | None = Field(description="code of the leading unit, if any")


class DepartmentDetail(DepartmentPublic):
    """A directory entry with its jurisdiction and version."""

    regions: list[str] = Field(description="division codes served; a code covers those below")
    categories: list[str] = Field(description="content categories handled; XX0000 covers XX")
    version: int
    active: bool
    changed_by: str
    changed_at: datetime
    note: str


class DepartmentChange(BaseModel):
    """A new version of a department (created when the code is new)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=100)
    level: Level
    kind: Literal[
        "government",
        "petition_bureau",
        "politics_law",
        "discipline",
        "congress",
        "court",
        "procuratorate",
    ]
    parent: str | None = Field(default=None, pattern=CODE_PATTERN)
    regions: list[str] = Field(min_length=1, max_length=200)
    categories: list[str] = Field(min_length=1, max_length=400)
    active: bool = True
    note: str = Field(min_length=2, max_length=500, description="why the directory changes")


class WebhookChange(BaseModel):
    """Where a department receives its feed by webhook, and the shared signing secret."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://", max_length=500)
    secret: str = Field(min_length=16, max_length=200)


class WebhookPublic(BaseModel):
    department_code: str
    url: str
    active: bool
    updated_by: str
    updated_at: datetime


class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    target: str
    detail_json: str


# --- assignments -------------------------------------------------------------------------------


class PetitionerView(BaseModel):
    """A petitioner as departments see them: masked, never the identity."""

    name_masked: str
    phone_masked: str | None = None


class AssignmentPublic(BaseModel):
    """Where a case is, by which rule, why, its deadlines and its progress."""

    case_no: str
    status: str = Field(description="triage, assigned, accepted, answered or completed")
    department_code: str | None
    department_name: str | None
    co_handlers: list[str]
    mode: str = Field(description="forward (转送) or assign (交办)")
    rule: str = Field(description="the routing rule that matched, or triage:…")
    reason: str = Field(description="why this department, in words")
    category_code: str
    region_code: str
    matter_type: str
    received_at: datetime
    route_due_on: date = Field(description="转送/交办 deadline: 15 days from registration")
    routed_at: datetime | None
    object_due_on: date | None = Field(description="last day to object (异议), 5 working days")
    report_due_on: date | None = Field(description="交办: report-back deadline")
    accepted_at: datetime | None
    answer_due_on: date | None
    extension_status: str | None
    extension_days: int | None
    outcome: str | None
    misroutes: int


class AssignmentDetail(AssignmentPublic):
    """What the handling department reads: the petition itself, petitioners masked (or hidden)."""

    title: str
    content: str
    petitioners: list[PetitionerView] = Field(description="empty on confidential accusations")
    petitioners_hidden: bool
    confidential: bool


# --- commands ----------------------------------------------------------------------------------


class Reasoned(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=2000)


class TriageAssign(Reasoned):
    """A clerk places a case from the triage queue."""

    department_code: str = Field(pattern=CODE_PATTERN)
    co_handlers: list[str] = Field(default_factory=list, max_length=10)
    mode: Literal["forward", "assign"] = "forward"


class Transfer(Reasoned):
    department_code: str = Field(pattern=CODE_PATTERN)


class ExtensionRequest(Reasoned):
    days: int = Field(ge=1, le=30, description="at most 30 days, once")


class ExtensionDecision(Reasoned):
    approved: bool


class Answer(BaseModel):
    """信访处理意见书: request, facts and reasons, outcome, legal basis, how to ask for review."""

    model_config = ConfigDict(extra="forbid")

    request: str = Field(min_length=2, max_length=2000)
    facts_and_reasons: str = Field(min_length=2, max_length=10000)
    outcome: Literal["supported", "explained", "not_supported"]
    legal_basis: str = Field(min_length=2, max_length=2000)
    review_how: str = Field(
        default="如不服本处理意见，可自收到本意见书之日起30日内向本机关的上一级机关请求复查。",
        min_length=2,
        max_length=1000,
    )
    review_body: str | None = Field(default=None, max_length=200)


class Mediation(BaseModel):
    """A mediation or settlement agreement (调解/和解协议)."""

    model_config = ConfigDict(extra="forbid")

    agreement: str = Field(min_length=2, max_length=10000)
    legal_basis: str = Field(default="《信访工作条例》第三十二条", min_length=2, max_length=2000)


class CompletionReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=2, max_length=10000)
