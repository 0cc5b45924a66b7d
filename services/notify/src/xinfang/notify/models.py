"""Notify's tables and API schemas. Addresses and names are only ever stored sealed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from xinfang.common.db import UTCDateTime

NoticeStatus = Literal["pending", "delivered", "failed"]
Audience = Literal["petitioner", "portal", "department", "leader"]


# --- tables -------------------------------------------------------------------------------


class NoticeCase(SQLModel, table=True):
    """What notify knows of a case: enough to write to its petitioners, contacts still sealed."""

    __tablename__ = "notice_case"

    case_no: str = Field(primary_key=True, max_length=32)
    title: str = Field(max_length=200)
    channel: str = Field(max_length=20, description="how the petition came in")
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    contact_sealed: str | None = Field(
        default=None,
        sa_column=Column(Text),
        description="intake's sealed JSON: the query code and each petitioner's contacts",
    )
    confidential: bool = Field(
        default=False, description="an accusation or a confidential record: never name the accuser"
    )
    petitioners_masked: str = Field(default="", max_length=200, description="masked names")
    department_names: str = Field(
        default="{}",
        sa_column=Column(Text, nullable=False, server_default="{}"),
        description="JSON: department code → name, as routing named them",
    )


class Notice(SQLModel, table=True):
    """One notice to one recipient, and where its delivery stands.

    Rendered at send time from the case and `facts`, so a resend reads exactly like the first try.
    """

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("case_no", "notice_type", "recipient_hash", "step"),
        Index("ix_notice_due", "status", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    case_no: str = Field(max_length=32, index=True, description="'' for notices about no case")
    notice_type: str = Field(max_length=40)
    audience: str = Field(default="petitioner", max_length=20)
    recipient_ref: str = Field(
        default="", max_length=64, description="department code or leader id; '' for petitioners"
    )
    chain: str = Field(
        default="email", max_length=60, description="channels to try in order, comma-separated"
    )
    round_attempts: int = Field(default=0, description="tries on the current channel")
    step: str = Field(max_length=64, description="which step of the case the notice is about")
    template: str = Field(max_length=60, description="template id, e.g. registration.v1")
    channel: str = Field(max_length=20)
    recipient_hash: str = Field(max_length=64, description="keyed hash: de-duplicates recipients")
    recipient_sealed: str | None = Field(default=None, sa_column=Column(Text))
    recipient_masked: str | None = Field(default=None, max_length=120)
    contact_position: int = Field(description="index of the recipient in the sealed contacts")
    facts: str = Field(sa_column=Column(Text, nullable=False), description="JSON, no personal data")
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    event_time: datetime = Field(
        sa_column=Column(UTCDateTime, nullable=False), description="when the step happened"
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    failed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    printed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    printed_by: str | None = Field(default=None, max_length=64)


class DeliveryAttempt(SQLModel, table=True):
    """One try of a notice on one channel: when, and what came of it."""

    __tablename__ = "notice_attempt"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(max_length=32, index=True)
    channel: str = Field(max_length=20)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    result: str = Field(max_length=20, description="delivered, retry, fallback, failed, deferred")
    error: str | None = Field(default=None, sa_column=Column(Text))


# --- plain records -------------------------------------------------------------------------
# The consumer and the dispatcher handle notices and cases by the batch: they read and write them
# as plain rows (`xinfang.notify.rows`), since an ORM object costs more to build, track and flush
# than the rest of a notice's handling. Field names are the tables' column names.


@dataclass
class CaseRecord:
    """A `notice_case` row."""

    case_no: str
    title: str
    channel: str
    received_at: datetime
    contact_sealed: str | None
    confidential: bool
    petitioners_masked: str
    department_names: str


@dataclass
class NoticeRecord:
    """A `notice` row."""

    id: str
    case_no: str
    notice_type: str
    audience: str
    recipient_ref: str
    chain: str
    step: str
    template: str
    channel: str
    recipient_hash: str
    recipient_masked: str | None
    contact_position: int
    facts: str
    event_time: datetime
    created_at: datetime
    next_attempt_at: datetime
    round_attempts: int = 0
    recipient_sealed: str | None = None
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    locked_until: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    printed_at: datetime | None = None
    printed_by: str | None = None


# --- API schemas ----------------------------------------------------------------------------


class NoticePublic(BaseModel):
    """A notice as supervisors and operators see it: the recipient masked."""

    id: str
    notice_type: str
    channel: str
    recipient_masked: str | None
    status: NoticeStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


class AttemptPublic(BaseModel):
    """One delivery attempt as operators see it."""

    channel: str
    at: datetime
    result: str
    error: str | None


class NoticeHistory(NoticePublic):
    """A notice with whom it is for and every attempt to deliver it."""

    audience: str
    step: str
    template: str
    history: list[AttemptPublic]


class PrintJob(BaseModel):
    """A letter waiting for (or done by) the mailing clerk."""

    notice_id: str
    case_no: str
    notice_type: str
    created_at: datetime
    printed_at: datetime | None
    printed_by: str | None
