"""Ending the handling: the answer (信访处理意见书), a mediation or settlement agreement, and the
completion report (办结报告) of a 交办 case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xinfang.common.auth import Principal
from xinfang.common.events import CaseAnswered, CompletionReported
from xinfang.routing import schemas
from xinfang.routing.handlers.cases import Case, conflict, open_case, require
from xinfang.routing.models import Assignment, to_json

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing


async def answer(
    *, routing: Routing, principal: Principal, case_no: str, command: schemas.Answer
) -> Assignment:
    """信访处理意见书: the handling decision, with legal basis and how to ask for review."""
    async with open_case(routing, principal, case_no) as case:
        require(case.row, "accepted")
        body = command.review_body or _review_body(case)
        await _answered(
            case, command.outcome, command.facts_and_reasons, command.legal_basis, body, command
        )
        return case.row


async def mediate(
    *, routing: Routing, principal: Principal, case_no: str, command: schemas.Mediation
) -> Assignment:
    """A mediation or settlement agreement ends the handling (outcome `mediated`)."""
    async with open_case(routing, principal, case_no) as case:
        require(case.row, "accepted")
        await _answered(case, "mediated", command.agreement, command.legal_basis, None, None)
        return case.row


def _review_body(case: Case) -> str | None:
    lead = case.directory.get(case.row.department_code)
    parent = case.directory.get(lead.parent) if lead else None
    return parent.name if parent else None


async def _answered(
    case: Case,
    outcome: str,
    summary: str,
    legal_basis: str,
    review_body: str | None,
    command: schemas.Answer | None,
) -> None:
    row = case.row
    row.status, row.outcome, row.answered_at = "answered", outcome, case.now
    row.decision_json = to_json(command.model_dump() if command else {"agreement": summary})
    await case.emit(
        CaseAnswered(
            case_no=row.case_no,
            department_code=row.department_code or "",
            outcome=outcome,  # type: ignore[arg-type]
            summary=summary,
            legal_basis=legal_basis,
            review_body=review_body,
            answered_at=case.now,
            request=command.request if command else None,
            facts_and_reasons=command.facts_and_reasons if command else None,
            review_how=command.review_how if command else None,
        )
    )
    case.audit("case.answered", outcome=outcome)


async def report_completion(
    *, routing: Routing, principal: Principal, case_no: str, command: schemas.CompletionReport
) -> Assignment:
    """办结报告: a 交办 case, once answered, is closed by its completion report."""
    async with open_case(routing, principal, case_no) as case:
        row = case.row
        if row.mode != "assign":
            raise conflict(
                "not_assigned_mode",
                "仅交办件需提交办结报告",
                "only 交办 cases file a completion report",
                "mode",
            )
        require(row, "answered")
        row.status, row.completed_at = "completed", case.now
        await case.emit(
            CompletionReported(
                case_no=case_no,
                department_code=row.department_code or "",
                reported_at=case.now,
                summary=command.summary,
            )
        )
        case.audit("case.completion_reported")
        return row
