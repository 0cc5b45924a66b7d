"""Routing's tables and API schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from xinfang.common.db import UTCDateTime

# --- tables -------------------------------------------------------------------------------


class Assignment(SQLModel, table=True):
    """A petition's lead department, as routing decided it: one per case."""

    id: str = Field(primary_key=True, max_length=36, description="uuid4, opaque to departments")
    case_no: str = Field(max_length=64, unique=True)
    department_code: str = Field(max_length=40, index=True)
    department_name: str = Field(max_length=100)
    mode: str = Field(
        default="forward", max_length=10, description="forward (转送) or assign (交办)"
    )
    status: str = Field(default="assigned", max_length=20, description="assigned or triage")
    rule: str = Field(max_length=40, description="the rule that matched, e.g. category:140200")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    category_code: str = Field(max_length=12)
    region_code: str = Field(max_length=12, index=True)
    routed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


# --- API schemas ----------------------------------------------------------------------------


class DepartmentPublic(BaseModel):
    """A handling unit; its code is the last token of its NATS subjects."""

    code: str
    name: str
    level: str = PField(description="city, district or street")
    kind: str = PField(description="government, petition_bureau, politics_law, discipline, …")
    parent: str | None = PField(description="code of the leading unit, if any")


class AssignmentPublic(BaseModel):
    """Where a petition was routed, by which rule, and why."""

    model_config = ConfigDict(from_attributes=True)

    case_no: str
    department_code: str
    department_name: str
    mode: str = PField(description="forward (转送) or assign (交办)")
    status: str = PField(description="assigned, or triage when the petition bureau sorts it out")
    rule: str = PField(description="the routing rule that matched, or triage")
    reason: str = PField(description="why this department, in words")
    category_code: str
    region_code: str
    routed_at: datetime
