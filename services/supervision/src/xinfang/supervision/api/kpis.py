"""KPIs per department, region level, channel and month (formulas in `xinfang.supervision.kpis`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from xinfang.common.web import ERROR_RESPONSES
from xinfang.supervision import domain, kpis
from xinfang.supervision.api.deps import DeadlineReader, SupervisionDep
from xinfang.supervision.facts import case_facts

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


class KpiReport(BaseModel):
    group_by: str
    formula: str
    since: date | None
    until: date | None
    names_zh: dict[str, str]
    groups: dict[str, dict[str, float | None]]


@router.get("/kpis", tags=["kpis"], summary="KPIs by department, region level, channel or month")
async def kpi_report(
    _: DeadlineReader,
    supervision: SupervisionDep,
    group_by: Annotated[kpis.GroupBy, Query()] = "department",
    since: Annotated[date | None, Query(alias="from", description="received on or after")] = None,
    until: Annotated[date | None, Query(alias="to", description="received on or before")] = None,
    department: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=12, pattern="^[0-9]+$")] = None,
) -> KpiReport:
    """Each KPI for each group of cases received in the period; `None` where nothing to assess."""
    ctx = supervision.ctx
    async with supervision.db.reading() as session:
        facts = await case_facts(
            session, since=since, until=until, department=department, region=region
        )
    groups = kpis.by_group(
        facts,
        group_by=group_by,
        today=domain.china_day(ctx.clock.now()),
        formula=ctx.formula,  # type: ignore[arg-type]
        rating_window_days=ctx.rating_window_days,
    )
    return KpiReport(
        group_by=group_by,
        formula=ctx.formula,
        since=since,
        until=until,
        names_zh=kpis.KPI_ZH,
        groups=groups,
    )
