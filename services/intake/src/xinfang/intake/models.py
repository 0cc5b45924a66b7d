"""Intake's tables and API schemas (Base / Create / table / Public)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr
from pydantic import Field as PField
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from xinfang.common.db import UTCDateTime

Channel = Literal["web", "letter", "visit", "phone", "fax", "email", "leader_mailbox"]

PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\+?\d{7,15})$"


# --- tables -------------------------------------------------------------------------------


class Petition(SQLModel, table=True):
    """A registered petition (信访件). Its personal data lives in `Petitioner`, encrypted."""

    case_no: str = Field(primary_key=True, max_length=32)
    query_code_hash: str = Field(max_length=64)
    channel: str = Field(max_length=20)
    region_code: str = Field(max_length=12, index=True)
    category_code: str = Field(max_length=6, index=True)
    title: str = Field(max_length=100)
    content: str = Field(sa_column=Column(Text, nullable=False))
    people_involved: int = 1
    status: str = Field(default="registered", max_length=40)
    department_name: str | None = Field(default=None, max_length=100)
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class Petitioner(SQLModel, table=True):
    """One petitioner of a case; name, phone, address and e-mail are sealed (encrypted)."""

    __table_args__ = (UniqueConstraint("case_no", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(foreign_key="petition.case_no", max_length=32, index=True)
    position: int
    ref: str = Field(max_length=64, index=True, description="keyed hash: pseudonymous reference")
    name_sealed: str = Field(sa_column=Column(Text, nullable=False))
    phone_sealed: str | None = Field(default=None, sa_column=Column(Text))
    address_sealed: str = Field(sa_column=Column(Text, nullable=False))
    email_sealed: str | None = Field(default=None, sa_column=Column(Text))


class TimelineEntry(SQLModel, table=True):
    """One step of a case as the petitioner sees it, from intake's own and others' events."""

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(foreign_key="petition.case_no", max_length=32, index=True)
    event_id: str = Field(max_length=64, unique=True)
    event_type: str = Field(max_length=120)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    details: str = Field(sa_column=Column(Text, nullable=False), description="public JSON")


class CaseCounter(SQLModel, table=True):
    """The last case number given out on a day (China time); shared by every intake instance."""

    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


# --- API schemas ----------------------------------------------------------------------------


class PetitionerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = PField(min_length=1, max_length=50, description="姓名或单位名称")
    phone: str | None = PField(default=None, pattern=PHONE_PATTERN, description="手机或固定电话")
    address: str = PField(min_length=2, max_length=200, description="住址")
    email: EmailStr | None = PField(default=None, description="电子邮件, for notices")


class PetitionCreate(BaseModel):
    """A petition as registered over the API."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel
    petitioners: list[PetitionerCreate] = PField(min_length=1, max_length=50)
    region_code: str = PField(pattern=r"^\d{6}(\d{3})?$", description="问题属地: division code")
    category_code: str = PField(pattern=r"^\d{6}$", description="内容分类: 6-digit code")
    title: str = PField(min_length=2, max_length=100)
    content: str = PField(min_length=5, max_length=4000)
    people_involved: int = PField(default=1, ge=1, le=100_000)


class PetitionCreated(BaseModel):
    case_no: str
    query_code: str = PField(description="查询码: keep it, it is shown only once")


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
    timeline: list[TimelineItem]


class CodeName(BaseModel):
    code: str
    name: str
    level: str | int
    parent: str | None
