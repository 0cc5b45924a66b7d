"""A case's timeline and its clocks' pause and resume (hearings)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.errors import ApiError, not_found
from xinfang.common.web import ERROR_RESPONSES
from xinfang.supervision import handlers, repository
from xinfang.supervision.api.deps import DeadlineReader, SupervisionDep, Supervisor
from xinfang.supervision.api.routes import public
from xinfang.supervision.domain import CaseStatus, DeadlineKind, DeadlineStatus
from xinfang.supervision.models import CaseRecord, Deadline, DeadlinePublic

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
CaseNo = Annotated[str, Path(min_length=1, max_length=32, description="信访件编号")]


class TimelineLine(BaseModel):
    at: datetime
    what: str
    text: str


class Timeline(BaseModel):
    """A case as supervision sees it: status, every deadline with its basis, every step."""

    case_no: str
    status: str | None
    status_zh: str | None
    profile: str
    department_code: str | None
    overdue: bool
    finalised: bool
    responsible_leader: str | None
    deadlines: list[DeadlinePublic]
    entries: list[TimelineLine]


@router.get("/cases/{case_no}/timeline", tags=["cases"], summary="A case's full timeline")
async def timeline(case_no: CaseNo, _: DeadlineReader, supervision: SupervisionDep) -> Timeline:
    """Status, every deadline with how it was computed, and each step in order."""
    async with supervision.db.reading() as session:
        case = await session.get(CaseRecord, case_no)
        if case is None:
            raise not_found("信访件", "case")
        rows = await repository.case_deadlines(session, case_no=case_no)
        entries = await repository.timeline(session, case_no=case_no)
    status = CaseStatus(case.status) if case.status else None
    return Timeline(
        case_no=case_no,
        status=status.value if status else None,
        status_zh=status.zh if status else None,
        profile=case.profile,
        department_code=case.department_code,
        overdue=case.overdue,
        finalised=case.finalised,
        responsible_leader=case.responsible_leader,
        deadlines=[public(r) for r in rows],
        entries=[TimelineLine(at=e.at, what=e.what, text=e.text) for e in entries],
    )


class PauseRequest(BaseModel):
    reason: str = Field(min_length=2, max_length=500, description="e.g. 听证")


@router.post(
    "/cases/{case_no}/deadlines/{kind}/pause",
    tags=["deadlines"],
    summary="Pause a clock (hearing)",
)
async def pause(
    case_no: CaseNo,
    kind: DeadlineKind,
    body: PauseRequest,
    _: Supervisor,
    supervision: SupervisionDep,
) -> DeadlinePublic:
    """Stop a running clock from today (China time); no warning or overdue fires meanwhile."""
    async with supervision.db.transaction() as session:
        row = await _deadline(session, case_no, kind, DeadlineStatus.OPEN, "pause")
        await handlers.pause(session, row, supervision.ctx)
    return public(row)


@router.post(
    "/cases/{case_no}/deadlines/{kind}/resume",
    tags=["deadlines"],
    summary="Resume a paused clock",
)
async def resume(
    case_no: CaseNo, kind: DeadlineKind, _: Supervisor, supervision: SupervisionDep
) -> DeadlinePublic:
    """Start the clock again; the days it stood still are added and the date is recounted."""
    async with supervision.db.transaction() as session:
        row = await _deadline(session, case_no, kind, DeadlineStatus.PAUSED, "resume")
        await handlers.resume(session, row, supervision.ctx)
    return public(row)


async def _deadline(
    session: AsyncSession, case_no: str, kind: DeadlineKind, need: DeadlineStatus, verb: str
) -> Deadline:
    row = await repository.get_deadline(session, case_no=case_no, kind=kind)
    if row is None:
        raise not_found("期限", "deadline")
    if row.status != need.value:
        raise ApiError(
            409,
            "deadline_state",
            f"该期限当前状态为{row.status}，不能执行此操作",
            f"cannot {verb} a deadline that is {row.status}",
            field="kind",
        )
    return row
