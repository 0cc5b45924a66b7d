"""The dashboard at `/`, the bulletin (HTML and PDF), ledger downloads and sign-in."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import col, select

from xinfang.common.auth import token_principal
from xinfang.common.errors import ApiError
from xinfang.common.web import PAGE_RESPONSES
from xinfang.supervision import domain, kpis, repository
from xinfang.supervision.api.deps import SupervisionDep
from xinfang.supervision.domain import RULES, DeadlineKind, DeadlineStatus
from xinfang.supervision.facts import case_facts
from xinfang.supervision.models import Alert
from xinfang.supervision.reports import bulletin, ledgers
from xinfang.supervision.web.auth import TOKEN_COOKIE, FileReader, PageReader, bureau_reader
from xinfang.supervision.web.i18n import words

router = APIRouter(responses=PAGE_RESPONSES)
SIGN_IN: dict[int | str, dict[str, Any]] = {303: {"description": "To the sign-in form or on"}}
LEDGER_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
Lang = Annotated[str, Query(pattern="^(zh|en)$")]
SHOWN = (
    "timely_acceptance",
    "on_time_completion",
    "participation",
    "satisfaction",
    "repeat",
    "first_time_resolution",
    "avg_days_to_acceptance",
    "avg_days_to_answer",
    "misroute",
)


def _fmt(kpi: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if kpi.startswith("avg_") else f"{value * 100:.1f}%"


def _kind_zh(kind: str) -> str:
    return RULES[DeadlineKind(kind)].name_zh


def _page(
    request: Request, name: str, lang: str, status: int = 200, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "w": words(lang),
            "fmt": _fmt,
            "kind_zh": _kind_zh,
            "kpi_zh": kpis.KPI_ZH,
            "kpi_names": SHOWN,
            **context,
        },
        status_code=status,
    )


@router.get("/login", include_in_schema=False)
async def login_form(request: Request, lang: Lang = "zh") -> HTMLResponse:
    """The sign-in form."""
    return _page(request, "login.html", lang)


@router.post(
    "/login",
    summary="Sign in to the pages (sets an HttpOnly cookie)",
    tags=["pages"],
    response_class=HTMLResponse,
    responses=SIGN_IN,
)
async def login(
    request: Request, token: Annotated[str, Form(min_length=10, max_length=4000)], lang: Lang = "zh"
) -> Response:
    """Keep the token in an HttpOnly, SameSite=Strict cookie and go to the dashboard; a token
    this service refuses (401) or of someone not of the bureau (403) shows the form again."""
    try:
        bureau_reader(token_principal(request, token.strip()))
    except ApiError as refused:
        error = refused.detail.message
        return _page(request, "login.html", lang, status=refused.status, error=error)
    response = RedirectResponse(f"/?lang={lang}", status_code=303)
    response.set_cookie(TOKEN_COOKIE, token.strip(), httponly=True, samesite="strict")
    return response


@router.get(
    "/",
    summary="The supervision dashboard",
    tags=["pages"],
    response_class=HTMLResponse,
    responses=SIGN_IN,
)
async def dashboard(
    request: Request,
    who: PageReader,
    supervision: SupervisionDep,
    lang: Lang = "zh",
    department: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[str | None, Query(alias="from")] = None,
    until: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    """Due-soon and overdue cases, open orders, early warnings, KPI charts and the ledger,
    filtered by department, locality and period."""
    if who is None:
        return RedirectResponse(f"/login?lang={lang}", status_code=303)
    department, region = department or None, (region or None)
    if region and not region.isdigit():
        raise ApiError(422, "string_pattern_mismatch", "属地代码应为数字", "digits only", "region")
    start, end = _day(since, "from"), _day(until, "to")
    today = domain.china_day(supervision.clock.now())
    ctx = supervision.ctx
    async with supervision.db.reading() as s:
        due_soon = await repository.open_deadlines(
            s, due_by=today + timedelta(days=7), kind=None, limit=100, department=department
        )
        overdue = await repository.deadlines_in_status(
            s, status=DeadlineStatus.OVERDUE, department=department, limit=100
        )
        orders = await repository.orders(s, status="open", department=department, limit=100)
        alerts = (await s.exec(select(Alert).order_by(col(Alert.raised_at).desc()).limit(20))).all()
        facts = await case_facts(s, since=start, until=end, department=department, region=region)
        ledger = await ledgers.backlog(s, today=today, department=department, region=region)
        departments = sorted(ctx.names.items())
    groups = kpis.by_group(
        facts,
        group_by="department",
        today=today,
        formula=ctx.formula,  # type: ignore[arg-type]
        rating_window_days=ctx.rating_window_days,
    )
    months = kpis.by_group(
        facts,
        group_by="month",
        today=today,
        formula=ctx.formula,  # type: ignore[arg-type]
        rating_window_days=ctx.rating_window_days,
    )
    label = words(lang)["kpis"]
    chart = bulletin.bars_svg(
        [
            (d, v["on_time_completion"] or 0.0)
            for d, v in groups.items()
            if v["on_time_completion"] is not None
        ],
        label=label,
    )
    trend = bulletin.bars_svg(
        [
            (m, v["on_time_completion"] or 0.0)
            for m, v in months.items()
            if v["on_time_completion"] is not None
        ],
        label=words(lang)["trend"],
    )
    return _page(
        request,
        "dashboard.html",
        lang,
        today=today,
        due_soon=due_soon,
        overdue=overdue,
        orders=orders,
        alerts=alerts,
        kpis=groups,
        chart=chart,
        trend=trend,
        ledger=ledger,
        departments=departments,
        f={"department": department, "region": region, "since": start, "until": end},
    )


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(
            422, "date_parsing", "日期格式不正确（YYYY-MM-DD）", f"not a date: {value}", field
        ) from exc


@router.get(
    "/ledgers/{name}.{fmt}",
    summary="Download a ledger (CSV or XLSX)",
    tags=["ledgers"],
    response_class=Response,
    responses={200: {"content": {media: {} for media in LEDGER_TYPES}}},
)
async def download_ledger(
    name: str,
    fmt: str,
    _: FileReader,
    supervision: SupervisionDep,
    department: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """`backlog` (积案台账), `overdue` (超期清单) or `orders` (督办单登记簿), as `csv` or `xlsx`."""
    if name not in ledgers.TITLES or fmt not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", "未找到该台账", f"no ledger {name}.{fmt}", "name")
    today = domain.china_day(supervision.clock.now())
    async with supervision.db.reading() as s:
        if name == "orders":
            table = await ledgers.orders(s, department=department)
        else:
            make = ledgers.backlog if name == "backlog" else ledgers.overdue
            table = await make(s, today=today, department=department)
    if fmt == "csv":
        body, media = ledgers.to_csv(table), "text/csv; charset=utf-8"
    else:
        body = ledgers.to_xlsx(table)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = f"attachment; filename={name}-{today.isoformat()}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


async def _bulletin(supervision: Any, since: date | None, until: date | None) -> bulletin.Bulletin:
    today = domain.china_day(supervision.clock.now())
    until = until or today
    since = since or until.replace(day=1)
    async with supervision.db.reading() as s:
        return await bulletin.gather(
            s,
            since=since,
            until=until,
            today=today,
            formula=supervision.ctx.formula,
            window=supervision.ctx.rating_window_days,
        )


@router.get(
    "/bulletin",
    summary="The bulletin (通报) as a page",
    tags=["pages"],
    response_class=HTMLResponse,
    responses=SIGN_IN,
)
async def bulletin_page(
    request: Request,
    who: PageReader,
    supervision: SupervisionDep,
    lang: Lang = "zh",
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """The period's figures (this month by default) and each department's KPIs, with a chart."""
    if who is None:
        return RedirectResponse(f"/login?lang={lang}", status_code=303)
    b = await _bulletin(supervision, since, until)
    chart = bulletin.bars_svg(b.chart(), label=words(lang)["kpis"])
    return _page(request, "bulletin.html", lang, b=b, chart=chart)


@router.get(
    "/bulletin.pdf",
    summary="The bulletin (通报) as a PDF",
    tags=["pages"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def bulletin_pdf(
    _: FileReader,
    supervision: SupervisionDep,
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """The same bulletin as a printable PDF with a bar chart (STSong-Light for Chinese)."""
    b = await _bulletin(supervision, since, until)
    return Response(
        bulletin.to_pdf(b),
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename=bulletin-{b.until}.pdf"},
    )
