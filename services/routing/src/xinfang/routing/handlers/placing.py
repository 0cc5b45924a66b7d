"""Placing a case: the routing decision on `petition.received`, and `place`, which every path
that (re)assigns a case uses (re-routing after an objection, the clerk's triage assignment)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.clock import CHINA_TZ
from xinfang.common.events import (
    Envelope,
    Event,
    PetitionerRef,
    PetitionReceived,
    PetitionRouted,
    PetitionTriaged,
)
from xinfang.common.events.routing import CoHandlingRequested
from xinfang.common.logging import get_logger
from xinfang.common.workdays import add_days, add_working_days
from xinfang.routing import repository
from xinfang.routing.domain.directory import Directory
from xinfang.routing.domain.rules import Decision, Facts, decide
from xinfang.routing.domain.shielding import Shield, shield_for
from xinfang.routing.handlers.feed import emit
from xinfang.routing.models import ASSIGNMENT_DEFAULTS, Assignment, to_json

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing

log = get_logger(__name__)
PETITIONERS = TypeAdapter(list[PetitionerRef])

ROUTE_DAYS = 15  # 转送/交办 within 15 days of registration
OBJECTION_WORKING_DAYS = 5  # 异议 within 5 working days of receipt
REPORT_DAYS = 60  # 交办: report back within the handling time unless the bureau sets another


def facts_of(row: Assignment) -> Facts:
    """What the rules need of a stored case."""
    return _facts(
        region_code=row.region_code,
        category_code=row.category_code,
        matter_type=row.matter_type,
        accused=row.accused_code,
        flags=json.loads(row.flags_json),
    )


def _facts(
    *,
    region_code: str,
    category_code: str,
    matter_type: str,
    accused: str | None,
    flags: dict[str, Any],
) -> Facts:
    return Facts(
        region_code=region_code,
        category_code=category_code,
        matter_type=matter_type,
        court_related=bool(flags.get("court_related")),
        accused=accused,
        important=any(flags.get(f) for f in ("urgent", "collective", "leapfrog")),
    )


def received_facts(event: PetitionReceived) -> Facts:
    """What the rules need of a received petition."""
    return _facts(
        region_code=event.region_code,
        category_code=event.category_code,
        matter_type=event.matter_type,
        accused=event.accused.department_code if event.accused else None,
        flags=event.flags.model_dump(),
    )


def shield_of(directory: Directory, row: Assignment) -> Shield:
    """The shield of a stored case, on the current directory (units added later included)."""
    return shield_for(
        directory, accused=row.accused_code, accusation=row.matter_type == "accusation"
    )


def received(event: PetitionReceived) -> dict[str, Any]:
    """A case as received, not yet placed, as a row (every column); its routing deadline counted
    from registration. A row rather than an `Assignment`: building one cost more than deciding."""
    received_on = event.received_at.astimezone(CHINA_TZ).date()
    return ASSIGNMENT_DEFAULTS | {
        "id": str(uuid.uuid4()),
        "case_no": event.case_no,
        "status": "new",
        "rule": "",
        "reason": "",
        "category_code": event.category_code,
        "region_code": event.region_code,
        "matter_type": event.matter_type,
        "accused_code": event.accused.department_code if event.accused else None,
        "confidential": event.flags.confidential,
        "flags_json": event.flags.model_dump_json(),  # pydantic's JSON: a third of json.dumps
        "title": event.title,
        "content": event.content,
        "petitioners_json": PETITIONERS.dump_json(event.petitioners).decode(),
        "received_at": event.received_at,
        "route_due_on": add_days(received_on, ROUTE_DAYS).last_day,
    }


async def on_petition_received(
    session: AsyncSession, event: Event, envelope: Envelope, *, routing: Routing
) -> None:
    """Decide where a received petition goes, store it and announce it, in one transaction."""
    assert isinstance(event, PetitionReceived)
    if event.refused is not None:
        # Intake refused it at registration (不予受理 / 不再受理 / redirected): nothing to route.
        log.info("refused_petition_not_routed", case_no=event.case_no, refused=event.refused)
        return
    if await repository.is_known(session, case_no=event.case_no):
        # Another event for a known case (re-sent by intake, say): the first decision stands.
        log.info("petition_already_routed", case_no=event.case_no, event_id=envelope.id)
        return
    directory, facts = await routing.store.current(session), received_facts(event)
    accusation = facts.matter_type == "accusation"
    shield = shield_for(directory, accused=facts.accused, accusation=accusation)
    decision, now = decide(directory, facts, shield=shield), routing.clock.now()
    row = received(event) | placement(decision, now=now)
    repository.add_new(session, row)
    await announce(session, event.case_no, decision, row, routing=routing, shield=shield, now=now)


async def place(
    session: AsyncSession,
    row: Assignment,
    decision: Decision,
    *,
    routing: Routing,
    shield: Shield,
    now: datetime,
) -> None:
    """Apply a decision to a stored case: the triage queue, or its lead department and
    co-handlers."""
    values = placement(decision, now=now)
    for name, value in values.items():
        setattr(row, name, value)
    await announce(session, row.case_no, decision, values, routing=routing, shield=shield, now=now)


def placement(decision: Decision, *, now: datetime) -> dict[str, Any]:
    """The columns a decision sets: the triage queue, or the lead department, co-handlers and
    the department's clocks."""
    values = {"rule": decision.rule, "reason": decision.reason}
    if decision.lead is None:
        return values | {
            "status": "triage",
            "queued_at": now,
            "department_code": None,
            "department_name": None,
            "co_handlers_json": "[]",
        }
    today = now.astimezone(CHINA_TZ).date()
    assigning = decision.mode == "assign"
    return values | {
        "status": "assigned",
        "mode": decision.mode,
        "routed_at": now,
        "queued_at": None,
        "department_code": decision.lead.code,
        "department_name": decision.lead.name,
        "co_handlers_json": to_json([d.code for d in decision.co_handlers]),
        "object_due_on": add_working_days(today, OBJECTION_WORKING_DAYS).last_day,
        "report_due_on": add_days(today, REPORT_DAYS).last_day if assigning else None,
        "accepted_at": None,
        "answer_due_on": None,
    }


async def announce(
    session: AsyncSession,
    case_no: str,
    decision: Decision,
    values: dict[str, Any],
    *,
    routing: Routing,
    shield: Shield,
    now: datetime,
) -> None:
    """Emit what a decision tells: triaged, or routed and a co-handling request to each
    co-handler."""
    if decision.lead is None:
        triaged = PetitionTriaged(case_no=case_no, reason=decision.reason, queued_at=now)
        await emit(session, triaged, source=routing.source, now=now, shield=shield)
        routing.decisions.labels("triage").inc()
        log.info("petition_triaged", case_no=case_no, rule=decision.rule)
        return
    routed = PetitionRouted(
        case_no=case_no,
        department_code=decision.lead.code,
        department_name=decision.lead.name,
        mode=decision.mode,
        rule=decision.rule,
        reason=decision.reason,
        routed_at=now,
        co_handlers=[d.code for d in decision.co_handlers],
        report_due_on=values["report_due_on"],
    )
    await emit(session, routed, source=routing.source, now=now, shield=shield)
    for co in decision.co_handlers:
        request = CoHandlingRequested(
            case_no=case_no,
            department_code=co.code,
            department_name=co.name,
            lead_department=decision.lead.code,
            reason=decision.reason,
            requested_at=now,
        )
        await emit(session, request, source=routing.source, now=now, shield=shield)
    routing.decisions.labels("routed").inc()
    log.info("petition_routed", case_no=case_no, department=decision.lead.code, rule=decision.rule)
