"""The petitioner portal at `/`: submit (with an attachment), track, rate, ask for review.

Plain HTML forms (no JavaScript needed), Chinese by default, `?lang=en` for English.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from xinfang.common.clock import CHINA_TZ
from xinfang.common.errors import ApiError, ErrorDetail, validation_errors
from xinfang.common.events.petition import Rating
from xinfang.common.web import PAGE_RESPONSES, read_form
from xinfang.intake import handlers
from xinfang.intake.api.attachments import store_attachment
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.api.petitions import case_view, client_of, find_by_code
from xinfang.intake.bootstrap import Intake
from xinfang.intake.handlers.petitioner import evaluate, request_review
from xinfang.intake.models import CaseView, PetitionCreate, TimelineItem
from xinfang.intake.validation import Rejected
from xinfang.intake.web.pages import Lang, render

router = APIRouter(tags=["portal"], responses=PAGE_RESPONSES)

RATINGS = [
    ("satisfied", "满意", "Satisfied"),
    ("basically_satisfied", "基本满意", "Basically satisfied"),
    ("dissatisfied", "不满意", "Dissatisfied"),
]
STEPS = {
    "petition.received": ("登记", "registered"),
    "petition.refused": ("不予受理", "refused"),
    "petition.routed": ("转送至", "sent to"),
    "assignment.transferred": ("转至", "transferred to"),
    "assignment.accepted": ("受理", "accepted by"),
    "deadline.scheduled": ("办理期限至", "deadline"),
    "notice.delivered": ("告知书已送达", "notice delivered"),
    "notice.failed": ("告知书未能送达", "notice not delivered"),
    "case.answered": ("作出处理意见", "answered"),
    "petition.evaluated": ("已评价", "rated"),
    "petition.review_requested": ("已申请复查/复核", "review requested"),
}
DETAIL_SHOWN = ("department", "due_on", "notice_type", "summary", "reason")


def _step(lang: str):  # type: ignore[no-untyped-def]
    def step(item: TimelineItem) -> str:
        key = item.event.removeprefix("xinfang.").rsplit(".", 1)[0]
        zh, en = STEPS.get(key, (key, key))
        extra = [str(item.details[k]) for k in DETAIL_SHOWN if item.details.get(k)]
        return " ".join([en if lang == "en" else zh, *extra])

    return step


def _day(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).date().isoformat()


def _home(
    request: Request, intake: Intake, lang: str, status: int = 200, **ctx: Any
) -> HTMLResponse:
    choices = {
        "regions": [r for r in intake.regions.values() if r.level != "city"],
        "categories": [c for c in intake.categories.values() if c.public and c.level == 1],
    }
    return render(request, "portal.html", lang, status, **({"form": {}} | choices | ctx))


def _case(
    request: Request, lang: str, view: CaseView, code: str, status: int = 200, **ctx: Any
) -> HTMLResponse:
    return render(
        request,
        "case.html",
        lang,
        status,
        view=view,
        code=code,
        ratings=RATINGS,
        review_level=view.review_level,
        day=_day,
        step=_step(lang),
        **ctx,
    )


@router.get("/", response_class=HTMLResponse, summary="Petitioner portal")
async def home(request: Request, intake: IntakeDep, lang: Lang = "zh") -> HTMLResponse:
    """Submit a petition or track one."""
    return _home(request, intake, lang)


async def _attachment(intake: Intake, upload: Any) -> list[dict[str, str]]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return []
    data = await upload.read(intake.settings.max_attachment_bytes + 1)
    stored = await store_attachment(intake, data=data, declared=upload.content_type)
    return [{"sha256": stored.sha256, "filename": upload.filename}]


def _command(form: dict[str, Any], attachments: list[dict[str, str]]) -> PetitionCreate:
    person = {k: form.get(k) or None for k in ("name", "phone", "email", "address")}
    if form.get("id_number"):
        person |= {"id_type": "resident_id", "id_number": form["id_number"]}
    fields = ("region_code", "category_code", "matter_type", "title", "facts", "request", "reasons")
    return PetitionCreate.model_validate(
        {"channel": "web", "petitioners": [person], "attachments": attachments}
        | {k: form.get(k) or None for k in fields}
    )


@router.post(
    "/submit",
    response_class=HTMLResponse,
    status_code=201,
    summary="Submit a petition from the portal",
)
async def submit(request: Request, intake: IntakeDep, lang: Lang = "zh") -> HTMLResponse:
    """Registers the petition and shows its case number and query code."""
    raw = await read_form(request)
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    try:
        attachments = await _attachment(intake, raw.get("attachment"))
        created = await handlers.register_petition(intake, _command(form, attachments))
    except ValidationError as exc:
        return _home(
            request, intake, lang, 422, form=form, errors=validation_errors(list(exc.errors()))
        )
    except Rejected as exc:
        return _home(request, intake, lang, 422, form=form, errors=exc.errors)
    except ApiError as exc:
        return _home(request, intake, lang, exc.status, form=form, errors=[exc.detail])
    return render(request, "submitted.html", lang, 201, created=created)


async def _found(
    request: Request, intake: Intake, lang: str, case_no: str, code: str
) -> tuple[CaseView, None] | tuple[None, HTMLResponse]:
    try:
        petition = await find_by_code(
            intake, case_no=case_no.strip(), code=code, client=client_of(request)
        )
    except ApiError as exc:
        return None, _home(request, intake, lang, exc.status, errors=[exc.detail])
    return await case_view(intake, petition), None


@router.post("/track", response_class=HTMLResponse, summary="Track a petition from the portal")
async def track(
    request: Request,
    intake: IntakeDep,
    case_no: Annotated[str, Form()],
    query_code: Annotated[str, Form()],
    lang: Lang = "zh",
) -> HTMLResponse:
    """The case's public timeline: registration, transfers, notices, the current deadline."""
    view, refused = await _found(request, intake, lang, case_no, query_code)
    if view is None:
        return refused  # type: ignore[return-value]
    return _case(request, lang, view, query_code)


