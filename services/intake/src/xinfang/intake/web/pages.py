"""The clerk's registration page: a plain HTML form, validated by the same rules as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from xinfang.common.auth import Role, token_principal
from xinfang.common.errors import ApiError, ErrorDetail, validation_errors
from xinfang.common.web import PAGE_RESPONSES
from xinfang.intake import handlers
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.bootstrap import Intake
from xinfang.intake.models import PetitionCreate
from xinfang.intake.validation import Rejected

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=True, responses=PAGE_RESPONSES)

CLERK_CHANNELS = [
    ("letter", "来信", "Letter"),
    ("visit", "来访", "Visit"),
    ("phone", "来电", "Phone call"),
    ("fax", "传真", "Fax"),
    ("email", "电子邮件", "E-mail"),
    ("leader_mailbox", "领导信箱", "Leader's mailbox"),
]
Lang = Annotated[str, Query(pattern="^(zh|en)$")]


def render(
    request: Request, name: str, lang: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page in the chosen language (Chinese unless `?lang=en`)."""

    def t(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    return templates.TemplateResponse(
        request,
        name,
        {"lang": lang, "t": t, "title": t("江宁市信访", "Jiangning petitions")} | context,
        status_code=status,
    )


def _choices(intake: Intake) -> dict[str, Any]:
    return {
        "channels": CLERK_CHANNELS,
        "regions": [r for r in intake.regions.values() if r.level != "city"],
        "categories": [c for c in intake.categories.values() if c.public],
    }


@router.get(
    "/clerk", response_class=HTMLResponse, tags=["pages"], summary="Clerk registration page"
)
async def clerk_form(request: Request, intake: IntakeDep, lang: Lang = "zh") -> HTMLResponse:
    """The form a clerk fills in for a letter, visit, call or collective visit."""
    return render(request, "clerk.html", lang, form={}, **_choices(intake))


def petition_from_form(form: dict[str, str]) -> PetitionCreate:
    """The API command from the form's fields; the representatives become petitioners."""
    person = {
        "name": form.get("name") or None,
        "phone": form.get("phone") or None,
        "address": form.get("address") or None,
    }
    if form.get("id_number"):
        person |= {"id_type": "resident_id", "id_number": form["id_number"]}
    others = [n.strip() for n in form.get("representatives", "").splitlines() if n.strip()]
    return PetitionCreate.model_validate(
        {
            "channel": form.get("channel"),
            "petitioners": [person] + [{"name": n, "address": person["address"]} for n in others],
            "people_involved": form.get("people_involved") or 1,
            **{k: form.get(k) or None for k in ("region_code", "category_code", "matter_type")},
            **{k: form.get(k) or None for k in ("title", "facts", "request", "reasons")},
        }
    )


@router.post(
    "/clerk",
    response_class=HTMLResponse,
    status_code=201,
    tags=["pages"],
    summary="Register from the page",
)
async def clerk_submit(
    request: Request,
    intake: IntakeDep,
    token: Annotated[str, Form()],
    lang: Lang = "zh",
) -> HTMLResponse:
    """Registers the form's petition; errors are shown beside the form, which keeps its values."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        principal = token_principal(request, token)
        if not principal.has_any(Role.CLERK, Role.ADMIN):
            raise ApiError(403, "forbidden", "仅登记员可登记", "only clerks may register")
        created = await handlers.register_petition(
            intake, petition_from_form(form), clerk=principal.sub
        )
    except ValidationError as exc:
        return _failed(request, intake, lang, form, validation_errors(list(exc.errors())))
    except Rejected as exc:
        return _failed(request, intake, lang, form, exc.errors)
    except ApiError as exc:
        return _failed(request, intake, lang, form, [exc.detail], exc.status)
    return render(request, "clerk.html", lang, 201, form={}, created=created, **_choices(intake))


def _failed(
    request: Request,
    intake: Intake,
    lang: str,
    form: dict[str, str],
    errors: list[ErrorDetail],
    status: int = 422,
) -> HTMLResponse:
    return render(request, "clerk.html", lang, status, form=form, errors=errors, **_choices(intake))
