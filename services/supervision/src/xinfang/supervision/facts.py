"""Reading the facts KPIs, ledgers and the dashboard need, in one query per question."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import aliased
from sqlmodel import and_, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.supervision.kpis import CaseFacts
from xinfang.supervision.models import CaseRecord, Deadline


async def case_facts(
    session: AsyncSession,
    *,
    since: date | None = None,
    until: date | None = None,
    department: str | None = None,
    region: str | None = None,
) -> list[CaseFacts]:
    """The facts of cases received in [since, until], optionally of one department or region."""
    notice, handling = aliased(Deadline), aliased(Deadline)
    query = (
        select(*COLUMNS, notice.status, handling.status)  # type: ignore[call-overload]
        .outerjoin(
            notice, and_(notice.case_no == CaseRecord.case_no, notice.kind == "acceptance_notice")
        )
        .outerjoin(
            handling, and_(handling.case_no == CaseRecord.case_no, handling.kind == "handling")
        )
        .where(col(CaseRecord.received_on).is_not(None))
    )
    if since is not None:
        query = query.where(col(CaseRecord.received_on) >= since)
    if until is not None:
        query = query.where(col(CaseRecord.received_on) <= until)
    if department is not None:
        query = query.where(CaseRecord.department_code == department)
    if region is not None:
        query = query.where(col(CaseRecord.region_code).startswith(region))
    rows = (await session.exec(query)).all()  # plain rows, not entities: KPIs read many
    return [_facts(*row) for row in rows]


COLUMNS = (
    CaseRecord.case_no,
    CaseRecord.department_code,
    CaseRecord.region_code,
    CaseRecord.channel,
    CaseRecord.received_on,
    CaseRecord.routed_on,
    CaseRecord.accepted_on,
    CaseRecord.answered_on,
    CaseRecord.rating,
    CaseRecord.repeat,
    CaseRecord.objections,
    CaseRecord.review_requests,
)


def _facts(
    case_no: str,
    department: str | None,
    region: str | None,
    channel: str | None,
    received: date | None,
    routed: date | None,
    accepted: date | None,
    answered: date | None,
    rating: str | None,
    repeat: bool,
    objections: int,
    reviews: int,
    notice: str | None,
    handling: str | None,
) -> CaseFacts:
    return CaseFacts(
        case_no=case_no,
        department_code=department,
        region_code=region,
        channel=channel,
        received_on=received,
        routed=routed is not None,
        accepted_on=accepted,
        answered_on=answered,
        notice_status=notice,
        handling_status=handling,
        rating=rating,
        repeat=bool(repeat),
        objections=objections,
        review_requests=reviews,
    )
