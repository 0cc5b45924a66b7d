"""Assignments: where a case went and why; the clerks' triage queue; the department workbench."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from xinfang.common.auth import Principal
from xinfang.common.errors import not_found
from xinfang.common.web import ERROR_RESPONSES
from xinfang.routing import repository, schemas
from xinfang.routing.api.deps import AssignmentReader, Clerk, Handler, RoutingDep, Supervisor
from xinfang.routing.bootstrap import Routing
from xinfang.routing.domain.shielding import may_see
from xinfang.routing.handlers import admin, answering, workbench
from xinfang.routing.handlers.placing import shield_of
from xinfang.routing.models import Assignment
from xinfang.routing.views import detail_view, public_view

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


async def visible(routing: Routing, principal: Principal, case_no: str) -> Assignment:
    """The case if the caller may see it; 404 otherwise, as if it did not exist."""
    async with routing.db.reading() as session:
        row = await repository.get_assignment(session, case_no=case_no)
        directory = await routing.store.current(session)
    if row is None or not may_see(
        principal,
        shield=shield_of(directory, row),
        lead=row.department_code,
        co_handlers=row.co_handlers,
    ):
        raise not_found("该信访件的转送记录", "assignment")
    return row


@router.get(
    "/assignments/{case_no}", tags=["assignments"], summary="Where a petition was routed, and why"
)
async def assignment(
    case_no: str, routing: RoutingDep, principal: AssignmentReader
) -> schemas.AssignmentPublic:
    """The lead department, co-handlers, the rule that chose them, the reason in words, deadlines.

    Staff see every case; a department handler only its own (lead or co-handler), never one it is
    shielded from; any other case answers 404.
    """
    return public_view(await visible(routing, principal, case_no))


# --- triage --------------------------------------------------------------------------------------


@router.get("/triage", tags=["triage"], summary="Cases routing could not place (clerks)")
async def triage(
    routing: RoutingDep, _: Clerk, limit: Annotated[int, Query(ge=1, le=500)] = 200
) -> list[schemas.AssignmentPublic]:
    """Oldest first, each with why it is here and its routing deadline (`route_due_on`)."""
    async with routing.db.reading() as session:
        rows = await repository.triage_queue(session, limit=limit)
    return [public_view(r) for r in rows]


@router.post("/triage/{case_no}/assign", tags=["triage"], summary="A clerk places a queued case")
async def triage_assign(
    case_no: str, command: schemas.TriageAssign, routing: RoutingDep, principal: Clerk
) -> schemas.AssignmentPublic:
    """Assigns the lead (and co-handlers, mode) with a reason; 409 for a shielded unit."""
    row = await admin.assign_from_triage(
        routing=routing, principal=principal, case_no=case_no, command=command
    )
    return public_view(row)


# --- workbench -----------------------------------------------------------------------------------


@router.get("/workbench/assignments", tags=["workbench"], summary="My department's cases")
async def my_assignments(
    routing: RoutingDep, principal: Handler, open_only: bool = False
) -> list[schemas.AssignmentPublic]:
    """The cases the caller's department leads or co-handles, with their deadlines, oldest
    first; `open_only` keeps those still to accept or answer."""
    return [public_view(r) for r in await department_cases(routing, principal, open_only)]


async def department_cases(
    routing: Routing, principal: Principal, open_only: bool = False
) -> list[Assignment]:
    """The department's cases the shield allows it to see."""
    async with routing.db.reading() as session:
        rows = await repository.department_assignments(
            session, department=principal.department or "", open_only=open_only
        )
        directory = await routing.store.current(session)
    return [
        r
        for r in rows
        if may_see(
            principal,
            shield=shield_of(directory, r),
            lead=r.department_code,
            co_handlers=r.co_handlers,
        )
    ]


@router.get(
    "/workbench/assignments/{case_no}", tags=["workbench"], summary="One of my department's cases"
)
async def my_assignment(
    case_no: str, routing: RoutingDep, principal: Handler
) -> schemas.AssignmentDetail:
    """The petition; petitioners masked (hidden on confidential accusations); audited."""
    row = await visible(routing, principal, case_no)
    async with routing.db.transaction() as session:
        repository.audit(
            session,
            at=routing.clock.now(),
            actor=principal.sub,
            action="case.viewed",
            target=case_no,
            department=principal.department,
        )
    return detail_view(row)


