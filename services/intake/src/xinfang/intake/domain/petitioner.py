"""What a petitioner may do on a case, pure: rate the handling once it is answered, ask for review
(复查) after the answer and re-review (复核) after the review decision, within the window (Art. 35,
36). Each rule answers with the reason it refuses, or None."""

from __future__ import annotations

from datetime import datetime, timedelta

NEXT_LEVEL = {"handling": "review", "review": "re_review"}


def next_review_level(*, answer_stage: str | None) -> str | None:
    """Review after the handling answer, re-review after the review decision, then nothing."""
    return NEXT_LEVEL.get(answer_stage or "")


def rating_refusal(*, answered_at: datetime | None, rating: str | None) -> str | None:
    """Why the case cannot be rated now: no answer yet, or rated already."""
    if answered_at is None:
        return "not_answered"
    if rating is not None:
        return "already_rated"
    return None


def review_refusal(
    *,
    answer_stage: str | None,
    answered_at: datetime | None,
    finalised: bool,
    now: datetime,
    window: timedelta,
    already_requested: bool = False,
) -> str | None:
    """Why review or re-review cannot be asked for now."""
    if answered_at is None:
        return "not_answered"
    if finalised or next_review_level(answer_stage=answer_stage) is None:
        return "no_further_review"
    if already_requested:
        return "review_already_requested"
    if now - answered_at > window:
        return "review_window_closed"
    return None
