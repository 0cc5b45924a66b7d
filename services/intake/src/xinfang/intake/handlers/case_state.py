"""The cases the case view changes within one unit of work (a consumer's batch of events).

The batch's cases are read together at the first event, only the columns the view keeps, and
changed in memory; just before the
commit the columns that changed are written, one executemany for the cases that changed the same
ones, and the batch's timeline entries by one more, as the outbox does. A whole `Petition`
loaded, flushed and reloaded per event cost most of intake's time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.db import before_commit
from xinfang.common.events import AssignmentTransferred, Envelope, PetitionRouted, PoisonMessage
from xinfang.common.messaging.consumer import batch_cases
from xinfang.intake import repository
from xinfang.intake.handlers.timeline import timeline_row

PLACEMENTS = (PetitionRouted.TYPE, AssignmentTransferred.TYPE)
CASES, STEPS = "case_view_cases", "case_view_steps"  # keys of session.info


@dataclass
class CaseState:
    """A petition's view columns (repository.VIEW_COLUMNS, in that order) as this unit of work
    leaves them, and when it was last placed (not a column: read from the timeline)."""

    status: str
    status_zh: str | None
    department_code: str | None
    department_name: str | None
    deadline_kind: str | None
    deadline_due_on: date | None
    deadline_scheduled_at: datetime | None
    answered_at: datetime | None
    answer_stage: str | None
    finalised: bool
    updated_at: datetime | None
    placed_at: datetime | None
    read: tuple[Any, ...] = field(init=False, repr=False)  # the view columns as read

    def __post_init__(self) -> None:
        self.read = tuple(getattr(self, name) for name in repository.VIEW_COLUMNS)

    def placed_after(self, at: datetime) -> bool:
        """Whether a placement later than `at` is on the timeline (this unit of work's too)."""
        return self.placed_at is not None and self.placed_at > at

    def changes(self) -> dict[str, Any]:
        """The view columns changed since they were read: only those are written, so another
        instance applying another event of the case at the same moment keeps its own change."""
        columns = zip(repository.VIEW_COLUMNS, self.read, strict=True)
        return {name: new for name, old in columns if (new := getattr(self, name)) != old}


async def case_state(session: AsyncSession, case_no: str) -> CaseState:
    """The case as this unit of work has it, read on first use with the batch's other cases; a
    case intake never registered is a poison message."""
    cases: dict[str, CaseState] = session.info.setdefault(CASES, {})
    if case_no not in cases:
        wanted = {case_no} | (batch_cases(session) - cases.keys())
        rows = await repository.case_views(session, case_nos=wanted, placements=PLACEMENTS)
        cases.update({found: CaseState(*row) for found, row in rows.items()})
        before_commit(session, _write)
    if case_no not in cases:
        raise PoisonMessage(f"no petition {case_no} in intake")
    return cases[case_no]


def add_step(
    session: AsyncSession, case: CaseState, envelope: Envelope, details: dict[str, Any]
) -> None:
    """Add the event's entry to the case's public timeline (written before the commit)."""
    session.info.setdefault(STEPS, []).append(timeline_row(envelope, details))
    if envelope.type in PLACEMENTS and not case.placed_after(envelope.time):
        case.placed_at = envelope.time


async def _write(session: AsyncSession) -> None:
    alike: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for case_no, case in session.info.pop(CASES, {}).items():
        if changes := case.changes():
            alike[tuple(changes)].append(changes | {"case": case_no})
    for rows in alike.values():
        await repository.save_case_views(session, rows=rows)
    await repository.add_timeline_rows(session, rows=session.info.pop(STEPS, []))
