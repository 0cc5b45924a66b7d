"""Notify's queries. Never commits: the caller's unit of work does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.notify.models import Notice, NoticeCase


async def get_case(session: AsyncSession, *, case_no: str) -> NoticeCase | None:
    return await session.get(NoticeCase, case_no)


async def get_notice(
    session: AsyncSession, *, notice_id: str, for_update: bool = False
) -> Notice | None:
    return await session.get(Notice, notice_id, with_for_update=for_update)


async def find_notice(
    session: AsyncSession, *, case_no: str, notice_type: str, recipient_hash: str, step: str
) -> Notice | None:
    """The notice with this unique key, if one was already made."""
    query = select(Notice).where(
        Notice.case_no == case_no,
        Notice.notice_type == notice_type,
        Notice.recipient_hash == recipient_hash,
        Notice.step == step,
    )
    return (await session.exec(query)).first()


async def notices_of_case(session: AsyncSession, *, case_no: str) -> list[Notice]:
    query = (
        select(Notice)
        .where(Notice.case_no == case_no)
        .order_by(col(Notice.created_at), col(Notice.id))
    )
    return list((await session.exec(query)).all())


def _due(now: datetime) -> ColumnElement[bool]:
    free = or_(col(Notice.locked_until).is_(None), col(Notice.locked_until) < now)
    return and_(Notice.status == "pending", col(Notice.next_attempt_at) <= now, free)


async def any_due(session: AsyncSession, *, now: datetime) -> bool:
    """Whether a notice is due and free: a read that spares the write lock when none is."""
    query = select(col(Notice.id)).where(_due(now)).limit(1)
    return (await session.exec(query)).first() is not None


async def claim_due(
    session: AsyncSession, *, now: datetime, until: datetime, limit: int
) -> list[str]:
    """Lease up to `limit` due notices until `until`; returns the ids this caller got.

    The lease is re-checked by the UPDATE itself, so of two instances racing for a notice only
    one gets it (PostgreSQL re-evaluates the condition on the locked row; SQLite has one writer).
    """
    due = select(col(Notice.id)).where(_due(now)).order_by(col(Notice.next_attempt_at)).limit(limit)
    claim = (
        update(Notice)
        .where(col(Notice.id).in_(due), _due(now))
        .values(locked_until=until)
        .returning(col(Notice.id))
        .execution_options(synchronize_session=False)
    )
    return list((await session.exec(claim)).scalars().all())


async def count_pending(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Notice).where(Notice.status == "pending")
    return (await session.exec(query)).one()
