"""Events intake emits about petitions. Personal data only ever appears masked or sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from xinfang.common.events.envelope import CaseEvent, register

MatterType = Literal["suggestion", "accusation", "appeal"]  # 建议意见 / 检举控告 / 申诉求决
Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]  # 满意 / 基本满意 / 不满意
ANONYMOUS = "匿名"


def _masked(value: str) -> str:
    """Every mask hides with `*` (张*丰, 138****8000): without one, the value is in clear."""
    if "*" not in value and value != ANONYMOUS:
        raise ValueError("personal data must be masked here (张*丰, 138****8000)")
    return value


Masked = Annotated[str, AfterValidator(_masked)]


class PetitionerRef(BaseModel):
    """A petitioner as events show them: a pseudonymous reference and masked fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ref: str = Field(description="stable pseudonymous reference (keyed hash), never the identity")
    name_masked: Masked
    phone_masked: Masked | None = None


class AccusedRef(BaseModel):
    """The accused unit or person of an accusation (检举控告), as routing needs it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    department_code: str | None = Field(default=None, description="the accused unit, if known")
    unit_name: str | None = None
    person_masked: Masked | None = None


class PetitionFlags(BaseModel):
    """The record's flags (§13 of the reference): anonymous, joint, confidential, …"""

    model_config = ConfigDict(extra="ignore", frozen=True)

    anonymous: bool = False
    joint: bool = False
    confidential: bool = False
    public_consent: bool = False
    urgent: bool = False
    court_related: bool = False
    collective: bool = False
    leapfrog: bool = False
    repeat: bool = False


class FlagReason(BaseModel):
    """Why intake flagged a case: the rule that fired, in words (shown on the case)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    rule: str = Field(description="repeat, collective, leapfrog, not_accepted, not_reaccepted, …")
    zh: str
    en: str
    related_case: str | None = None


@register
class PetitionReceived(CaseEvent):
    """A petition was registered by intake (登记)."""

    TYPE = "xinfang.petition.received.v1"

    channel: str
    received_at: datetime
    region_code: str = Field(description="division code of the problem's place (问题属地)")
    category_code: str = Field(description="6-digit content classification (内容分类)")
    title: str
    content: str
    petitioners: list[PetitionerRef]
    people_involved: int = 1
    contact_sealed: str | None = Field(
        default=None,
        description="the petitioner's contact details for notices, encrypted for notify only",
    )
    matter_type: MatterType = "appeal"
    purpose: str | None = None
    receiving_office: str | None = Field(default=None, description="registering office code")
    accused: AccusedRef | None = None
    flags: PetitionFlags = PetitionFlags()
    repeat_of: str | None = Field(default=None, description="the earlier case of a repeat")
    repeat_count: int = Field(default=0, description="earlier similar cases of the petitioner")
    request: str | None = Field(default=None, description="请求; `content` holds the facts")
    reasons: str | None = Field(default=None, description="理由")
    locality_level: str | None = Field(default=None, description="city, district or street")
    category_version: str | None = Field(default=None, description="classification table version")
    attachments: list[str] = Field(default_factory=list, description="SHA-256 of each attachment")
    registered_by: str | None = Field(default=None, description="registering clerk (account id)")
    why_flagged: list[FlagReason] = Field(default_factory=list)
    refused: Literal["not_accepted", "not_reaccepted", "redirected"] | None = Field(
        default=None,
        description="set when intake refused the petition at registration: a PetitionRefused "
        "follows, and the case is not to be routed",
    )


@register
class PetitionRefused(CaseEvent):
    """Intake registered a petition and refused it, with a written reason."""

    TYPE = "xinfang.petition.refused.v1"

    kind: Literal["not_accepted", "not_reaccepted", "redirected"]  # 不予受理 / 不再受理 / 引导
    reason: str
    basis: str = Field(description="the rule, e.g. 《信访工作条例》第三十六条")
    related_case: str | None = None
    refused_at: datetime
    reason_en: str | None = None


@register
class PetitionEvaluated(CaseEvent):
    """The petitioner rated the handling (满意度评价)."""

    TYPE = "xinfang.petition.evaluated.v1"

    rating: Rating
    party: Literal["bureau", "department"] = "department"
    evaluated_at: datetime


@register
class ReviewRequested(CaseEvent):
    """The petitioner asked for review (复查) or re-review (复核)."""

    TYPE = "xinfang.petition.review_requested.v1"

    level: Literal["review", "re_review"]
    reason: str
    requested_at: datetime
