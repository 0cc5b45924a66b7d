"""Intake's API schemas: what comes in (…Create) and what goes out (…Public, views).

Shape checks live here (types, lengths, formats, unknown fields); the rules of law and the
reference codes are checked in `xinfang.intake.validation`, with the same error shape.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr
from pydantic import Field as PField

from xinfang.common.events.petition import MatterType, Rating

Channel = Literal[
    "web", "letter", "visit", "phone", "fax", "email", "leader_mailbox", "open311"
]  # 网上信访 来信 来访 来电 传真 电子邮件 领导信箱 Open311
Purpose = Literal[
    "resolution", "opinion", "appeal", "accusation", "other"
]  # 求决 意见建议 申诉 揭发控告 其他
IdType = Literal[
    "resident_id", "passport", "hk_macao_permit", "taiwan_permit", "foreign_permanent_id", "other"
]

PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\+?\d{7,15})$"
REGION_PATTERN = r"^\d{6}(\d{3})?$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PetitionerCreate(_Input):
    """One petitioner: a person or an organisation. Name and address are required unless the
    petition is anonymous; at least one petitioner gives a phone or e-mail unless anonymous."""

    kind: Literal["person", "organisation"] = "person"
    name: str | None = PField(
        default=None, min_length=1, max_length=100, description="姓名或单位名称"
    )
    id_type: IdType | None = PField(default=None, description="证件类型")
    id_number: str | None = PField(
        default=None, min_length=5, max_length=30, description="证件号码"
    )
    phone: str | None = PField(default=None, pattern=PHONE_PATTERN, description="手机或固定电话")
    address: str | None = PField(default=None, min_length=2, max_length=200, description="住址")
    address_region_code: str | None = PField(default=None, pattern=REGION_PATTERN)
    email: EmailStr | None = PField(default=None, description="电子邮件, for notices")


class AccusedCreate(_Input):
    """The accused (被反映人/单位) of an accusation. A unit known to the directory gets its
    department code, so routing can keep the case away from it."""

    kind: Literal["unit", "person"]
    department_code: str | None = PField(default=None, pattern=r"^[A-Z0-9_]+$", max_length=40)
    unit_name: str | None = PField(default=None, min_length=2, max_length=100)
    person_name: str | None = PField(default=None, min_length=1, max_length=50)
    position: str | None = PField(default=None, max_length=50, description="职务")


class FlagsCreate(_Input):
    """The flags a petitioner or clerk sets (collective and leapfrog are detected, not set)."""

    anonymous: bool = False
    joint: bool = PField(default=False, description="联名")
    confidential: bool = PField(default=False, description="要求保密")
    public_consent: bool = PField(default=False, description="同意公开")
    urgent: bool = PField(default=False, description="重大紧急")
    court_related: bool = PField(default=False, description="涉法涉诉")


class AttachmentRef(_Input):
    """An attachment uploaded first to `POST /api/v1/attachments`, by its hash."""

    sha256: str = PField(pattern=SHA256_PATTERN)
    filename: str = PField(min_length=1, max_length=200)


class PetitionCreate(_Input):
    """A petition as registered over the API.

    The legal core is name, address, request, facts and reasons (《信访工作条例》第十九条).
    `content` is the older single text field: when `facts` is not given, `content` is taken as
    the facts and the petition's request and reasons are understood to be written in it.
    """

    channel: Channel
    petitioners: list[PetitionerCreate] = PField(min_length=1, max_length=50)
    region_code: str = PField(pattern=REGION_PATTERN, description="问题属地: division code")
    category_code: str = PField(pattern=r"^\d{6}$", description="内容分类: 6-digit code")
    matter_type: MatterType = PField(default="appeal", description="建议意见/检举控告/申诉求决")
    purpose: Purpose | None = PField(default=None, description="信访目的")
    title: str = PField(min_length=2, max_length=100)
    content: str | None = PField(default=None, min_length=5, max_length=4000)
    facts: str | None = PField(default=None, min_length=5, max_length=4000, description="事实")
    request: str | None = PField(default=None, min_length=2, max_length=2000, description="请求")
    reasons: str | None = PField(default=None, min_length=2, max_length=2000, description="理由")
    people_involved: int = PField(default=1, ge=1, le=100_000, description="涉及人数")
    accused: AccusedCreate | None = None
    flags: FlagsCreate = FlagsCreate()
    attachments: list[AttachmentRef] = PField(default_factory=list, max_length=10)
    receiving_office: str | None = PField(
        default=None, pattern=r"^[A-Z0-9_]+$", description="登记机构 (department code)"
    )


class PetitionCreated(BaseModel):
    case_no: str
    query_code: str = PField(description="查询码: keep it, it is shown only once")
    refused: bool = PField(default=False, description="registered, and refused with a reason")
    flags: list[str] = PField(default_factory=list, description="what detection found")


class EvaluationCreate(_Input):
    """The petitioner's rating of the handling (满意度评价)."""

    rating: Rating = PField(
        description="满意 satisfied / 基本满意 basically_satisfied / 不满意 dissatisfied"
    )


