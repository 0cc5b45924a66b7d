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

    `starts_on`, `kind`, `profile`, `paused_days` and `extension_days` are enough to count it
    again, which a provisional deadline needs once its year's holiday notice is loaded.
    `next_check_on` is the timer: the day the scheduler next looks at it (NULL when settled);
    `version` lets several instances claim a row without firing twice.
    """

    __tablename__ = "supervision_deadline"  # type: ignore[assignment]

    __table_args__ = (
        UniqueConstraint("case_no", "kind", name="uq_sv_deadline_case_kind"),
        Index("ix_sv_deadline_status_due", "status", "due_on"),
        Index("ix_sv_deadline_timer", "status", "next_check_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=40)
    department_code: str | None = Field(default=None, max_length=40, index=True)
    profile: str = Field(default="national", max_length=20)
    starts_on: date = Field(description="the day the clock starts, China time; not counted")
    due_on: date = Field(description="the last day: the deadline ends at 24:00 China time")
    basis: str = Field(sa_column=Column(Text, nullable=False))
    provisional: bool = Field(default=False, description="counted without an official calendar")
    fixed: bool = Field(default=False, description="a date another body set; never recounted")
    status: str = Field(default=DeadlineStatus.OPEN.value, max_length=20)
    paused_on: date | None = None
    paused_days: int = 0
    extension_days: int = 0
    warned: int = Field(default=0, description="how many graded warnings were announced")
    next_check_on: date | None = None
    settled_on: date | None = Field(default=None, description="met, late, lapsed or closed on")
    version: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class CaseRecord(SQLModel, table=True):
    """What supervision knows of a case: where it stands, who has it, the facts KPIs need."""

    __tablename__ = "supervision_case"  # type: ignore[assignment]

    __table_args__ = (
        Index("ix_sv_case_cluster", "region_code", "category_code", "received_on"),
        Index("ix_sv_case_overdue", "overdue", "department_code"),  # the scheduler's gauge
    )

    case_no: str = Field(primary_key=True, max_length=32)
    status: str | None = Field(default=None, max_length=24, index=True)
    profile: str = Field(default="national", max_length=20)
    channel: str | None = Field(default=None, max_length=20)
    region_code: str | None = Field(default=None, max_length=12, index=True)
    category_code: str | None = Field(default=None, max_length=12)
    title: str | None = Field(default=None, max_length=200)
    people_involved: int = 1
    collective: bool = False
    repeat: bool = False
    received_on: date | None = Field(default=None, index=True)
    department_code: str | None = Field(default=None, max_length=40, index=True)
    routed_on: date | None = None
    mode: str | None = Field(default=None, max_length=10)
    accepted_on: date | None = None
    answered_on: date | None = None
    rating: str | None = Field(default=None, max_length=24)
    objections: int = 0
    overdue: bool = Field(default=False, description="marked: a duty clock was missed")
    review_requests: int = 0
    responsible_leader: str | None = Field(default=None, max_length=60)
    plan: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    finalised: bool = False
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TimelineEntry(SQLModel, table=True):
    """One line of a case's history: an event applied, a clock started, a status, an order."""

    __tablename__ = "supervision_timeline"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    what: str = Field(max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))


class SupervisionOrder(SQLModel, table=True):
    """A supervision order (督办单) or improvement recommendation (改进建议) to a department.

    `next_escalate_on` is its timer: while unanswered, the day it goes one step up the ladder.
    """

    __tablename__ = "supervision_order"  # type: ignore[assignment]

    __table_args__ = (Index("ix_sv_order_status_escalate", "status", "next_escalate_on"),)

    order_id: str = Field(primary_key=True, max_length=40)
    case_no: str = Field(max_length=32, index=True)
    department_code: str = Field(max_length=40, index=True)
    kind: str = Field(default="order", max_length=20)  # order | recommendation
    reason: str = Field(sa_column=Column(Text, nullable=False))
    deadline_kind: str | None = Field(default=None, max_length=40)
    issued_on: date
    feedback_due_on: date
    issued_by: str = Field(default="system", max_length=60)
    status: str = Field(default="open", max_length=20)  # open | answered
    step: int = Field(default=0, description="ladder steps taken so far")
    step_name: str | None = Field(default=None, max_length=30)
    next_escalate_on: date | None = None
    feedback: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_on: date | None = None
    version: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Alert(SQLModel, table=True):
    """An early warning; `key` makes each one raised once."""

    __tablename__ = "supervision_alert"  # type: ignore[assignment]

    alert_id: str = Field(primary_key=True, max_length=40)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=24, index=True)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    case_no: str | None = Field(default=None, max_length=32)
    region_code: str | None = Field(default=None, max_length=12)
    category_code: str | None = Field(default=None, max_length=12)
    raised_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ZeroReport(SQLModel, table=True):
    """A unit's daily report (零报告: 有事报事、无事报平安)."""

    __tablename__ = "supervision_zero_report"  # type: ignore[assignment]

    __table_args__ = (UniqueConstraint("unit_code", "day", name="uq_sv_zero_report_unit_day"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(max_length=40)
    day: date
    has_matters: bool = False
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reported_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


# --- API schemas ----------------------------------------------------------------------------


class DeadlinePublic(BaseModel):
    """A deadline as the API shows it."""

    id: int
    case_no: str
    kind: DeadlineKind
    kind_zh: str = PField(description="the step in Chinese, e.g. 转送/交办")
    department_code: str | None = None
    profile: str = PField(description="the jurisdiction profile it was counted on")
    starts_on: date = PField(description="the day the clock starts (not counted), China time")
    due_on: date = PField(description="the last day, until 24:00 China time")
    basis: str = PField(description="the article and how the date was counted, zh and en")
    provisional: bool = PField(description="counted on weekends alone: the year's holidays unknown")
    status: str
    paused_on: date | None = None
    paused_days: int = 0
    extension_days: int = 0
    created_at: datetime
