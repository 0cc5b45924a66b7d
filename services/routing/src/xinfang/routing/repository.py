"""Routing's queries. Never commits: the caller's unit of work does."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.routing.models import Assignment


async def get_assignment(session: AsyncSession, *, case_no: str) -> Assignment | None:
    query = select(Assignment).where(Assignment.case_no == case_no)
    return (await session.exec(query)).first()
