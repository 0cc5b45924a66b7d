"""Operators: load a year's holiday notice and recount the provisional deadlines."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from xinfang.common.web import ERROR_RESPONSES
from xinfang.supervision.api.deps import Operator, SupervisionDep

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


class CalendarReload(BaseModel):
    years: list[int]
    recounted: int


@router.post("/admin/calendars/reload", tags=["admin"], summary="Reload the calendar files")
async def reload_calendars(_: Operator, supervision: SupervisionDep) -> CalendarReload:
    """Read `calendar_dir` again and recount every provisional deadline its years now cover
    (each re-announced with `deadline.scheduled`). The scheduler also does this by itself."""
    years = supervision.ctx.reload_calendar()
    recounted = await supervision.scheduler.recount_provisional()
    return CalendarReload(years=sorted(years), recounted=recounted)
