"""Intake's queries. Never commits: the caller's unit of work does."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.intake.models import CaseCounter, Petition, TimelineEntry


async def next_serial(session: AsyncSession, *, day: str) -> int:
    """Take the next serial number of `day`; the row lock makes it unique across instances."""
    counter = await session.get(CaseCounter, day, with_for_update=True)
    if counter is None:
        counter = CaseCounter(day=day, last=0)
        session.add(counter)
    counter.last += 1
    await session.flush()
    return counter.last


async def get_petition(session: AsyncSession, *, case_no: str) -> Petition | None:
    return await session.get(Petition, case_no)


async def timeline(session: AsyncSession, *, case_no: str) -> list[TimelineEntry]:
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.case_no == case_no)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    return list((await session.exec(query)).all())
