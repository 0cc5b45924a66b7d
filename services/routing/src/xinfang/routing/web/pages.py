"""Pages (Chinese by default, `?lang=en` for English), working without JavaScript: a sign-in form
keeps the bearer token in an HttpOnly, SameSite=Strict cookie; forms post and redirect."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from xinfang.common.auth import Principal, Role, token_principal
from xinfang.common.errors import ApiError
from xinfang.common.web import read_form
from xinfang.routing import schemas
from xinfang.routing.api.assignments import department_cases, visible
from xinfang.routing.api.deps import TOKEN_COOKIE, RoutingDep, _as_handler, page_principal
from xinfang.routing.handlers import admin, answering, workbench
from xinfang.routing.views import detail_view
from xinfang.routing.web.words import words

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)
PagePrincipal = Annotated[Principal | None, Depends(page_principal)]
LOCAL_PATH = re.compile(r"^/(?![/\\])")


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    context |= {"t": words(lang), "lang": lang, "qs": "?lang=en" if lang == "en" else ""}
    return templates.TemplateResponse(request, name, context, status_code=status)


def _back(path: str, request: Request) -> RedirectResponse:
    suffix = "?lang=en" if request.query_params.get("lang") == "en" else ""
    return RedirectResponse(path + suffix, status_code=303)


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request) -> HTMLResponse:
    return _render(request, "signin.html")


@router.post("/signin")
async def signin(
    request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/workbench"
) -> Response:
    """Keep a token this service accepts in the cookie and go on to `next` (a path of this
    site only: `//host` would leave it); a token it refuses shows the form again with 401."""
    try:
        token_principal(request, token.strip())
    except ApiError as refused:
        return _render(request, "signin.html", 401, error=refused.detail.message)
    response = _back(next if LOCAL_PATH.match(next) else "/workbench", request)
    response.set_cookie(TOKEN_COOKIE, token.strip(), httponly=True, samesite="strict")
    return response


@router.get("/workbench", response_class=HTMLResponse)
async def workbench_page(
    request: Request, routing: RoutingDep, principal: PagePrincipal
) -> Response:
    if principal is None:
        return _back("/signin", request)
    rows = await department_cases(routing, _as_handler(principal))
    return _render(request, "workbench.html", rows=rows, department=principal.department)


@router.get("/workbench/{case_no}", response_class=HTMLResponse)
async def case_page(
    case_no: str, request: Request, routing: RoutingDep, principal: PagePrincipal
) -> Response:
    if principal is None:
        return _back("/signin", request)
    row = await visible(routing, _as_handler(principal), case_no)
    return _render(
        request, "case.html", case=detail_view(row), error=request.query_params.get("error")
    )


_ACTIONS: dict[str, tuple[Any, type[Any] | None]] = {
    "accept": (workbench.accept, None),
    "object": (workbench.object_to, schemas.Reasoned),
    "transfer": (workbench.transfer, schemas.Transfer),
    "extension": (workbench.request_extension, schemas.ExtensionRequest),
    "answer": (answering.answer, schemas.Answer),
    "mediation": (answering.mediate, schemas.Mediation),
    "completion-report": (answering.report_completion, schemas.CompletionReport),
}


@router.post("/workbench/{case_no}/{action}")
async def case_action(
    case_no: str, action: str, request: Request, routing: RoutingDep, principal: PagePrincipal
) -> Response:
    if principal is None or action not in _ACTIONS:
        return _back("/signin", request)
    handler = _as_handler(principal)
    command, model = _ACTIONS[action]
    form = {k: v for k, v in (await read_form(request)).items() if v != ""}
    try:
        kwargs = {"command": model.model_validate(form)} if model else {}
        await command(routing=routing, principal=handler, case_no=case_no, **kwargs)
    except (ApiError, ValidationError) as exc:
        row = await visible(routing, handler, case_no)
        message = (
            exc.detail.message.zh if isinstance(exc, ApiError) else str(exc.errors()[0]["msg"])
        )
        return _render(request, "case.html", status=422, case=detail_view(row), error=message)
    if action in ("object", "transfer"):
        return _back("/workbench", request)
    return _back(f"/workbench/{case_no}", request)


@router.get("/triage", response_class=HTMLResponse)
async def triage_page(request: Request, routing: RoutingDep, principal: PagePrincipal) -> Response:
    if principal is None:
        return _back("/signin?next=/triage", request)
    if not principal.has_any(Role.CLERK, Role.SUPERVISOR, Role.ADMIN):
        raise ApiError(403, "forbidden", "仅分流员可使用分流队列", "clerks only")
    from xinfang.routing import repository

    async with routing.db.reading() as session:
        rows = await repository.triage_queue(session)
        directory = await routing.store.current(session)
    return _render(
        request, "triage.html", rows=rows, departments=list(directory.departments.values())
    )


@router.post("/triage/{case_no}/assign")
async def triage_assign(
    case_no: str, request: Request, routing: RoutingDep, principal: PagePrincipal
) -> Response:
    if principal is None:
        return _back("/signin?next=/triage", request)
    if not principal.has_any(Role.CLERK, Role.SUPERVISOR, Role.ADMIN):
        raise ApiError(403, "forbidden", "仅分流员可使用分流队列", "clerks only")
    form = dict(await read_form(request))
    try:
        command = schemas.TriageAssign.model_validate(form)
        await admin.assign_from_triage(
            routing=routing, principal=principal, case_no=case_no, command=command
        )
    except (ApiError, ValidationError):
        return _back("/triage", request)
    return _back("/triage", request)
