"""The GeoReport v2 endpoints. Errors use the spec's format, not the platform's."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import col, select

from xinfang.common.crypto import same
from xinfang.common.web import ERROR_RESPONSES, read_form
from xinfang.intake import handlers, repository
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.bootstrap import Intake
from xinfang.intake.models import Petition
from xinfang.intake.open311.render import Open311Error, error_response, respond
from xinfang.intake.open311.requests import petition_from_form, service_request, visible
from xinfang.intake.validation import Rejected

FORMATS = ("xml", "json")
_XML: dict[str, Any] = {"text/xml": {"schema": {"type": "string"}}}
_SPEC_ERRORS: dict[str, Any] = {
    "description": "The spec's error document: `errors[] {code, description}` (JSON or XML)",
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                    "required": ["code", "description"],
                },
            }
        }
    }
    | _XML,
}
RESPONSES: dict[int | str, dict[str, Any]] = (
    {code: {"content": _XML} for code in (200, 201)}
    | {code: _SPEC_ERRORS for code in (400, 403, 404)}
    | {code: ERROR_RESPONSES[code] for code in (413, 422)}
)
router = APIRouter(prefix="/open311/v2", tags=["open311"], responses=RESPONSES)
MAX_SPAN = timedelta(days=90)


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"unknown format {fmt!r}: use .xml or .json")
    return fmt


def _jurisdiction(intake: Intake, value: str | None) -> None:
    if value and value != intake.settings.receiving_office:
        raise Open311Error(404, f"unknown jurisdiction_id {value}")


async def _answer(fmt: str, work: Any) -> Response:
    """Run `work()`; an Open311Error becomes the spec's error document."""
    try:
        return await work()
    except Open311Error as exc:
        return error_response(fmt, exc.status, [exc.description])


@router.get("/discovery.{fmt}", summary="Discovery document")
async def discovery(fmt: str, request: Request, intake: IntakeDep) -> Response:
    """Where the endpoint is, which version of the spec and which formats it speaks."""

    async def work() -> Response:
        base = str(request.base_url).rstrip("/") + "/open311/v2/"
        body = {
            "changeset": intake.category_version,
            "contact": "江宁市信访局 / Jiangning petition bureau",
            "key_service": "ask the petition bureau for an api_key",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": intake.category_version,
                    "type": "production" if intake.settings.environment == "production" else "test",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }
        return respond(_fmt(fmt), "discovery", body)

    return await _answer(fmt, work)


def _service(intake: Intake, code: str) -> dict[str, Any]:
    category = intake.categories[code]
    group = intake.categories.get(code[:2] + "0000")
    return {
        "service_code": code,
        "service_name": category.name,
        "description": category.name_en or category.name,
        "metadata": True,
        "type": "batch",
        "keywords": [category.name],
        "group": group.name if group else category.name,
    }


@router.get("/services.{fmt}", summary="Service list (public content categories)")
async def services(fmt: str, intake: IntakeDep, jurisdiction_id: str | None = None) -> Response:
    """Each content category the public may file under is a service; group is its first level."""

    async def work() -> Response:
        _jurisdiction(intake, jurisdiction_id)
        codes = [c.code for c in intake.categories.values() if c.public]
        return respond(_fmt(fmt), "services", [_service(intake, c) for c in codes])

    return await _answer(fmt, work)


def _attributes(intake: Intake) -> list[dict[str, Any]]:
    divisions = [
        {"key": r.code, "name": r.name} for r in intake.regions.values() if r.level != "city"
    ]
    matter = [
        {"key": "appeal", "name": "申诉求决"},
        {"key": "suggestion", "name": "建议意见"},
        {"key": "accusation", "name": "检举控告"},
    ]
    return [
        _attribute(
            "region_code", "singlevaluelist", True, 1, "问题属地 / where the problem is", divisions
        ),
        _attribute("request", "text", True, 2, "请求 / what you ask for"),
        _attribute("reasons", "text", True, 3, "理由 / your reasons"),
        _attribute("matter_type", "singlevaluelist", False, 4, "事项类型 / kind of matter", matter),
    ]


def _attribute(
    code: str,
    datatype: str,
    required: bool,
    order: int,
    description: str,
    values: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": None,
        "order": order,
        "description": description,
    }
    if values is not None:
        attribute["values"] = values
    return attribute


@router.get("/services/{code}.{fmt}", summary="Service definition")
async def service_definition(code: str, fmt: str, intake: IntakeDep) -> Response:
    """The attributes a request for this service carries (division, request, reasons)."""

    async def work() -> Response:
        category = intake.categories.get(code)
        if category is None or not category.public:
            raise Open311Error(404, f"unknown service_code {code}")
        body = {"service_code": code, "attributes": _attributes(intake)}
        return respond(_fmt(fmt), "service_definition", body)

    return await _answer(fmt, work)


def _attribute_values(form: dict[str, str]) -> dict[str, str]:
    return {k[len("attribute[") : -1]: v for k, v in form.items() if k.startswith("attribute[")}


def _problems(errors: list[Any]) -> list[str]:
    return [f"{e.field}: {e.message.en}" for e in errors]


