"""What a petitioner does on a case: rate its handling, ask for review or re-review.

The portal's forms and the JSON API both come here, so one set of rules decides; a refusal raises
`ApiError` (409) before anything is written.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.errors import ApiError
from xinfang.common.events import PetitionEvaluated, ReviewRequested
from xinfang.common.events.petition import Rating
from xinfang.common.messaging.outbox import add_event
from xinfang.intake import repository
from xinfang.intake.domain.petitioner import next_review_level, rating_refusal, review_refusal
from xinfang.intake.handlers.timeline import add_timeline
from xinfang.intake.models import Petition

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

REFUSALS = {
    "not_answered": (
        "该信访件尚未作出处理意见",
        "the case has no answer yet",
    ),
    "already_rated": ("该信访件已评价，不能重复评价", "the case was rated already"),
    "no_further_review": (
        "复核意见为终结意见，不能再申请复查或复核",
        "the matter is final: there is no further review",
    ),
    "review_already_requested": (
        "已申请复查/复核，请等待处理",
        "review was asked for already: wait for the decision",
    ),
    "review_window_closed": (
        "该信访件不在可申请复查/复核的期限内（收到意见之日起30日）",
        "the window to ask for review has closed (30 days from the answer)",
    ),
}


def _refused(code: str, field: str | None = None) -> ApiError:
    zh, en = REFUSALS[code]
    return ApiError(409, code, zh, en, field=field)


async def _locked(session: AsyncSession, case_no: str) -> Petition:
    """The case, its row locked until the commit so two requests cannot both pass the checks."""
    petition = await session.get(Petition, case_no, with_for_update=True)
    assert petition is not None, "the case was found by its query code"
    return petition


async def evaluate(intake: Intake, *, case_no: str, rating: Rating) -> PetitionEvaluated:
    """Record the petitioner's rating of an answered case, once, and emit `petition.evaluated`."""
    now = intake.clock.now()
    async with intake.db.transaction() as session:
        petition = await _locked(session, case_no)
        refusal = rating_refusal(answered_at=petition.answered_at, rating=petition.rating)
        if refusal is not None:
            raise _refused(refusal, "rating" if refusal == "already_rated" else None)
        petition.rating = rating
        session.add(petition)
        event = PetitionEvaluated(case_no=case_no, rating=rating, evaluated_at=now)
        add_timeline(
            session, add_event(session, event, source=intake.source, now=now), {"rating": rating}
        )
    return event


def open_review_level(intake: Intake, petition: Petition) -> str | None:
    """The review the petitioner may ask for now (the window open), or None."""
    refusal = review_refusal(
        answer_stage=petition.answer_stage,
        answered_at=petition.answered_at,
        finalised=petition.finalised,
        now=intake.clock.now(),
        window=timedelta(days=intake.settings.review_window_days),
    )
    return next_review_level(answer_stage=petition.answer_stage) if refusal is None else None


async def request_review(intake: Intake, *, case_no: str, reason: str) -> ReviewRequested:
    """Ask for review (复查) or re-review (复核) within 30 days of the answer, once per answer;
    emits `petition.review_requested`."""
    now = intake.clock.now()
    async with intake.db.transaction() as session:
        petition = await _locked(session, case_no)
        asked = petition.answered_at is not None and await repository.review_requested_since(
            session, case_no=case_no, since=petition.answered_at
        )
        refusal = review_refusal(
            answer_stage=petition.answer_stage,
            answered_at=petition.answered_at,
            finalised=petition.finalised,
            now=now,
            window=timedelta(days=intake.settings.review_window_days),
            already_requested=asked,
        )
        level = next_review_level(answer_stage=petition.answer_stage)
        if refusal is not None or level is None:
            raise _refused(refusal or "no_further_review")
        event = ReviewRequested(case_no=case_no, level=level, reason=reason, requested_at=now)  # type: ignore[arg-type]
        add_timeline(
            session, add_event(session, event, source=intake.source, now=now), {"level": level}
        )
    return event
