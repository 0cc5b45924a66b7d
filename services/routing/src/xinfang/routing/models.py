"""Routing's tables. API schemas are in `schemas.py`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from xinfang.common.db import UTCDateTime


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class DepartmentVersion(SQLModel, table=True):
    """One version of a department's directory entry; a change adds a row, none is ever edited."""

    __tablename__ = "department_version"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, index=True)
    version: int
    name: str = Field(max_length=100)
    level: str = Field(max_length=10)
    kind: str = Field(max_length=30)
    parent: str | None = Field(default=None, max_length=40)
    regions_json: str = Field(sa_column=Column(Text, nullable=False))
    categories_json: str = Field(sa_column=Column(Text, nullable=False))
    active: bool = True
    changed_by: str = Field(max_length=100)
    changed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False))

    @property
    def regions(self) -> list[str]:
        return list(json.loads(self.regions_json))

    @property
    def categories(self) -> list[str]:
        return list(json.loads(self.categories_json))


class WebhookEndpoint(SQLModel, table=True):
    """Where a department without NATS receives its feed, and the secret its deliveries are
    signed with (never shown again once set)."""

    __tablename__ = "webhook_endpoint"

    department_code: str = Field(primary_key=True, max_length=40)
    url: str = Field(max_length=500)
    secret: str = Field(sa_column=Column(Text, nullable=False), description="sealed (Fernet)")
    active: bool = True
    updated_by: str = Field(max_length=100)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class WebhookDelivery(SQLModel, table=True):
    """A department event owed to a webhook: the outbox of deliveries, retried with back-off."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: str = Field(primary_key=True, max_length=64, description="the event id: replay-safe")
    department_code: str = Field(max_length=40, index=True)
    event_type: str = Field(max_length=120)
    case_no: str | None = Field(default=None, max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=12, description="pending, delivered, failed")
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class Assignment(SQLModel, table=True):
    """A case as routing holds it: where, why, deadlines and progress. One per case."""

    # Not the spine's `assignment` table: a development database from before simply gains
    # this one (there are no migrations yet).
    __tablename__ = "case_assignment"

    id: str = Field(primary_key=True, max_length=36, description="uuid4, opaque to departments")
    case_no: str = Field(max_length=64, unique=True)
    status: str = Field(
        default="assigned",
        max_length=20,
        index=True,
        description="triage, assigned, accepted, answered, completed",
    )
    department_code: str | None = Field(default=None, max_length=40, index=True)
    department_name: str | None = Field(default=None, max_length=100)
    co_handlers_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    mode: str = Field(
        default="forward", max_length=10, description="forward (转送) or assign (交办)"
    )
    rule: str = Field(max_length=60, description="the rule that matched, e.g. category:140200")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    category_code: str = Field(max_length=12)
    region_code: str = Field(max_length=12, index=True)
    matter_type: str = Field(default="appeal", max_length=20)
    accused_code: str | None = Field(default=None, max_length=40)
    confidential: bool = False
    flags_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    content: str = Field(default="", sa_column=Column(Text, nullable=False))
    petitioners_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    route_due_on: date
    routed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    queued_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    object_due_on: date | None = None
    report_due_on: date | None = None
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    answer_due_on: date | None = None
    extension_status: str | None = Field(default=None, max_length=12)
    extension_days: int | None = None
    extension_reason: str | None = Field(default=None, sa_column=Column(Text))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    outcome: str | None = Field(default=None, max_length=20)
    decision_json: str | None = Field(default=None, sa_column=Column(Text))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    misroutes: int = 0
    avoid_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))

    @property
    def co_handlers(self) -> list[str]:
        return list(json.loads(self.co_handlers_json))

    @property
    def avoid(self) -> list[str]:
        return list(json.loads(self.avoid_json))

    @property
    def petitioners(self) -> list[dict[str, Any]]:
        return list(json.loads(self.petitioners_json))


# Every column's default (None where it has none): a row inserted by an executemany must name
# every column.
ASSIGNMENT_DEFAULTS: dict[str, Any] = {
    name: None if field.is_required() else field.default
    for name, field in Assignment.model_fields.items()
}


class AuditEntry(SQLModel, table=True):
    """Who did what, when: directory changes, case actions, full views."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    actor: str = Field(max_length=100)
    action: str = Field(max_length=60, index=True)
    target: str = Field(max_length=64, index=True, description="department code or case number")
    detail_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))


def to_json(value: Any) -> str:
    """JSON text for the *_json columns."""
    return _json(value)
