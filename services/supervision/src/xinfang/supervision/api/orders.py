"""Supervision orders by hand, improvement recommendations, feedback, responsible leaders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from xinfang.common.auth import Role
from xinfang.common.errors import ApiError, not_found
from xinfang.common.web import ERROR_RESPONSES
from xinfang.supervision import domain, repository
from xinfang.supervision.api.deps import OrderReader, SupervisionDep, Supervisor
from xinfang.supervision.handlers.cases import note
from xinfang.supervision.handlers.orders import issue_order
from xinfang.supervision.models import CaseRecord, SupervisionOrder
from xinfang.supervision.store import Store

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
CaseNo = Annotated[str, Path(min_length=1, max_length=32, description="信访件编号")]


class OrderCreate(BaseModel):
    """A supervisor's 督办单 or 改进建议 (Art. 40)."""

    kind: Literal["order", "recommendation"] = "order"
    department_code: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=2, max_length=2000)
    feedback_days: int | None = Field(default=None, ge=1, le=90)


class OrderPublic(BaseModel):
    order_id: str
    case_no: str
    department_code: str
    kind: str
    reason: str
    deadline_kind: str | None
    issued_on: date
    feedback_due_on: date
    issued_by: str
    status: str
    step: int
    step_name: str | None
    feedback: str | None
    answered_on: date | None
    created_at: datetime


class Feedback(BaseModel):
    feedback: str = Field(min_length=2, max_length=4000, description="the department's answer")


class LeaderAssignment(BaseModel):
    """包案: a leader personally owns the case; `plan` is the resolution plan for the ledger."""

    leader: str = Field(min_length=1, max_length=60)
    plan: str | None = Field(default=None, max_length=4000)


@router.post(
    "/cases/{case_no}/orders",
    tags=["orders"],
    summary="Issue a supervision order or recommendation",
    status_code=201,
)
async def create_order(
    case_no: CaseNo, body: OrderCreate, who: Supervisor, supervision: SupervisionDep
) -> OrderPublic:
    """A 督办单 (or 改进建议) to a department, with a feedback deadline; it escalates unanswered."""
    async with supervision.db.transaction() as session:
        if await session.get(CaseRecord, case_no) is None:
            raise not_found("信访件", "case")
        order = await issue_order(
            session,
            case_no=case_no,
            department_code=body.department_code,
            reason=body.reason,
            kind=body.kind,
            issued_by=who.sub,
            feedback_days=body.feedback_days,
            ctx=supervision.ctx,
        )
    return OrderPublic(**vars(order))


@router.get("/orders", tags=["orders"], summary="The supervision-order register")
async def list_orders(
    who: OrderReader,
    supervision: SupervisionDep,
    status: Annotated[str | None, Query(pattern="^(open|answered|resolved)$")] = None,
    department: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderPublic]:
    """Orders newest first; a department handler sees only its own department's."""
    if who.has_any(Role.HANDLER) and not who.has_any(Role.SUPERVISOR, Role.LEADER, Role.ADMIN):
        department = who.department or "-"
    async with supervision.db.reading() as session:
        rows = await repository.orders(session, status=status, department=department, limit=limit)
    return [OrderPublic(**r.model_dump()) for r in rows]


@router.post("/orders/{order_id}/feedback", tags=["orders"], summary="Answer an order")
async def answer_order(
    order_id: Annotated[str, Path(max_length=40)],
    body: Feedback,
    who: OrderReader,
    supervision: SupervisionDep,
) -> OrderPublic:
    """The department's written feedback; the order stops escalating."""
    async with supervision.db.transaction() as session:
        order = await session.get(SupervisionOrder, order_id)
        if order is None:
            raise not_found("督办单", "supervision order")
        _may_answer(who, order)
        order.status, order.feedback = "answered", body.feedback
        order.answered_on = domain.china_day(supervision.clock.now())
        order.next_escalate_on, order.version = None, order.version + 1
        session.add(order)
        note(
            session,
            case_no=order.case_no,
            what="order:answered",
            at=supervision.clock.now(),
            text=f"{order.department_code}反馈督办单{order.order_id}：{body.feedback[:200]}",
        )
    return OrderPublic(**vars(order))


def _may_answer(who: object, order: SupervisionOrder) -> None:
    from xinfang.common.auth import Principal

    assert isinstance(who, Principal)
    if who.has_any(Role.SUPERVISOR, Role.ADMIN):
        pass
    elif not (who.has_any(Role.HANDLER) and who.department == order.department_code):
        raise ApiError(403, "forbidden", "只能反馈本单位的督办单", "not your department's order")
    if order.status != "open":
        raise ApiError(409, "order_closed", "该督办单已办结", f"the order is {order.status}")


@router.put("/cases/{case_no}/leader", tags=["orders"], summary="Assign a responsible leader")
async def assign_leader(
    case_no: CaseNo, body: LeaderAssignment, _: Supervisor, supervision: SupervisionDep
) -> dict[str, str | None]:
    """包案: name the leader who personally owns the case, and the plan (for the ledger)."""
    now = supervision.clock.now()
    async with supervision.db.transaction() as session:
        case = await Store.of(session).case(case_no)
        if case is None:
            raise not_found("信访件", "case")
        case.responsible_leader, case.plan = body.leader, body.plan
        note(session, case_no=case_no, what="leader", at=now, text=f"包案领导：{body.leader}")
    return {"case_no": case_no, "responsible_leader": body.leader, "plan": body.plan}
