"""Notify's tables and API schemas. Addresses and names are only ever stored sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from xinfang.common.db import UTCDateTime

NoticeStatus = Literal["pending", "delivered", "failed"]


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
    case_no: str = Field(foreign_key="notice_case.case_no", max_length=32, index=True)
    notice_type: str = Field(max_length=40)
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