@router.post("/workbench/assignments/{case_no}/accept", tags=["workbench"], summary="Accept (受理)")
async def accept(case_no: str, routing: RoutingDep, principal: Handler) -> schemas.AssignmentPublic:
    """Emits `assignment.accepted.v1`; the 60-day handling clock starts."""
    return public_view(
        await workbench.accept(routing=routing, principal=principal, case_no=case_no)
    )


@router.post("/workbench/assignments/{case_no}/object", tags=["workbench"], summary="Object (异议)")
async def object_to(
    case_no: str, command: schemas.Reasoned, routing: RoutingDep, principal: Handler
) -> schemas.AssignmentPublic:
    """Within 5 working days: emits `assignment.objected.v1`, counts a misroute and re-routes
    the case avoiding this department (or queues it for triage)."""
    row = await workbench.object_to(
        routing=routing, principal=principal, case_no=case_no, command=command
    )
    return public_view(row)


@router.post(
    "/workbench/assignments/{case_no}/transfer", tags=["workbench"], summary="Transfer (转办)"
)
async def transfer(
    case_no: str, command: schemas.Transfer, routing: RoutingDep, principal: Handler
) -> schemas.AssignmentPublic:
    """Emits `assignment.transferred.v1` on the new department's subject; 409 if it is shielded."""
    row = await workbench.transfer(
        routing=routing, principal=principal, case_no=case_no, command=command
    )
    return public_view(row)


@router.post(
    "/workbench/assignments/{case_no}/extension",
    tags=["workbench"],
    summary="Ask for an extension (延期)",
)
async def extension(
    case_no: str, command: schemas.ExtensionRequest, routing: RoutingDep, principal: Handler
) -> schemas.AssignmentPublic:
    """Once, at most 30 days, with a reason: emits `assignment.extension_requested.v1`."""
    row = await workbench.request_extension(
        routing=routing, principal=principal, case_no=case_no, command=command
    )
    return public_view(row)


@router.post(
    "/workbench/assignments/{case_no}/answer", tags=["workbench"], summary="Answer (信访处理意见书)"
)
async def answer(
    case_no: str, command: schemas.Answer, routing: RoutingDep, principal: Handler
) -> schemas.AssignmentPublic:
    """The handling decision: emits `case.answered.v1`."""
    return public_view(
        await answering.answer(
            routing=routing, principal=principal, case_no=case_no, command=command
        )
    )


@router.post(
    "/workbench/assignments/{case_no}/mediation", tags=["workbench"], summary="Record a mediation"
)
async def mediation(
    case_no: str, command: schemas.Mediation, routing: RoutingDep, principal: Handler
) -> schemas.AssignmentPublic:
    """A mediation or settlement agreement: emits `case.answered.v1` with outcome `mediated`."""
    return public_view(
        await answering.mediate(
            routing=routing, principal=principal, case_no=case_no, command=command
        )
    )


@router.post(
    "/workbench/assignments/{case_no}/completion-report",
    tags=["workbench"],
    summary="File the completion report",
)
async def completion_report(
    case_no: str, command: schemas.CompletionReport, routing: RoutingDep, principal: Handler
) -> schemas.AssignmentPublic:
    """办结报告 of an answered 交办 case: emits `assignment.completion_reported.v1`."""
    row = await answering.report_completion(
        routing=routing, principal=principal, case_no=case_no, command=command
    )
    return public_view(row)


@router.post(
    "/extensions/{case_no}/decision", tags=["workbench"], summary="Decide an extension (bureau)"
)
async def extension_decision(
    case_no: str, command: schemas.ExtensionDecision, routing: RoutingDep, principal: Supervisor
) -> schemas.AssignmentPublic:
    """Approve or refuse: emits `assignment.extension_decided.v1`; approval moves the deadline."""
    row = await workbench.decide_extension(
        routing=routing, principal=principal, case_no=case_no, command=command
    )
    return public_view(row)
