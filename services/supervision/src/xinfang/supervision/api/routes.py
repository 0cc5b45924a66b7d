"""Supervision's API: the deadlines of a case, and open deadlines due by a day."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from xinfang.common.web import ERROR_RESPONSES
from xinfang.supervision import domain, repository
from xinfang.supervision.api.deps import DeadlineReader, SupervisionDep
from xinfang.supervision.domain import DeadlineKind
from xinfang.supervision.models import Deadline, DeadlinePublic

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.get(
    "/cases/{case_no}/deadlines", tags=["deadlines"], summary="The legal deadlines of a case"
)
async def case_deadlines(
    case_no: Annotated[str, Path(min_length=1, max_length=32, description="信访件编号")],
    _: DeadlineReader,
    supervision: SupervisionDep,
) -> list[DeadlinePublic]:
    """Every deadline recorded on the case, soonest first.

    A case supervision has not heard of yet has none, so the list is empty rather than 404.
    """
    async with supervision.db.reading() as session:
        rows = await repository.case_deadlines(session, case_no=case_no)
    return [public(row) for row in rows]


@router.get("/deadlines", tags=["deadlines"], summary="Open deadlines due by a day")
async def open_deadlines(
    _: DeadlineReader,
    supervision: SupervisionDep,
    due_before: Annotated[
        date | None,
        Query(description="only deadlines due on or before this day (YYYY-MM-DD, China time)"),
    ] = None,
    kind: Annotated[DeadlineKind | None, Query(description="only this clock")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeadlinePublic]:
    """Open deadlines, soonest first; without `due_before`, every open one up to `limit`."""
    async with supervision.db.reading() as session:
        rows = await repository.open_deadlines(session, due_by=due_before, kind=kind, limit=limit)
    return [public(row) for row in rows]


def public(row: Deadline) -> DeadlinePublic:
    """A deadline row as the API shows it."""
    kind = DeadlineKind(row.kind)
    return DeadlinePublic(
        **row.model_dump(exclude={"kind"}), kind=kind, kind_zh=domain.RULES[kind].name_zh
    )
