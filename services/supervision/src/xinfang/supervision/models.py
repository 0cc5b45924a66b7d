"""Supervision's tables and API schemas."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from xinfang.common.db import UTCDateTime
from xinfang.supervision.domain import DeadlineKind, DeadlineStatus

# --- tables -------------------------------------------------------------------------------


class Deadline(SQLModel, table=True):
    """One legal clock on a case, recorded once per case and kind.

    `starts_on` and `kind` are enough to count it again, which a provisional deadline needs once
    its year's holiday notice is loaded.
    """

    __table_args__ = (
        UniqueConstraint("case_no", "kind", name="uq_deadline_case_kind"),
        Index("ix_deadline_status_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=40)
    starts_on: date = Field(description="the day the clock starts, China time; not counted")
    due_on: date = Field(description="the last day: the deadline ends at 24:00 China time")
    basis: str = Field(sa_column=Column(Text, nullable=False))
    provisional: bool = Field(default=False, description="counted without an official calendar")
    status: str = Field(default=DeadlineStatus.OPEN.value, max_length=20)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


# --- API schemas ----------------------------------------------------------------------------


class DeadlinePublic(BaseModel):
    """A deadline as the API shows it."""

    id: int
    case_no: str
    kind: DeadlineKind
    kind_zh: str = PField(description="the step in Chinese, e.g. 转送/交办")
    starts_on: date = PField(description="the day the clock starts (not counted), China time")
    due_on: date = PField(description="the last day, until 24:00 China time")
    basis: str = PField(description="the article and how the date was counted, zh and en")
    provisional: bool = PField(description="counted on weekends alone: the year's holidays unknown")
    status: str
    created_at: datetime