@router.post("/requests.{fmt}", status_code=201, summary="Create a service request (api_key)")
async def create_request(fmt: str, request: Request, intake: IntakeDep) -> Response:
    """Files a petition, form-encoded; `api_key` is required (403 without it). The answer carries
    the case number as `service_request_id` and a token."""
    from xinfang.common.errors import validation_errors

    try:
        fmt = _fmt(fmt)
        form = {k: str(v) for k, v in (await read_form(request)).items()}
        if not same(form.get("api_key", ""), intake.settings.open311_api_key):
            raise Open311Error(403, "api_key is missing or wrong")
        _jurisdiction(intake, form.get("jurisdiction_id"))
        if not form.get("service_code"):
            raise Open311Error(400, "service_code is required")
        if form["service_code"] not in intake.categories:
            raise Open311Error(404, f"unknown service_code {form['service_code']}")
        command = petition_from_form(form, _attribute_values(form))
        created = await handlers.register_petition(intake, command)
    except Open311Error as exc:
        return error_response(fmt, exc.status, [exc.description])
    except ValidationError as exc:
        return error_response(fmt, 400, _problems(validation_errors(list(exc.errors()))))
    except Rejected as exc:
        return error_response(fmt, 400, _problems(exc.errors))
    token = await _give_token(intake, created.case_no)
    body = [{"service_request_id": created.case_no, "token": token, "service_notice": None}]
    return respond(fmt, "service_requests", body, 201)


async def _give_token(intake: Intake, case_no: str) -> str:
    token = secrets.token_urlsafe(12)
    async with intake.db.transaction() as session:
        petition = await session.get(Petition, case_no)
        assert petition is not None
        petition.open311_token = token
        session.add(petition)
    return token


@router.get("/tokens/{token}.{fmt}", summary="Service request id from a token")
async def token_lookup(token: str, fmt: str, intake: IntakeDep) -> Response:
    """The case number a token stands for."""

    async def work() -> Response:
        _fmt(fmt)
        async with intake.db.reading() as session:
            query = select(Petition).where(Petition.open311_token == token)
            petition = (await session.exec(query)).first()
        if petition is None:
            raise Open311Error(404, "unknown token")
        body = [{"service_request_id": petition.case_no, "token": token}]
        return respond(fmt, "service_requests", body)

    return await _answer(fmt, work)


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone")
    return moment


def _int(value: str | None, name: str, default: int, top: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= top:
        raise Open311Error(400, f"{name} must be a whole number from 1 to {top}")
    return int(value)


async def _requests_page(intake: Intake, params: dict[str, str]) -> list[Petition]:
    ids = [i for i in params.get("service_request_id", "").split(",") if i]
    query = select(Petition).order_by(col(Petition.received_at).desc())
    if ids:
        query = query.where(col(Petition.case_no).in_(ids))
    else:
        end = _date(params.get("end_date"), "end_date") or intake.clock.now()
        start = _date(params.get("start_date"), "start_date") or end - MAX_SPAN
        if end - start > MAX_SPAN:
            raise Open311Error(400, "start_date to end_date may span at most 90 days")
        query = query.where(col(Petition.received_at) >= start, col(Petition.received_at) <= end)
        if params.get("service_code"):
            query = query.where(col(Petition.category_code).in_(params["service_code"].split(",")))
    async with intake.db.reading() as session:
        rows = [p for p in (await session.exec(query)).all() if visible(p)]
    status = params.get("status")
    if status and not ids:
        if status not in ("open", "closed"):
            raise Open311Error(400, "status is open or closed")
        rows = [
            p
            for p in rows
            if (p.status in ("refused", "answered", "finalised")) == (status == "closed")
        ]
    size = _int(params.get("page_size"), "page_size", 1000, 1000)
    page = _int(params.get("page"), "page", 1, 100_000)
    return rows[(page - 1) * size : page * size]


async def _as_requests(intake: Intake, rows: list[Petition], notes: bool) -> list[dict[str, Any]]:
    found = []
    async with intake.db.reading() as session:
        for p in rows:
            entries = await repository.timeline(session, case_no=p.case_no)
            found.append(service_request(intake, p, entries, notes=notes))
    return found


@router.get("/requests.{fmt}", summary="List service requests")
async def list_requests(fmt: str, request: Request, intake: IntakeDep) -> Response:
    """Filters service_request_id, service_code, start_date, end_date (≤ 90 days), status;
    paging with page and page_size; `extensions=true` adds each request's notes."""

    async def work() -> Response:
        _fmt(fmt)
        params = dict(request.query_params)
        _jurisdiction(intake, params.get("jurisdiction_id"))
        rows = await _requests_page(intake, params)
        found = await _as_requests(intake, rows, params.get("extensions") == "true")
        return respond(fmt, "service_requests", found)

    return await _answer(fmt, work)


@router.get("/requests/{case_no}.{fmt}", summary="One service request")
async def one_request(case_no: str, fmt: str, request: Request, intake: IntakeDep) -> Response:
    """The request with its status, agency, and expected date (the current legal deadline)."""

    async def work() -> Response:
        _fmt(fmt)
        async with intake.db.reading() as session:
            petition = await repository.get_petition(session, case_no=case_no)
        if petition is None or not visible(petition):
            raise Open311Error(404, f"unknown service_request_id {case_no}")
        notes = request.query_params.get("extensions") == "true"
        return respond(fmt, "service_requests", await _as_requests(intake, [petition], notes))

    return await _answer(fmt, work)
