"""A case loaded for a command: the caller's view of it checked, its shield, the clock, and
the helpers every command uses (emit through the feed, audit, status and shielding checks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.auth import Principal
from xinfang.common.clock import CHINA_TZ
from xinfang.common.errors import ApiError, not_found
from xinfang.common.events import Event
from xinfang.routing import repository
from xinfang.routing.domain.directory import Directory
from xinfang.routing.domain.shielding import Shield, may_see
from xinfang.routing.handlers.feed import emit
from xinfang.routing.handlers.placing import shield_of
from xinfang.routing.models import Assignment

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing


@dataclass
class Case:
    """A case loaded for a command, with what the command needs around it."""

    session: AsyncSession
    row: Assignment
    directory: Directory
    shield: Shield
    now: datetime
    routing: Routing
    principal: Principal

    async def emit(self, event: Event) -> None:
        await emit(
            self.session, event, source=self.routing.source, now=self.now, shield=self.shield
        )

    def audit(self, action: str, **detail: object) -> None:
        repository.audit(
            self.session,
            at=self.now,
            actor=self.principal.sub,
            action=action,
            target=self.row.case_no,
            **detail,
        )

    @property
    def today(self) -> date:
        """The day in China."""
        return self.now.astimezone(CHINA_TZ).date()


def conflict(code: str, zh: str, en: str, field: str | None = None) -> ApiError:
    """A 409 in the one error shape."""
    return ApiError(409, code, zh, en, field)


@asynccontextmanager
async def open_case(
    routing: Routing, principal: Principal, case_no: str, *, lead_only: bool = True
) -> AsyncIterator[Case]:
    """Load a case the caller may see (404 otherwise, as if it did not exist) in a transaction."""
    async with routing.db.transaction() as session:
        row = await repository.get_assignment(session, case_no=case_no, for_update=True)
        directory = await routing.store.current(session)
        shield = shield_of(directory, row) if row is not None else Shield()
        if row is None or not may_see(
            principal, shield=shield, lead=row.department_code, co_handlers=row.co_handlers
        ):
            raise not_found("该信访件", "case")
        if lead_only and principal.department != row.department_code:
            raise ApiError(
                403, "not_lead", "仅主办单位可执行此操作", "only the lead department may do this"
            )
        yield Case(session, row, directory, shield, routing.clock.now(), routing, principal)


def require(row: Assignment, *statuses: str) -> None:
    if row.status not in statuses:
        raise conflict(
            "wrong_status",
            f"当前状态（{row.status}）不允许此操作",
            f"not allowed while the case is {row.status}; needs {', '.join(statuses)}",
            "status",
        )


def check_shield(shield: Shield, code: str) -> None:
    """409 for a human's pick the shield forbids (the rules lift instead of refusing)."""
    if shield.blocks(code):
        raise conflict(
            "conflict_of_interest",
            "该单位是被检举控告单位或其下属单位，须回避",
            "the department is the accused unit or one it leads and must not handle the case",
            "department_code",
        )