@router.post("/rate", response_class=HTMLResponse, summary="Rate the handling (满意度评价)")
async def rate(
    request: Request,
    intake: IntakeDep,
    case_no: Annotated[str, Form()],
    query_code: Annotated[str, Form()],
    rating: Annotated[Rating, Form()],
    lang: Lang = "zh",
) -> HTMLResponse:
    """满意 / 基本满意 / 不满意, once the case has an answer; emits `petition.evaluated`."""
    return await _act(request, intake, lang, case_no, query_code, rating=rating)


@router.post("/review", response_class=HTMLResponse, summary="Ask for review or re-review")
async def review(
    request: Request,
    intake: IntakeDep,
    case_no: Annotated[str, Form()],
    query_code: Annotated[str, Form()],
    reason: Annotated[str, Form(min_length=2, max_length=2000)],
    lang: Lang = "zh",
) -> HTMLResponse:
    """复查 after the answer, 复核 after the review, each within 30 days; emits
    `petition.review_requested`."""
    return await _act(request, intake, lang, case_no, query_code, reason=reason)


async def _act(
    request: Request,
    intake: Intake,
    lang: str,
    case_no: str,
    code: str,
    rating: Rating | None = None,
    reason: str | None = None,
) -> HTMLResponse:
    view, refused = await _found(request, intake, lang, case_no, code)
    if view is None:
        return refused  # type: ignore[return-value]
    errors: list[ErrorDetail] = []
    try:
        if rating is not None:
            await evaluate(intake, case_no=view.case_no, rating=rating)
            message = "感谢您的评价" if lang != "en" else "Thank you for your rating"
        else:
            await request_review(intake, case_no=view.case_no, reason=reason or "")
            message = "申请已提交" if lang != "en" else "Your request was sent"
    except ApiError as exc:
        errors, message = [exc.detail], None
    petition_view = await case_view(intake, await _petition(intake, view.case_no))
    return _case(request, lang, petition_view, code, message=message, errors=errors)


async def _petition(intake: Intake, case_no: str):  # type: ignore[no-untyped-def]
    from xinfang.intake import repository

    async with intake.db.reading() as session:
        return await repository.get_petition(session, case_no=case_no)
