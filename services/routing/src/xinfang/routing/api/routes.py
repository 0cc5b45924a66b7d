"""Routing's API: the department directory and where each petition was routed."""

from __future__ import annotations

from fastapi import APIRouter

from xinfang.common.errors import not_found
from xinfang.common.web import ERROR_RESPONSES
from xinfang.routing import domain, repository
from xinfang.routing.api.deps import AssignmentReader, RoutingDep
from xinfang.routing.models import AssignmentPublic, DepartmentPublic

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.get("/departments", tags=["directory"], summary="The department directory")
async def departments(routing: RoutingDep) -> list[DepartmentPublic]:
    """Every unit petitions can be routed to. Public.

    A department's `code` is the last token of its subjects: it receives its cases on
    `xinfang.petition.routed.<code>`.
    """
    return [
        DepartmentPublic(code=d.code, name=d.name, level=d.level, kind=d.kind, parent=d.parent)
        for d in routing.directory.departments.values()
    ]


@router.get(
    "/assignments/{case_no}",
    tags=["assignments"],
    summary="Where a petition was routed, and why",
)
async def assignment(
    case_no: str, routing: RoutingDep, principal: AssignmentReader
) -> AssignmentPublic:
    """The lead department of a case, the rule that chose it, the reason in words and when.

    Supervisors, clerks, leaders and operators see every case; a department handler sees only
    its own department's, and any other case answers 404 as if it did not exist.
    """
    async with routing.db.reading() as session:
        row = await repository.get_assignment(session, case_no=case_no)
    if row is None or not domain.may_see(principal, row.department_code):
        raise not_found("该信访件的转送记录", "assignment")
    return AssignmentPublic.model_validate(row)
