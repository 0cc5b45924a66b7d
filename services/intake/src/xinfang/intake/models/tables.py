"""Intake's tables. Personal data is sealed (encrypted) in `Petitioner` and `Petition.accused_*`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from xinfang.common.db import UTCDateTime


class Petition(SQLModel, table=True):
    """A registered petition (信访件). Its petitioners' personal data lives in `Petitioner`."""

    case_no: str = Field(primary_key=True, max_length=32)
    query_code_hash: str = Field(max_length=64)
    channel: str = Field(max_length=20)
    region_code: str = Field(max_length=12, index=True)
    region_level: str = Field(default="district", max_length=12)
    category_code: str = Field(max_length=6, index=True)
    category_version: str = Field(default="", max_length=32)
    title: str = Field(max_length=100)
    content: str = Field(
        sa_column=Column(Text, nullable=False), description="facts, or legacy text"
    )
    request: str | None = Field(default=None, sa_column=Column(Text))
    reasons: str | None = Field(default=None, sa_column=Column(Text))
    matter_type: str = Field(default="appeal", max_length=20)
    purpose: str | None = Field(default=None, max_length=20)
    flags: str = Field(default="{}", sa_column=Column(Text, nullable=False), description="JSON")
    people_involved: int = 1
    receiving_office: str | None = Field(default=None, max_length=40)
    receiving_level: str = Field(default="city", max_length=12)
    registered_by: str | None = Field(default=None, max_length=80)
    accused_kind: str | None = Field(default=None, max_length=10)
    accused_department_code: str | None = Field(default=None, max_length=40)
    accused_unit_name: str | None = Field(default=None, max_length=100)
    accused_person_sealed: str | None = Field(default=None, sa_column=Column(Text))
    repeat_of: str | None = Field(default=None, max_length=32, index=True)
    repeat_count: int = 0
    findings: str = Field(default="[]", sa_column=Column(Text, nullable=False), description="JSON")
    refusal_kind: str | None = Field(default=None, max_length=20)
    status: str = Field(default="registered", max_length=40)
    status_zh: str | None = Field(default=None, max_length=40, description="as supervision says")
    department_code: str | None = Field(default=None, max_length=40)
    department_name: str | None = Field(default=None, max_length=100)
    deadline_kind: str | None = Field(default=None, max_length=40)
    deadline_due_on: date | None = Field(default=None, sa_column=Column(Date))
    deadline_scheduled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    answer_stage: str | None = Field(default=None, max_length=20)
    finalised: bool = False
    rating: str | None = Field(default=None, max_length=30)
    open311_token: str | None = Field(default=None, max_length=40, index=True)
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class Petitioner(SQLModel, table=True):
    """One petitioner of a case; name, ID number, phone, address and e-mail are sealed."""

    __table_args__ = (UniqueConstraint("case_no", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(foreign_key="petition.case_no", max_length=32, index=True)
    position: int
    kind: str = Field(default="person", max_length=12)
    ref: str = Field(max_length=64, index=True, description="keyed hash: pseudonymous reference")
    name_sealed: str = Field(sa_column=Column(Text, nullable=False))
    id_type: str | None = Field(default=None, max_length=30)
    id_number_sealed: str | None = Field(default=None, sa_column=Column(Text))
    id_hash: str | None = Field(default=None, max_length=64, index=True, description="HMAC")
    phone_sealed: str | None = Field(default=None, sa_column=Column(Text))
    address_sealed: str = Field(sa_column=Column(Text, nullable=False))
    address_region_code: str | None = Field(default=None, max_length=12)
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


class Attachment(SQLModel, table=True):
    """A file stored once under its SHA-256 (content addressing); cases refer to it by hash."""

    sha256: str = Field(primary_key=True, max_length=64)
    content_type: str = Field(max_length=60)
    size: int
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class PetitionAttachment(SQLModel, table=True):
    """An attachment of a case, with the file name the petitioner gave it."""

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(foreign_key="petition.case_no", max_length=32, index=True)
    sha256: str = Field(foreign_key="attachment.sha256", max_length=64)
    filename: str = Field(max_length=200)


class IdentityAccess(SQLModel, table=True):
    """Audit: someone read a case's full identity (who, when, which case, why)."""

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, index=True)
    principal: str = Field(max_length=120)
    roles: str = Field(max_length=200)
    reason: str = Field(max_length=500)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
