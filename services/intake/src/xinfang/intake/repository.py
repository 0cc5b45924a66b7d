"""Intake's queries. Never commits: the caller's unit of work does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row, bindparam, func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import ReviewRequested
from xinfang.intake.domain.detection import EarlierCase
from xinfang.intake.models import (
    Attachment,
    CaseCounter,
    IdentityAccess,
    Petition,
    PetitionAttachment,
    Petitioner,
    TimelineEntry,
)


async def take_serials(session: AsyncSession, *, day: str, count: int = 1) -> range:
    """Take the next `count` serial numbers of `day` in one atomic upsert, unique across
    instances (the row stays locked until the caller's transaction ends)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(CaseCounter)
        .values(day=day, last=count)
        .on_conflict_do_update(index_elements=["day"], set_={"last": col(CaseCounter.last) + count})
        .returning(col(CaseCounter.last))
    )
    last = int((await session.exec(statement)).scalar_one())  # type: ignore[call-overload]
    return range(last - count + 1, last + 1)


async def get_petition(session: AsyncSession, *, case_no: str) -> Petition | None:
    return await session.get(Petition, case_no)


PETITION = Petition.__table__  # type: ignore[attr-defined]
TIMELINE = TimelineEntry.__table__  # type: ignore[attr-defined]
# The columns the case view keeps from the other services' events; nothing else writes them
# after registration.
VIEW_COLUMNS = (
    "status",
    "status_zh",
    "department_code",
    "department_name",
    "deadline_kind",
    "deadline_due_on",
    "deadline_scheduled_at",
    "answered_at",
    "answer_stage",
    "finalised",
    "updated_at",
)


def _case_views_query() -> sa.Select[Any]:
    """Built once: a statement object caches its compiled form, building one costs more than
    running it."""
    t = TIMELINE.c
    placed = (
        sa.select(func.max(t.at))
        .where(
            t.case_no == PETITION.c.case_no,
            t.event_type.in_(bindparam("placements", expanding=True)),
        )
        .scalar_subquery()
    )
    columns = [PETITION.c[name] for name in VIEW_COLUMNS]
    cases = PETITION.c.case_no.in_(bindparam("case_nos", expanding=True))
    return sa.select(PETITION.c.case_no, *columns, placed).where(cases)


CASE_VIEWS = _case_views_query()


async def case_views(
    session: AsyncSession, *, case_nos: set[str], placements: tuple[str, ...]
) -> dict[str, Row[Any]]:
    """The view columns of these cases and the time of each one's latest placement (routed,
    transferred) on the timeline, by case number; cases that do not exist are left out."""
    params = {"case_nos": list(case_nos), "placements": list(placements)}
    rows = (await session.exec(CASE_VIEWS, params=params)).all()  # type: ignore[call-overload]
    return {row[0]: row[1:] for row in rows}


SAVE_CASE_VIEW = update(PETITION).where(PETITION.c.case_no == bindparam("case"))
ADD_TIMELINE = insert(TIMELINE)


async def save_case_views(session: AsyncSession, *, rows: list[dict[str, Any]]) -> None:
    """Write cases' view columns, one executemany; each row holds `case` (the case number) and
    the same columns."""
    if rows:
        await session.exec(SAVE_CASE_VIEW, params=rows)  # type: ignore[call-overload]


async def add_timeline_rows(session: AsyncSession, *, rows: list[dict[str, Any]]) -> None:
    """Insert timeline entries in the order given (their ids keep it), one executemany."""
    if rows:
        await session.exec(ADD_TIMELINE, params=rows)  # type: ignore[call-overload]


async def timeline(session: AsyncSession, *, case_no: str) -> list[TimelineEntry]:
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.case_no == case_no)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    return list((await session.exec(query)).all())


async def review_requested_since(session: AsyncSession, *, case_no: str, since: datetime) -> bool:
    """True when the petitioner asked for review or re-review of the case since `since`."""
    query = select(TimelineEntry.id).where(
        TimelineEntry.case_no == case_no,
        TimelineEntry.event_type == ReviewRequested.TYPE,
        col(TimelineEntry.at) >= since,
    )
    return (await session.exec(query.limit(1))).first() is not None


async def petitioners(session: AsyncSession, *, case_no: str) -> list[Petitioner]:
    query = (
        select(Petitioner).where(Petitioner.case_no == case_no).order_by(col(Petitioner.position))
    )
    return list((await session.exec(query)).all())


async def earlier_cases(
    session: AsyncSession, *, refs: set[str], since: datetime, closed_after: datetime
) -> list[EarlierCase]:
    """Cases of any of these petitioners received since `since`, for the repeat rules, each with
    its petitioners among `refs` (one indexed query for a whole batch of registrations).

    A case counts as closed when refused, finalised, or answered before `closed_after` (its
    review window lapsed).
    """
    if not refs:
        return []
    p = Petition
    query = (
        select(  # type: ignore[call-overload]
            p.case_no,
            p.content,
            p.request,
            p.reasons,
            p.received_at,
            p.receiving_level,
            p.finalised,
            p.refusal_kind,
            p.answered_at,
            Petitioner.ref,
        )
        .join(Petitioner, col(Petitioner.case_no) == col(p.case_no))
        .where(col(Petitioner.ref).in_(refs), col(p.received_at) >= since)
    )
    found: dict[str, tuple[Any, set[str]]] = {}
    for row in (await session.exec(query)).all():
        found.setdefault(row.case_no, (row, set()))[1].add(row.ref)
    return [
        EarlierCase(
            case_no=row.case_no,
            text=" ".join(t for t in (row.content, row.request, row.reasons) if t),
            received_at=row.received_at,
            office_level=row.receiving_level,
            finalised=row.finalised,
            closed=row.refusal_kind is not None
            or row.finalised
            or (row.answered_at is not None and row.answered_at < closed_after),
            refs=frozenset(matched),
        )
        for row, matched in found.values()
    ]


async def known_attachments(session: AsyncSession, *, hashes: list[str]) -> set[str]:
    if not hashes:
        return set()
    query = select(Attachment.sha256).where(col(Attachment.sha256).in_(hashes))
    return set((await session.exec(query)).all())


async def case_attachments(session: AsyncSession, *, case_no: str) -> list[PetitionAttachment]:
    query = select(PetitionAttachment).where(PetitionAttachment.case_no == case_no)
    return list((await session.exec(query)).all())


async def identity_reads(
    session: AsyncSession, *, case_no: str | None, limit: int
) -> list[IdentityAccess]:
    query = select(IdentityAccess).order_by(col(IdentityAccess.id).desc()).limit(limit)
    if case_no:
        query = query.where(IdentityAccess.case_no == case_no)
    return list((await session.exec(query)).all())
