"""Delivery handlers: the dispatcher's claims and outcomes, and the operators' commands.

Each owns its transaction, so an outcome and the event reporting it commit together. Every try is
kept as a `DeliveryAttempt`: the history the case's notices API shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import NoticeDelivered, NoticeFailed
from xinfang.common.logging import get_logger
from xinfang.common.messaging.outbox import add_event
from xinfang.notify import domain, repository, rows
from xinfang.notify.channels import DeliveryError
from xinfang.notify.models import Notice, NoticeRecord

if TYPE_CHECKING:
    from xinfang.notify.bootstrap import Notify

log = get_logger(__name__)


async def claim_due_notices(notify: Notify, *, paused: list[str] | None = None) -> list[str]:
    """Lease a batch of due notices to this instance, in a short transaction of its own; notices
    on `paused` channels (their circuit open) are left alone."""
    now = notify.clock.now()
    until = now + timedelta(seconds=notify.settings.lease_seconds)
    async with notify.db.reading() as session:
        if not await repository.any_due(session, now=now, paused=paused or []):
            return []
    async with notify.db.transaction() as session:
        return await repository.claim_due(
            session, now=now, until=until, limit=notify.settings.dispatch_batch, paused=paused or []
        )


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed notice: `delivered`, `failed` (with the error), `deferred`
    (quiet hours, until the morning) or `released` (untried, until `until`)."""

    notice_id: str
    kind: str
    masked: str | None = None
    error: DeliveryError | None = None
    until: datetime | None = None
    note: str = ""


async def record_outcomes(notify: Notify, outcomes: list[Outcome]) -> list[NoticeRecord]:
    """Record a batch's outcomes, and the events reporting them, in one transaction; returns the
    notices delivered or failed (a notice settled already is skipped)."""
    recorded: list[tuple[NoticeRecord, str]] = []
    async with notify.db.transaction() as session:
        notices = await repository.notices_by_id(
            session, notice_ids=[o.notice_id for o in outcomes], pending=True
        )
        now = notify.clock.now()
        for outcome in outcomes:
            notice = notices.get(outcome.notice_id)
            if notice is not None:
                result = RECORD[outcome.kind](notify, session, notice, outcome, now)
                rows.settle(session, notice)
                recorded.append((notice, result))
    for notice, result in recorded:
        _log(notice, result)
    return [n for n, result in recorded if result not in ("deferred", "released")]


async def record_delivery(
    notify: Notify, *, notice_id: str, masked: str | None = None
) -> NoticeRecord | None:
    """Mark a sent notice delivered and emit `notice.delivered`; None if it was settled already."""
    done = await record_outcomes(notify, [Outcome(notice_id, "delivered", masked=masked)])
    return done[0] if done else None


async def record_failure(
    notify: Notify, *, notice_id: str, error: DeliveryError
) -> NoticeRecord | None:
    """Count a failed try: retry with back-off, fall back to the next channel once this one is
    exhausted, or give up (dead letter) and emit `notice.failed`."""
    done = await record_outcomes(notify, [Outcome(notice_id, "failed", error=error)])
    return done[0] if done else None


def _delivered(
    notify: Notify, session: AsyncSession, notice: NoticeRecord, outcome: Outcome, now: datetime
) -> str:
    notice.status, notice.delivered_at, notice.locked_until = "delivered", now, None
    notice.attempts += 1
    notice.recipient_masked = outcome.masked or notice.recipient_masked
    add_attempt(session, notice, result="delivered", now=now)
    if notice.case_no:
        event = NoticeDelivered(
            case_no=notice.case_no,
            notice_id=notice.id,
            notice_type=notice.notice_type,
            channel=notice.channel,
            recipient_masked=notice.recipient_masked or "",
            delivered_at=now,
            audience=notice.audience,
            template=notice.template,
        )
        add_event(session, event, source=notify.source, now=now)
    return "delivered"


def _failed(
    notify: Notify, session: AsyncSession, notice: NoticeRecord, outcome: Outcome, now: datetime
) -> str:
    error = outcome.error
    assert error is not None
    tried = notice.channel
    notice.attempts += 1
    notice.round_attempts += 1
    notice.last_error = f"{error.reason}: {error.detail}"[:1000]
    notice.locked_until = None
    result = _next_step(notify, session, notice, error=error, now=now)
    add_attempt(session, notice, result=result, now=now, channel=tried)
    return result


def _deferred(
    notify: Notify, session: AsyncSession, notice: NoticeRecord, outcome: Outcome, now: datetime
) -> str:
    assert outcome.until is not None
    notice.next_attempt_at, notice.locked_until = outcome.until, None
    add_attempt(session, notice, result="deferred", now=now, error=outcome.note)
    return "deferred"


def _released(
    notify: Notify, session: AsyncSession, notice: NoticeRecord, outcome: Outcome, now: datetime
) -> str:
    notice.next_attempt_at, notice.locked_until = outcome.until or now, None
    return "released"


