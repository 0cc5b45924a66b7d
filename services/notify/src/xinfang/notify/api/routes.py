"""Notify's API: the notices of a case and how their delivery stands."""

from __future__ import annotations

from fastapi import APIRouter

from xinfang.common.errors import not_found
from xinfang.common.web import ERROR_RESPONSES
from xinfang.notify import repository
from xinfang.notify.api.deps import NoticeReader, NotifyDep
from xinfang.notify.models import NoticePublic

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.get(
    "/cases/{case_no}/notices",
    tags=["notices"],
    summary="The notices of a case (supervisor, operator)",
)
async def case_notices(case_no: str, notify: NotifyDep, _: NoticeReader) -> list[NoticePublic]:
    """Every notice made for the case, oldest first: type, channel, masked recipient, status,
    attempts, and when it was delivered or why it last failed.

    404 when notify has not heard of the case.
    """
    async with notify.db.reading() as session:
        case = await repository.get_case(session, case_no=case_no)
        notices = await repository.notices_of_case(session, case_no=case_no)
    if case is None and not notices:
        raise not_found("信访件", "case")
    return [NoticePublic.model_validate(notice, from_attributes=True) for notice in notices]
