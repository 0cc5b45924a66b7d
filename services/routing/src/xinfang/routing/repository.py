"""Routing's queries. Never commits: the caller's unit of work does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.db import before_commit
from xinfang.common.messaging.consumer import batch_cases
from xinfang.routing.models import Assignment, AuditEntry, WebhookDelivery, WebhookEndpoint, to_json

ASSIGNMENT = Assignment.__table__  # type: ignore[attr-defined]
NEW_CASES = "new_cases"  # session.info: case number -> row to insert before the commit
STORED = "stored_cases"  # session.info: case number -> whether it was stored, as looked up


async def get_assignment(
    session: AsyncSession, *, case_no: str, for_update: bool = False
) -> Assignment | None:
    """The case; `for_update` locks its row until the unit of work ends (PostgreSQL)."""
    query = select(Assignment).where(Assignment.case_no == case_no)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


# Built once: a statement caches its compiled form, and building one costs more than running it.
KNOWN_CASES = select(ASSIGNMENT.c.case_no).where(
    ASSIGNMENT.c.case_no.in_(bindparam("case_nos", expanding=True))
)
INSERT_CASE = insert(ASSIGNMENT)


async def is_known(session: AsyncSession, *, case_no: str) -> bool:
    """Whether the case is stored, or added earlier in this unit of work; the batch's cases are
    looked up together, with the first."""
    stored: dict[str, bool] = session.info.setdefault(STORED, {})
    if case_no not in stored:
        asked = {case_no} | (batch_cases(session) - stored.keys())
        found = await session.exec(KNOWN_CASES, params={"case_nos": list(asked)})  # type: ignore[call-overload]
        stored.update(dict.fromkeys(asked, False) | dict.fromkeys(found.all(), True))
    return stored[case_no] or case_no in session.info.get(NEW_CASES, {})


def add_new(session: AsyncSession, row: dict[str, Any]) -> None:
    """Store a new case (a row of every column): the unit of work's new cases are inserted
    together by one executemany just before it commits (an ORM flush per case cost more than the
    routing decision)."""
    session.info.setdefault(NEW_CASES, {})[row["case_no"]] = row
    before_commit(session, _insert_new)


async def _insert_new(session: AsyncSession) -> None:
    rows = list(session.info.pop(NEW_CASES, {}).values())
    if rows:
        await session.exec(INSERT_CASE, params=rows)  # type: ignore[call-overload]


OPEN_STATUSES = ("assigned", "accepted")


async def department_assignments(
    session: AsyncSession, *, department: str, open_only: bool = False, limit: int = 200
) -> list[Assignment]:
    """Cases a department leads or co-handles, oldest routing first (shielding is the caller's)."""
    query = (
        select(Assignment)
        .where(
            or_(
                Assignment.department_code == department,
                col(Assignment.co_handlers_json).contains(f'"{department}"'),
            )
        )
        .order_by(col(Assignment.routed_at))
        .limit(limit)
    )
    if open_only:
        query = query.where(col(Assignment.status).in_(OPEN_STATUSES))
    return list((await session.exec(query)).all())


async def triage_queue(session: AsyncSession, *, limit: int = 200) -> list[Assignment]:
    """Cases waiting for a clerk, oldest first."""
    query = (
        select(Assignment)
        .where(Assignment.status == "triage")
        .order_by(col(Assignment.received_at), col(Assignment.case_no))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


def audit(
    session: AsyncSession, *, at: datetime, actor: str, action: str, target: str, **detail: Any
) -> None:
    """Record who did what to which department or case."""
    session.add(
        AuditEntry(at=at, actor=actor, action=action, target=target, detail_json=to_json(detail))
    )


async def audit_of(session: AsyncSession, *, target: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.target == target).order_by(col(AuditEntry.id))
    return list((await session.exec(query)).all())


async def has_webhook(session: AsyncSession, *, department: str) -> bool:
    """Whether the department takes its feed by webhook; read once per unit of work."""
    if "webhook_departments" not in session.info:
        query = select(WebhookEndpoint.department_code).where(col(WebhookEndpoint.active))
        session.info["webhook_departments"] = set((await session.exec(query)).all())
    return department in session.info["webhook_departments"]


async def due_deliveries(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[WebhookDelivery]:
    """Pending webhook deliveries whose next attempt is due, oldest first."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", col(WebhookDelivery.next_attempt_at) <= now)
        .order_by(col(WebhookDelivery.created_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())
