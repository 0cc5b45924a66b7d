"""What a petitioner does on a case: rate its handling, ask for review or re-review."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from xinfang.common.errors import ApiError
from xinfang.common.events import PetitionEvaluated, ReviewRequested
from xinfang.common.messaging.outbox import add_event
from xinfang.intake import repository
from xinfang.intake.handlers.timeline import add_timeline

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

NEXT_LEVEL = {"handling": "review", "review": "re_review"}


async def evaluate(intake: Intake, *, case_no: str, rating: str) -> None:
    """Record the petitioner's rating of an answered case, once, and emit `petition.evaluated`."""
    now = intake.clock.now()
    async with intake.db.transaction() as session:
        petition = await repository.get_petition(session, case_no=case_no)
        assert petition is not None
        if petition.answered_at is None or petition.rating is not None:
            raise ApiError(
                409,
                "cannot_rate",
                "该信访件尚未答复或已评价",
                "the case has no answer yet or was rated",
            )
        petition.rating = rating
        session.add(petition)
        event = PetitionEvaluated(case_no=case_no, rating=rating, evaluated_at=now)  # type: ignore[arg-type]
        add_timeline(
            session, add_event(session, event, source=intake.source, now=now), {"rating": rating}
        )


def review_level(*, answer_stage: str | None) -> str | None:
    """Review after the handling answer, re-review after the review decision, then nothing."""
    return NEXT_LEVEL.get(answer_stage or "")


async def request_review(intake: Intake, *, case_no: str, reason: str) -> str:
    """Ask for review (复查) or re-review (复核) within 30 days of the answer; returns the level."""
    now = intake.clock.now()
    window = timedelta(days=intake.settings.review_window_days)
    async with intake.db.transaction() as session:
        petition = await repository.get_petition(session, case_no=case_no)
        assert petition is not None
        level = review_level(answer_stage=petition.answer_stage)
        if level is None or petition.answered_at is None or now - petition.answered_at > window:
            raise ApiError(
                409,
                "review_not_open",
                "该信访件不在可申请复查/复核的期限内",
                "review or re-review is not open for this case (30 days from the answer)",
            )
        event = ReviewRequested(case_no=case_no, level=level, reason=reason, requested_at=now)  # type: ignore[arg-type]
        add_timeline(
            session, add_event(session, event, source=intake.source, now=now), {"level": level}
        )
    return level
