"""The petitioner's actions over JSON, authorised by the case's query code like tracking: rate
the handling, ask for review or re-review. Same handlers and rules as the portal's forms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from xinfang.common.errors import ErrorBody
from xinfang.common.web import ERROR_RESPONSES
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.api.petitions import client_of, find_by_code
from xinfang.intake.handlers.petitioner import evaluate, request_review
from xinfang.intake.models import (
    EvaluationCreate,
    EvaluationRecorded,
    ReviewRequestCreate,
    ReviewRequestRecorded,
)

router = APIRouter(prefix="/api/v1", tags=["petitions"], responses=ERROR_RESPONSES)

QueryCode = Annotated[str, Header(description="the 查询码 given at registration")]


def _answers(conflicts: str) -> dict[int | str, dict[str, Any]]:
    wrong_code = "wrong case number or query code (alike: nothing is revealed)"
    return {
        404: {"model": ErrorBody, "description": f"`not_found`: {wrong_code}"},
        409: {"model": ErrorBody, "description": conflicts},
        422: {"model": ErrorBody, "description": "a field is missing or out of its values"},
        429: {"model": ErrorBody, "description": "`too_many_requests`: failed lookups"},
    }


@router.post(
    "/petitions/{case_no}/evaluation",
    status_code=201,
    summary="Rate the handling (满意度评价) with the query code",
    responses=_answers("`not_answered`: no answer yet; `already_rated`: rated before"),
)
async def rate(
    case_no: str,
    body: EvaluationCreate,
    request: Request,
    intake: IntakeDep,
    x_query_code: QueryCode,
) -> EvaluationRecorded:
    """满意 / 基本满意 / 不满意, once the case has an answer, and only once; emits
    `petition.evaluated`. A wrong number or code counts against the client's lookup limit, as
    in tracking. A refusal stores nothing."""
    petition = await find_by_code(
        intake, case_no=case_no, code=x_query_code, client=client_of(request)
    )
    event = await evaluate(intake, case_no=petition.case_no, rating=body.rating)
    return EvaluationRecorded(
        case_no=event.case_no, rating=event.rating, evaluated_at=event.evaluated_at
    )


@router.post(
    "/petitions/{case_no}/review-requests",
    status_code=201,
    summary="Ask for review (复查) or re-review (复核) with the query code",
    responses=_answers(
        "`not_answered`: no answer yet; `review_window_closed`: more than 30 days since the "
        "answer; `review_already_requested`: asked already for this answer; "
        "`no_further_review`: the re-review decision is final"
    ),
)
async def ask_review(
    case_no: str,
    body: ReviewRequestCreate,
    request: Request,
    intake: IntakeDep,
    x_query_code: QueryCode,
) -> ReviewRequestRecorded:
    """Review after the handling answer, re-review after the review decision, each within 30
    days of it and once; emits `petition.review_requested`. A refusal stores nothing."""
    petition = await find_by_code(
        intake, case_no=case_no, code=x_query_code, client=client_of(request)
    )
    event = await request_review(intake, case_no=petition.case_no, reason=body.reason)
    return ReviewRequestRecorded(
        case_no=event.case_no, level=event.level, requested_at=event.requested_at
    )
