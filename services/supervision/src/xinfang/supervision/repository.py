"""Supervision's queries. Never commits: the caller's unit of work does."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.supervision.domain import DeadlineKind, DeadlineStatus
from xinfang.supervision.models import Deadline


async def get_deadline(
    session: AsyncSession, *, case_no: str, kind: DeadlineKind
) -> Deadline | None:
    query = select(Deadline).where(Deadline.case_no == case_no, Deadline.kind == kind.value)
    return (await session.exec(query)).first()


async def case_deadlines(session: AsyncSession, *, case_no: str) -> list[Deadline]:
    """Every deadline of a case, soonest first."""
    query = (
        select(Deadline)
        .where(Deadline.case_no == case_no)
        .order_by(col(Deadline.due_on), col(Deadline.id))
    )
    return list((await session.exec(query)).all())


async def open_deadlines(
    session: AsyncSession, *, due_by: date | None, kind: DeadlineKind | None, limit: int
) -> list[Deadline]:
    """Open deadlines due on or before `due_by` (all of them without it), soonest first."""
    query = select(Deadline).where(Deadline.status == DeadlineStatus.OPEN.value)
    if due_by is not None:
        query = query.where(col(Deadline.due_on) <= due_by)
    if kind is not None:
        query = query.where(Deadline.kind == kind.value)
    query = query.order_by(col(Deadline.due_on), col(Deadline.case_no), col(Deadline.id))
    return list((await session.exec(query.limit(limit))).all())
