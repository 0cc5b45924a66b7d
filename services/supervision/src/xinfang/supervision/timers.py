"""Firing due deadline timers: a graded warning, or what a clock running out means.

Pure of scheduling: the `Scheduler` takes the due rows and writes back the values returned here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import DeadlineMissed, DeadlineWarned, PoisonMessage
from xinfang.common.logging import get_logger
from xinfang.common.messaging.outbox import add_event
from xinfang.supervision import domain
from xinfang.supervision.context import Context
from xinfang.supervision.domain import (
    DUTIES,
    WINDOWS,
    CaseStatus,
    DeadlineKind,
    DeadlineStatus,
    TooEarly,
)
from xinfang.supervision.handlers import review
from xinfang.supervision.handlers.cases import case_of, set_status
from xinfang.supervision.handlers.orders import issue_order

log = get_logger(__name__)

K = DeadlineKind

OVERDUE_STATUS = {
    K.HANDLING: CaseStatus.ANSWER_OVERDUE,
    K.REVIEW_DECISION: CaseStatus.REVIEW_OVERDUE,
    K.RE_REVIEW_DECISION: CaseStatus.RE_REVIEW_OVERDUE,
}
LAPSED_STATUS = {
    K.REVIEW_REQUEST: CaseStatus.REVIEW_LAPSED,
    K.RE_REVIEW_REQUEST: CaseStatus.RE_REVIEW_LAPSED,
}


def values_of(row: Any, **changes: Any) -> dict[str, Any]:
    """A fired row's new values for the bulk write-back, keyed by its id (`b_id`)."""
    return {"b_id": row.id, "next_check_on": None} | changes


class DeadlineTimers:
    """What each timer does when it fires, bound to the shared context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._day: date | None = None
        self._schedules: dict[tuple[date, date, int], tuple[str | None, int, date]] = {}

    async def fire(self, s: AsyncSession, rows: list[Any], today: date, result: Any) -> list[dict]:
        """Announce what came due for these due deadlines (their events stamped with one moment,
        as one transaction writes them); returns each row's new values."""
        now = self.ctx.clock.now()
        changes = []
        for row in rows:
            if today > row.due_on:
                changes.append(await self._expire(s, row, today, result))
            else:
                changes.append(self._warn(s, row, today, now, result))
        return changes

    def _warn(self, s: AsyncSession, row: Any, today: date, now: datetime, result: Any) -> dict:
        level, warned, next_on = self._warning(row, today)
        if level is not None:
            event = DeadlineWarned(
                case_no=row.case_no,
                kind=row.kind,
                due_on=row.due_on,
                level=level,
                department_code=row.department_code,
            )
            add_event(s, event, source=self.ctx.source, now=now)
            result.warned += 1
        return {"b_id": row.id, "warned": warned, "next_check_on": next_on}

    def _warning(self, row: Any, today: date) -> tuple[str | None, int, date]:
        """The level to announce (if any), the new `warned` count and the next check; many
        deadlines of a tick share their dates, so each answer is kept (cleared each day)."""
        if today != self._day or len(self._schedules) > 10_000:
            self._day, self._schedules = today, {}
        key = (row.starts_on, row.due_on, row.warned)
        if key not in self._schedules:
            level, warned = domain.warning_due(
                self.ctx.levels, starts_on=key[0], due_on=key[1], warned=key[2], today=today
            )
            next_on = domain.next_check(
                self.ctx.levels, starts_on=key[0], due_on=key[1], warned=warned
            )
            self._schedules[key] = (level.name if level else None, warned, next_on)
        return self._schedules[key]

    async def _expire(self, s: AsyncSession, row: Any, today: date, result: Any) -> dict:
        kind = DeadlineKind(row.kind)
        if kind in WINDOWS:
            await self._lapse(s, row, kind)
            return values_of(row, status=DeadlineStatus.LAPSED.value, settled_on=today)
        await self._miss(s, row, kind)
        result.missed += 1
        return values_of(row, status=DeadlineStatus.OVERDUE.value)

    async def _lapse(self, s: AsyncSession, row: Any, kind: DeadlineKind) -> None:
        """A petitioner's window closed unused: after an answer, the matter ends (办理终结)."""
        if kind not in LAPSED_STATUS:
            return
        at = self.ctx.clock.now()
        case = await case_of(s, row.case_no, at=at)
        if self._moved(s, case, LAPSED_STATUS[kind]):
            await review.finalise(
                s,
                case,
                reason="申请期限届满未申请，办理终结 (window lapsed)",
                at=at,
                source=self.ctx.source,
            )

    async def _miss(self, s: AsyncSession, row: Any, kind: DeadlineKind) -> None:
        """Overdue: announced, the case marked, and a duty's department gets a 督办单."""
        at = self.ctx.clock.now()
        add_event(
            s,
            DeadlineMissed(
                case_no=row.case_no,
                kind=row.kind,
                due_on=row.due_on,
                department_code=row.department_code,
            ),
            source=self.ctx.source,
            now=at,
        )
        case = await case_of(s, row.case_no, at=at)
        case.overdue = True
        if kind in OVERDUE_STATUS:
            self._moved(s, case, OVERDUE_STATUS[kind])
        if kind in DUTIES and row.department_code:
            rule = domain.RULES[kind]
            await issue_order(
                s,
                case_no=row.case_no,
                department_code=row.department_code,
                ctx=self.ctx,
                deadline_kind=row.kind,
                reason=f"{rule.name_zh}超期：期限{row.due_on}已过，请说明情况并限期办理。"
                f"{rule.name_zh} overdue since {row.due_on}.",
            )

    def _moved(self, s: AsyncSession, case: object, target: CaseStatus) -> bool:
        try:
            return set_status(
                s,
                case,
                target,
                at=self.ctx.clock.now(),  # type: ignore[arg-type]
                source=self.ctx.source,
            )
        except (
            PoisonMessage,
            TooEarly,
        ) as exc:  # the timer still fired; the status stays where it was
            log.warning("scheduler_status_refused", error=str(exc))
            return False

    # --- orders -----------------------------------------------------------------------------
