"""Early warnings: the alert list and the units' daily zero-reports (零报告)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from xinfang.common.auth import Role
from xinfang.common.errors import ApiError
from xinfang.common.web import ERROR_RESPONSES
from xinfang.supervision import domain
from xinfang.supervision.api.deps import DeadlineReader, OrderReader, SupervisionDep
from xinfang.supervision.models import Alert, ZeroReport

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


class AlertPublic(BaseModel):
    alert_id: str
    kind: str
    summary: str
    case_no: str | None
    region_code: str | None
    category_code: str | None
    raised_at: datetime


@router.get("/alerts", tags=["early warnings"], summary="Early warnings, newest first")
async def alerts(
    _: DeadlineReader,
    supervision: SupervisionDep,
    kind: Annotated[
        str | None, Query(pattern="^(collective|cluster|sensitive_period|zero_report|calendar)$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertPublic]:
    """Collective petitions, clusters, missing zero-reports and calendar gaps."""
    query = select(Alert).order_by(col(Alert.raised_at).desc()).limit(limit)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    async with supervision.db.reading() as session:
        rows = (await session.exec(query)).all()
    return [AlertPublic(**r.model_dump()) for r in rows]


class ZeroReportCreate(BaseModel):
    """有事报事、无事报平安: `has_matters` false is the zero-report proper."""

    unit_code: str = Field(min_length=1, max_length=40)
    has_matters: bool = False
    note: str | None = Field(default=None, max_length=2000)


class ZeroReportPublic(BaseModel):
    unit_code: str
    day: date
    has_matters: bool
    note: str | None
    reported_at: datetime


@router.post(
    "/zero-reports", tags=["early warnings"], summary="File today's zero-report", status_code=201
)
async def file_zero_report(
    body: ZeroReportCreate, who: OrderReader, supervision: SupervisionDep
) -> ZeroReportPublic:
    """A unit's report for today (China time); once per unit and day."""
    if not who.has_any(Role.SUPERVISOR, Role.ADMIN) and who.department != body.unit_code:
        raise ApiError(403, "forbidden", "只能为本单位报送", "only for your own unit", "unit_code")
    now = supervision.clock.now()
    row = ZeroReport(
        unit_code=body.unit_code,
        day=domain.china_day(now),
        has_matters=body.has_matters,
        note=body.note,
        reported_at=now,
    )
    try:
        async with supervision.db.transaction() as session:
            session.add(row)
    except IntegrityError as exc:
        raise ApiError(
            409, "already_reported", "本单位今日已报送", "already reported today", "unit_code"
        ) from exc
    return ZeroReportPublic(**row.model_dump())


@router.get("/zero-reports", tags=["early warnings"], summary="Zero-reports of a day")
async def zero_reports(
    _: DeadlineReader,
    supervision: SupervisionDep,
    day: Annotated[
        date | None, Query(description="YYYY-MM-DD, China time; today if absent")
    ] = None,
) -> dict[str, object]:
    """Who reported on `day` and who has not yet."""
    day = day or domain.china_day(supervision.clock.now())
    async with supervision.db.reading() as session:
        rows = (await session.exec(select(ZeroReport).where(ZeroReport.day == day))).all()
    reported = [ZeroReportPublic(**r.model_dump()) for r in rows]
    done = {r.unit_code for r in rows}
    missing = [u for u in supervision.ctx.early.units if u not in done]
    return {"day": day, "reported": reported, "missing": missing}
