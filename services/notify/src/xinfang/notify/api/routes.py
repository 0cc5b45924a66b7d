"""Notify's API: a case's notices and their delivery history, the dead letters an operator may
re-send, and the print queue of letters for the mailing clerk."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, Query
from fastapi.responses import Response

from xinfang.common.errors import ApiError, not_found
from xinfang.common.web import ERROR_RESPONSES
from xinfang.notify import handlers, repository
from xinfang.notify.api.deps import MailingClerk, NoticeReader, NotifyDep, Operator
from xinfang.notify.models import (
    AttemptPublic,
    Audience,
    Notice,
    NoticeHistory,
    NoticePublic,
    PrintJob,
)

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.get(
    "/cases/{case_no}/notices",
    tags=["notices"],
    summary="The notices of a case and their delivery history (supervisor, operator)",
)
async def case_notices(
    case_no: str,
    notify: NotifyDep,
    _: NoticeReader,
    audience: Audience | None = Query(default=None, description="only notices to this audience"),
) -> list[NoticeHistory]:
    """Every notice made for the case, oldest first: type, audience, channel, masked recipient,
    status, attempts, and each try with its time, channel, result and error.

    404 when notify has not heard of the case.
    """
    async with notify.db.reading() as session:
        case = await repository.get_case(session, case_no=case_no)
        notices = await repository.notices_of_case(session, case_no=case_no)
    if audience is not None:
        notices = [notice for notice in notices if notice.audience == audience]
    async with notify.db.reading() as session:
        history = await repository.attempts_of(session, notice_ids=[n.id for n in notices])
    if case is None and not notices:
        raise not_found("信访件", "case")
    return [
        NoticeHistory.model_validate(
            {
                **notice.model_dump(),
                "history": [
                    AttemptPublic.model_validate(a, from_attributes=True)
                    for a in history[notice.id]
                ],
            }
        )
        for notice in notices
    ]


@router.get(
    "/notices/dead-letters",
    tags=["operations"],
    summary="Notices given up on after every retry and fallback (operator)",
)
async def dead_letters(
    notify: NotifyDep, _: Operator, limit: int = Query(default=100, ge=1, le=1000)
) -> list[NoticePublic]:
    """Failed notices, newest first, with the last error; the recipient masked."""
    async with notify.db.reading() as session:
        notices = await repository.dead_letters(session, limit=limit)
    return [_public(notice) for notice in notices]


@router.post(
    "/notices/{notice_id}/resend",
    tags=["operations"],
    summary="Send a dead-lettered notice again (operator)",
    status_code=202,
)
async def resend(notice_id: str, notify: NotifyDep, _: Operator) -> NoticePublic:
    """Put a failed notice back in the queue on the first channel of its chain with a fresh
    round of tries. 404 unless the notice exists and has failed."""
    notice = await handlers.resend(notify, notice_id=notice_id)
    if notice is None:
        raise not_found("已失败的告知", "failed notice")
    return _public(notice)


@router.get(
    "/letters",
    tags=["letters"],
    summary="The print queue of letters (mailing clerk, operator)",
)
async def print_queue(
    notify: NotifyDep,
    _: MailingClerk,
    printed: bool = Query(default=False, description="list printed letters instead"),
    limit: int = Query(default=200, ge=1, le=1000),
) -> list[PrintJob]:
    """Letters stored for posting, oldest first; `printed=true` lists those already printed."""
    async with notify.db.reading() as session:
        notices = await repository.print_queue(session, printed=printed, limit=limit)
    return [
        PrintJob(
            notice_id=n.id,
            case_no=n.case_no,
            notice_type=n.notice_type,
            created_at=n.delivered_at or n.created_at,
            printed_at=n.printed_at,
            printed_by=n.printed_by,
        )
        for n in notices
    ]


@router.get(
    "/letters/{notice_id}.pdf",
    tags=["letters"],
    summary="Download one letter as PDF (mailing clerk, operator)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def letter_pdf(notice_id: str, notify: NotifyDep, _: MailingClerk) -> Response:
    """The stored PDF of a letter. 404 if there is no such letter."""
    path = await _letter_path(notify, notice_id)
    content = await asyncio.to_thread(path.read_bytes)
    disposition = f'attachment; filename="{notice_id}.pdf"'
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": disposition}
    )


@router.post(
    "/letters/{notice_id}/printed",
    tags=["letters"],
    summary="Mark a letter printed (mailing clerk, operator)",
)
async def mark_printed(notice_id: str, notify: NotifyDep, clerk: MailingClerk) -> PrintJob:
    """Record that the letter was printed for posting; marking it again changes nothing."""
    notice = await handlers.mark_printed(notify, notice_id=notice_id, clerk=clerk.sub)
    if notice is None:
        raise not_found("信件", "letter")
    return PrintJob(
        notice_id=notice.id,
        case_no=notice.case_no,
        notice_type=notice.notice_type,
        created_at=notice.delivered_at or notice.created_at,
        printed_at=notice.printed_at,
        printed_by=notice.printed_by,
    )


async def _letter_path(notify: NotifyDep, notice_id: str) -> Path:
    if not notice_id.isalnum():
        raise ApiError(422, "invalid", "告知编号格式不正确", "malformed notice id", "notice_id")
    async with notify.db.reading() as session:
        notice = await repository.get_notice(session, notice_id=notice_id)
    path = Path(notify.settings.letters_dir) / f"{notice_id}.pdf"
    if notice is None or notice.channel != "letter" or not path.is_file():
        raise not_found("信件", "letter")
    return path


def _public(notice: Notice) -> NoticePublic:
    return NoticePublic.model_validate(notice, from_attributes=True)