RECORD = {"delivered": _delivered, "failed": _failed, "deferred": _deferred, "released": _released}


def _log(notice: NoticeRecord, result: str) -> None:
    if result == "delivered":
        log.info("notice_delivered", **about(notice))
    elif result not in ("deferred", "released"):
        reason = (notice.last_error or "").split(":", 1)[0]
        log.warning(f"notice_{result}", **about(notice), reason=reason)


def _next_step(
    notify: Notify,
    session: AsyncSession,
    notice: NoticeRecord,
    *,
    error: DeliveryError,
    now: datetime,
) -> str:
    settings = notify.settings
    if not domain.gives_up(
        attempts=notice.round_attempts,
        max_attempts=settings.max_attempts,
        permanent=error.permanent,
    ):
        delay = domain.retry_delay(
            notice.round_attempts, base=settings.retry_base_seconds, cap=settings.retry_max_seconds
        )
        notice.next_attempt_at = now + delay
        return "retry"
    chain = notice.chain.split(",")
    following = chain[chain.index(notice.channel) + 1 :] if notice.channel in chain else []
    if not following:
        fail(notify, session, notice, reason=error.reason, now=now)
        return "failed"
    notice.channel, notice.round_attempts = following[0], 0
    notice.next_attempt_at = notify.schedule(notice.channel, now, audience=notice.audience)
    return "fallback"


async def defer(notify: Notify, *, notice_id: str, until: datetime, reason: str) -> None:
    """Put a claimed notice back untried until `until` (quiet hours), noting why."""
    await record_outcomes(notify, [Outcome(notice_id, "deferred", until=until, note=reason)])


async def release(notify: Notify, *, notice_id: str, until: datetime) -> None:
    """Put a claimed notice back untried, without a trace (its channel's circuit is open)."""
    await record_outcomes(notify, [Outcome(notice_id, "released", until=until)])


async def resend(notify: Notify, *, notice_id: str) -> Notice | None:
    """An operator's re-send of a dead-lettered notice: back to the first channel of its chain,
    with a fresh round of tries. None if there is no such failed notice."""
    async with notify.db.transaction() as session:
        notice = await repository.get_notice(session, notice_id=notice_id, for_update=True)
        if notice is None or notice.status != "failed":
            return None
        now = notify.clock.now()
        notice.status, notice.failed_at, notice.round_attempts = "pending", None, 0
        notice.channel = notice.chain.split(",")[0]
        notice.next_attempt_at = notify.schedule(notice.channel, now, audience=notice.audience)
        session.add(notice)
        add_attempt(session, notice, result="resend", now=now)
    notify.wakeup.set()
    log.info("notice_resend", **about(notice))
    return notice


async def mark_printed(notify: Notify, *, notice_id: str, clerk: str) -> Notice | None:
    """The mailing clerk printed a letter (idempotent); None if it is not a stored letter."""
    async with notify.db.transaction() as session:
        notice = await repository.get_notice(session, notice_id=notice_id, for_update=True)
        if notice is None or notice.channel != "letter" or notice.status != "delivered":
            return None
        if notice.printed_at is None:
            notice.printed_at, notice.printed_by = notify.clock.now(), clerk
            session.add(notice)
    return notice


def add_attempt(
    session: AsyncSession,
    notice: Notice | NoticeRecord,
    *,
    result: str,
    now: datetime,
    channel: str | None = None,
    error: str | None = None,
) -> None:
    """Keep one line of the notice's delivery history (written when the transaction commits)."""
    if error is None and result not in ("delivered", "resend"):
        error = notice.last_error
    row = {"notice_id": notice.id, "channel": channel or notice.channel, "at": now}
    rows.add_attempt(session, row | {"result": result, "error": error})


def fail(
    notify: Notify, session: AsyncSession, notice: NoticeRecord, *, reason: str, now: datetime
) -> None:
    """Give a notice up: it joins the dead letters, and `notice.failed` is emitted."""
    notice.status, notice.failed_at, notice.locked_until = "failed", now, None
    notice.last_error = notice.last_error or reason
    if not notice.case_no:
        return
    event = NoticeFailed(
        case_no=notice.case_no,
        notice_id=notice.id,
        notice_type=notice.notice_type,
        channel=notice.channel,
        recipient_masked=notice.recipient_masked,
        reason=reason,
        attempts=notice.attempts,
        failed_at=now,
        audience=notice.audience,
    )
    add_event(session, event, source=notify.source, now=now)


def about(notice: Notice | NoticeRecord) -> dict[str, object]:
    """What a log line may say about a notice: never its recipient."""
    return {
        "case_no": notice.case_no,
        "notice_id": notice.id,
        "notice_type": notice.notice_type,
        "channel": notice.channel,
        "attempts": notice.attempts,
    }
