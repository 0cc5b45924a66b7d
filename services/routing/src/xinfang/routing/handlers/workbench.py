"""The department workbench's commands before the answer: accept, object, transfer, ask for an
extension; and the bureau's extension decision.

Each command is one unit of work: the case changes, its event is emitted (shielding checked) and
the action is audited, or nothing happens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from xinfang.common.auth import Principal
from xinfang.common.errors import ApiError
from xinfang.common.events import (
    AssignmentAccepted,
    AssignmentObjected,
    AssignmentTransferred,
    ExtensionDecided,
    ExtensionRequested,
)
from xinfang.common.workdays import add_days, add_working_days
from xinfang.routing import schemas
from xinfang.routing.domain.rules import decide
from xinfang.routing.handlers.cases import check_shield, conflict, open_case, require
from xinfang.routing.handlers.placing import OBJECTION_WORKING_DAYS, facts_of, place
from xinfang.routing.models import Assignment, to_json

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing

HANDLING_DAYS = 60


async def accept(*, routing: Routing, principal: Principal, case_no: str) -> Assignment:
    """受理: the lead department accepts; the 60-day handling clock starts."""
    async with open_case(routing, principal, case_no) as case:
        require(case.row, "assigned")
        case.row.status, case.row.accepted_at = "accepted", case.now
        case.row.answer_due_on = add_days(case.today, HANDLING_DAYS).last_day
        await case.emit(
            AssignmentAccepted(
                case_no=case_no,
                department_code=case.row.department_code or "",
                accepted_at=case.now,
            )
        )
        case.audit("case.accepted", department=case.row.department_code)
        return case.row


async def object_to(
    *, routing: Routing, principal: Principal, case_no: str, command: schemas.Reasoned
) -> Assignment:
    """异议: within 5 working days, not ours → back to routing, a misroute, re-routed elsewhere."""
    async with open_case(routing, principal, case_no) as case:
        row = case.row
        require(row, "assigned")
        if row.object_due_on is not None and case.today > row.object_due_on:
            raise ApiError(
                422,
                "objection_too_late",
                f"异议须在收到后{OBJECTION_WORKING_DAYS}个工作日内提出（截至{row.object_due_on}）",
                f"objections are due by {row.object_due_on} (5 working days)",
                "reason",
            )
        objecting = row.department_code or ""
        await case.emit(
            AssignmentObjected(
                case_no=case_no,
                department_code=objecting,
                reason=command.reason,
                objected_at=case.now,
            )
        )
        row.misroutes += 1
        row.avoid_json = to_json(sorted({*row.avoid, objecting}))
        decision = decide(
            case.directory, facts_of(row), shield=case.shield, avoid=frozenset(row.avoid)
        )
        await place(case.session, row, decision, routing=routing, shield=case.shield, now=case.now)
        routing.misroutes.labels(objecting).inc()
        case.audit(
            "case.objected",
            department=objecting,
            reason=command.reason,
            rerouted_to=row.department_code,
        )
        return row


async def transfer(
    *, routing: Routing, principal: Principal, case_no: str, command: schemas.Transfer
) -> Assignment:
    """转办: the lead hands the case to another unit, with a reason; never to a shielded one."""
    async with open_case(routing, principal, case_no) as case:
        row = case.row
        require(row, "assigned", "accepted")
        target = case.directory.get(command.department_code)
        if target is None or target.code == row.department_code:
            raise ApiError(
                422,
                "unknown_department",
                "接收单位不存在或与本单位相同",
                "no such other department",
                "department_code",
            )
        check_shield(case.shield, target.code)
        source = row.department_code or ""
        row.department_code, row.department_name, row.status = target.code, target.name, "assigned"
        row.accepted_at = row.answer_due_on = None
        row.object_due_on = add_working_days(case.today, OBJECTION_WORKING_DAYS).last_day
        row.routed_at = case.now
        row.reason = f"由{source}转来：{command.reason}"
        await case.emit(
            AssignmentTransferred(
                case_no=case_no,
                department_code=target.code,
                from_department=source,
                department_name=target.name,
                reason=command.reason,
                transferred_at=case.now,
            )
        )
        case.audit(
            "case.transferred", from_department=source, to=target.code, reason=command.reason
        )
        return row


async def request_extension(
    *, routing: Routing, principal: Principal, case_no: str, command: schemas.ExtensionRequest
) -> Assignment:
    """延期: once, at most 30 days, with a reason; the bureau decides."""
    async with open_case(routing, principal, case_no) as case:
        row = case.row
        require(row, "accepted")
        if row.extension_status is not None:
            raise conflict(
                "extension_used", "延期只能申请一次", "an extension may be asked for once", "days"
            )
        row.extension_status, row.extension_days, row.extension_reason = (
            "requested",
            command.days,
            command.reason,
        )
        await case.emit(
            ExtensionRequested(
                case_no=case_no,
                department_code=row.department_code or "",
                days=command.days,
                reason=command.reason,
                requested_at=case.now,
            )
        )
        case.audit("extension.requested", days=command.days, reason=command.reason)
        return row


async def decide_extension(
    *, routing: Routing, principal: Principal, case_no: str, command: schemas.ExtensionDecision
) -> Assignment:
    """The bureau (supervisor) approves or refuses a requested extension."""
    async with open_case(routing, principal, case_no, lead_only=False) as case:
        row = case.row
        if row.extension_status != "requested":
            raise conflict(
                "no_extension_request",
                "没有待审批的延期申请",
                "no extension is waiting",
                "approved",
            )
        row.extension_status = "approved" if command.approved else "refused"
        if command.approved and row.answer_due_on is not None:
            row.answer_due_on += timedelta(days=row.extension_days or 0)
        await case.emit(
            ExtensionDecided(
                case_no=case_no,
                department_code=row.department_code or "",
                approved=command.approved,
                days=row.extension_days or 0,
                reason=command.reason,
                decided_at=case.now,
            )
        )
        case.audit("extension.decided", approved=command.approved, reason=command.reason)
        return row
