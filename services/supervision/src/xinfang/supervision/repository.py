"""Supervision's queries. Never commits: the caller's unit of work does."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.supervision.domain import DeadlineKind, DeadlineStatus
from xinfang.supervision.models import CaseRecord, Deadline, SupervisionOrder, TimelineEntry


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
    session: AsyncSession,
    *,
    due_by: date | None,
    kind: DeadlineKind | None,
    limit: int,
    department: str | None = None,
) -> list[Deadline]:
    """Open deadlines due on or before `due_by` (all of them without it), soonest first."""
    query = select(Deadline).where(Deadline.status == DeadlineStatus.OPEN.value)
    if due_by is not None:
        query = query.where(col(Deadline.due_on) <= due_by)
    if kind is not None:
        query = query.where(Deadline.kind == kind.value)
    if department is not None:
        query = query.where(Deadline.department_code == department)
    query = query.order_by(col(Deadline.due_on), col(Deadline.case_no), col(Deadline.id))
    return list((await session.exec(query.limit(limit))).all())


async def deadlines_in_status(
    session: AsyncSession, *, status: DeadlineStatus, department: str | None, limit: int
) -> list[Deadline]:
    """Deadlines in `status` (e.g. overdue), oldest due first."""
    query = select(Deadline).where(Deadline.status == status.value)
    if department is not None:
        query = query.where(Deadline.department_code == department)
    query = query.order_by(col(Deadline.due_on), col(Deadline.id)).limit(limit)
    return list((await session.exec(query)).all())


async def deadlines_to_check(session: AsyncSession, *, today: date, limit: int) -> list[Deadline]:
    """Timers come due: open deadlines whose next check is today or earlier."""
    query = (
        select(Deadline)
        .where(col(Deadline.next_check_on) <= today, Deadline.status == DeadlineStatus.OPEN.value)
        .order_by(col(Deadline.next_check_on), col(Deadline.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


# What firing a deadline's timer needs of its row.
TIMER_COLUMNS = ("id", "case_no", "kind", "department_code", "starts_on", "due_on", "warned")


async def due_deadlines(session: AsyncSession, *, today: date, limit: int) -> list[Any]:
    """Up to `limit` timers come due, soonest first, held by this transaction until it commits.

    On PostgreSQL the rows are locked (FOR UPDATE) and rows another instance holds are skipped
    (SKIP LOCKED; one it fired and committed meanwhile no longer matches). SQLite runs one write
    transaction at a time (BEGIN IMMEDIATE), so no other instance reads them before this one
    commits. `write_back` moves each timer on in the same transaction: each fires once.
    """
    table = Deadline.__table__  # type: ignore[attr-defined]
    query = (
        select(*(table.c[name] for name in TIMER_COLUMNS))
        .where(table.c.next_check_on <= today, table.c.status == DeadlineStatus.OPEN.value)
        .order_by(table.c.next_check_on)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    connection = await session.connection()
    return list((await connection.execute(query)).all())


async def write_back(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Store the fired timers' new values and a new `version` (as a claim would): one
    executemany by primary key for each set of columns changed (SQLite rewrites the index entries
    of every column set, so a warning does not set `status`)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in changes:
        groups.setdefault(tuple(sorted(values)), []).append(values)
    connection = await session.connection()
    for columns, params in groups.items():
        await connection.execute(_write_back(columns), params)


@lru_cache(maxsize=16)
def _write_back(columns: tuple[str, ...]) -> Any:
    table = Deadline.__table__  # type: ignore[attr-defined]
    values: dict[str, Any] = {name: bindparam(name) for name in columns if name != "b_id"}
    values["version"] = table.c.version + 1
    return update(table).where(table.c.id == bindparam("b_id")).values(values)


async def claim(session: AsyncSession, row: Deadline | SupervisionOrder, values: dict) -> bool:
    """Apply `values` only if nobody changed the row since it was read (its `version`).

    The conditional UPDATE is the claim: of several instances that read the same timer, exactly
    one updates it; the others see 0 rows and fire nothing.
    """
    table = type(row)
    key = (
        col(Deadline.id) == row.id
        if table is Deadline
        else (col(SupervisionOrder.order_id) == row.order_id)
    )
    statement = (
        update(table)
        .where(key, col(table.version) == row.version)  # type: ignore[attr-defined]
        .values(**values, version=row.version + 1)
        .execution_options(synchronize_session=False)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount == 1)


async def orders_to_escalate(
    session: AsyncSession, *, today: date, limit: int
) -> list[SupervisionOrder]:
    """Open orders whose feedback (or last step) is overdue."""
    query = (
        select(SupervisionOrder)
        .where(
            SupervisionOrder.status == "open",
            col(SupervisionOrder.next_escalate_on) <= today,
        )
        .order_by(col(SupervisionOrder.next_escalate_on))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def orders(
    session: AsyncSession, *, status: str | None, department: str | None, limit: int
) -> list[SupervisionOrder]:
    """Supervision orders, newest first."""
    query = select(SupervisionOrder)
    if status is not None:
        query = query.where(SupervisionOrder.status == status)
    if department is not None:
        query = query.where(SupervisionOrder.department_code == department)
    query = query.order_by(col(SupervisionOrder.created_at).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def timeline(session: AsyncSession, *, case_no: str) -> list[TimelineEntry]:
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.case_no == case_no)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    return list((await session.exec(query)).all())


async def provisional_deadlines(session: AsyncSession, *, limit: int) -> list[Deadline]:
    """Running deadlines counted without an official calendar."""
    query = (
        select(Deadline)
        .where(
            col(Deadline.provisional).is_(True),
            col(Deadline.status).in_([DeadlineStatus.OPEN.value, DeadlineStatus.OVERDUE.value]),
        )
        .order_by(col(Deadline.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def count_due(session: AsyncSession, *, today: date) -> int:
    """How many deadline timers are due (the scheduler's queue)."""
    query = (
        select(func.count())
        .select_from(Deadline)
        .where(col(Deadline.next_check_on) <= today, Deadline.status == DeadlineStatus.OPEN.value)
    )
    return int((await session.exec(query)).one())


async def count_open_orders(session: AsyncSession) -> int:
    query = (
        select(func.count()).select_from(SupervisionOrder).where(SupervisionOrder.status == "open")
    )
    return int((await session.exec(query)).one())


async def overdue_by_department(session: AsyncSession) -> dict[str, int]:
    """How many cases are marked overdue, per responsible department."""
    query = (
        select(CaseRecord.department_code, func.count())
        .where(col(CaseRecord.overdue), col(CaseRecord.department_code).is_not(None))
        .group_by(CaseRecord.department_code)
    )
    return {str(code): int(n) for code, n in (await session.exec(query)).all()}


async def case_departments(session: AsyncSession) -> list[str]:
    """The departments that hold cases (a bounded set: the directory's)."""
    query = (
        select(CaseRecord.department_code)
        .where(col(CaseRecord.department_code).is_not(None))
        .distinct()
    )
    return [d for d in (await session.exec(query)).all() if d]