class EvaluationRecorded(BaseModel):
    """The rating was recorded and `petition.evaluated` emitted."""

    case_no: str
    rating: Rating
    evaluated_at: datetime


class ReviewRequestCreate(_Input):
    """A request for review (复查) or re-review (复核): which one follows from the last answer."""

    reason: str = PField(min_length=2, max_length=2000, description="why the answer is disputed")


class ReviewRequestRecorded(BaseModel):
    """The request was recorded and `petition.review_requested` emitted."""

    case_no: str
    level: Literal["review", "re_review"] = PField(description="复查 review or 复核 re-review")
    requested_at: datetime


class AttachmentStored(BaseModel):
    sha256: str
    content_type: str
    size: int


class FindingPublic(BaseModel):
    """A detection rule that fired on the case: why it was flagged."""

    rule: str
    zh: str
    en: str
    related_case: str | None = None


class TimelineItem(BaseModel):
    event: str = PField(description="event type, e.g. xinfang.petition.routed.v1")
    at: datetime
    details: dict[str, object]


class CaseView(BaseModel):
    """What a petitioner sees of a case with its query code."""

    case_no: str
    status: str
    status_zh: str
    title: str
    category_code: str
    region_code: str
    received_at: datetime
    department: str | None
    deadline: date | None = PField(default=None, description="the current legal deadline")
    can_rate: bool = PField(default=False, description="answered and not rated yet")
    review_level: Literal["review", "re_review"] | None = PField(
        default=None, description="the review the petitioner may ask for now, if any"
    )
    timeline: list[TimelineItem]


class PetitionerIdentity(BaseModel):
    """A petitioner in full: only for roles allowed to see it, and every read is audited."""

    position: int
    kind: str
    name: str
    id_type: str | None
    id_number: str | None
    phone: str | None
    address: str
    address_region_code: str | None
    email: str | None


class CaseIdentity(BaseModel):
    case_no: str
    petitioners: list[PetitionerIdentity]
    accused_person: str | None


class IdentityAccessPublic(BaseModel):
    case_no: str
    principal: str
    roles: list[str]
    reason: str
    at: datetime


class CodeName(BaseModel):
    code: str
    name: str
    level: str | int
    parent: str | None


class PetitionerMasked(BaseModel):
    position: int
    kind: str
    ref: str
    name_masked: str
    id_type: str | None


class CaseRecord(BaseModel):
    """A case as staff see it: the record, its flags and why each was raised; people masked."""

    case_no: str
    channel: str
    status: str
    status_zh: str
    matter_type: str
    purpose: str | None
    category_code: str
    category_version: str
    region_code: str
    region_level: str
    title: str
    facts: str
    request: str | None
    reasons: str | None
    people_involved: int
    petitioners: list[PetitionerMasked]
    accused_unit: str | None
    accused_department_code: str | None
    accused_person_masked: str | None
    flags: dict[str, bool]
    why_flagged: list[FindingPublic]
    repeat_of: str | None
    repeat_count: int
    receiving_office: str | None
    registered_by: str | None
    received_at: datetime
    department: str | None
    deadline: date | None
    attachments: list[AttachmentRef]
