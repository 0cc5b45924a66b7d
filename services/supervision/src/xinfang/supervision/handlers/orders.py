"""Supervision orders (督办单), improvement recommendations (改进建议), escalation, alerts."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import AlertRaised, SupervisionEscalated, SupervisionOrderIssued
from xinfang.common.messaging.outbox import add_event
from xinfang.supervision import domain
from xinfang.supervision.context import Context
from xinfang.supervision.handlers.cases import note
from xinfang.supervision.models import Alert, CaseRecord, SupervisionOrder
from xinfang.supervision.store import OrderRow, Store

KIND_ZH = {"order": "督办单", "recommendation": "改进建议"}


async def issue_order(
    s: AsyncSession,
    *,
    case_no: str,
    department_code: str,
    reason: str,
    ctx: Context,
    kind: str = "order",
    deadline_kind: str | None = None,
    issued_by: str = "system",
    feedback_days: int | None = None,
) -> OrderRow:
    """Issue an order to `department_code` with a feedback deadline; unanswered, it escalates."""
    now = ctx.clock.now()
    today = domain.china_day(now)
    feedback_due = today + timedelta(days=feedback_days or ctx.feedback_days)
    order = Store.of(s).new_order(
        order_id=f"DB{uuid.uuid4().hex[:16].upper()}",
        case_no=case_no,
        department_code=department_code,
        kind=kind,
        reason=reason,
        deadline_kind=deadline_kind,
        issued_on=today,
        feedback_due_on=feedback_due,
        issued_by=issued_by,
        next_escalate_on=feedback_due + timedelta(days=1) if ctx.ladder else None,
        created_at=now,
    )
    event = SupervisionOrderIssued(
        case_no=case_no,
        order_id=order.order_id,
        department_code=department_code,
        reason=reason,
        feedback_due_on=feedback_due,
        issued_by=issued_by,
        kind=kind,  # type: ignore[arg-type]
        deadline_kind=deadline_kind,
    )
    add_event(s, event, source=ctx.source, now=now)
    note(
        s,
        case_no=case_no,
        what=f"order:{kind}",
        at=now,
        text=f"向{department_code}发出{KIND_ZH.get(kind, kind)}"
        f"（反馈期限{feedback_due}）：{reason}",
    )
    return order


def escalation_values(order: SupervisionOrder, *, ctx: Context, today: date) -> dict | None:
    """The next ladder step's changes, or None when the ladder is exhausted."""
    if order.step >= len(ctx.ladder):
        return None
    last = order.step + 1 >= len(ctx.ladder)
    return {
        "step": order.step + 1,
        "step_name": ctx.ladder[order.step],
        "next_escalate_on": None if last else today + timedelta(days=ctx.step_days),
    }


async def announce_escalation(
    s: AsyncSession, order: SupervisionOrder, step: str, ctx: Context
) -> None:
    """`supervision.escalated`, naming the case's responsible leader (包案) when there is one."""
    now = ctx.clock.now()
    case = await s.get(CaseRecord, order.case_no)
    event = SupervisionEscalated(
        case_no=order.case_no,
        order_id=order.order_id,
        step=step,  # type: ignore[arg-type]
        department_code=order.department_code,
        responsible_leader=case.responsible_leader if case else None,
    )
    add_event(s, event, source=ctx.source, now=now)
    note(
        s,
        case_no=order.case_no,
        what="escalated",
        at=now,
        text=f"督办单{order.order_id}逾期未反馈，升级至{STEP_ZH.get(step, step)}",
    )


STEP_ZH = {
    "department_head": "单位主要负责人",
    "responsible_leader": "包案领导",
    "public_notice": "通报",
}


async def raise_alert(
    s: AsyncSession,
    *,
    key: str,
    kind: str,
    summary: str,
    ctx: Context,
    case_no: str | None = None,
    region_code: str | None = None,
    category_code: str | None = None,
) -> Alert | None:
    """An early warning, raised once per `key`."""
    if (await s.exec(select(Alert).where(Alert.key == key))).first() is not None:
        return None
    now = ctx.clock.now()
    alert = Alert(
        alert_id=f"AL{uuid.uuid4().hex[:16].upper()}",
        key=key,
        kind=kind,
        summary=summary,
        case_no=case_no,
        region_code=region_code,
        category_code=category_code,
        raised_at=now,
    )
    s.add(alert)
    await s.flush()
    add_event(
        s,
        AlertRaised(
            case_no=case_no,
            alert_id=alert.alert_id,
            kind=kind,
            summary=summary,
            region_code=region_code,
            category_code=category_code,
            raised_at=now,
        ),
        source=ctx.source,
        now=now,
    )
    return alert
