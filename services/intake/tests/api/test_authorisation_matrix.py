# ruff: noqa: E501  (the matrix is a table: one row per route, wider than a line of code)
"""Who may call what in intake: every route × every kind of caller, on a real database.

A petitioner's key is the case's query code: `own-code` holds that of the case a probe acts on,
`other-code` that of another case, and staff hold none (tracking, rating and review are the
petitioner's; staff read the record at /api/v1/cases). Anyone may petition, upload an attachment
or use Open311 with its api_key. Department handlers read cases only through routing, masked.
Columns: see `xinfang.common.testing.authz`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from xinfang.common.auth import Role
from xinfang.common.events import CaseAnswered
from xinfang.common.testing.authz import (
    Call,
    Fresh,
    Who,
    check_matrix,
    check_routes,
    check_tokens,
    readme_table,
    send,
)
from xinfang.common.testing.builders import envelope_of
from xinfang.intake import handlers
from xinfang.intake.handlers.case_view import on_answered
from xinfang.intake.main import create_app
from xinfang.intake.models import PetitionCreate
from xinfang.intake.settings import IntakeSettings
from xinfang.intake.testing import a_petition, a_petitioner

README = Path(__file__).parents[4] / "README.md"
OPEN311_KEY = "dev-open311-key"

MATRIX = """
route                                         | anon | own-code | other-code | clerk | dept-A | dept-B | superv | leader | admin | oper
GET  /openapi.json                            | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /docs                                    | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /docs/oauth2-redirect                    | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /redoc                                   | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /healthz                                 | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /readyz                                  | 503  | 503      | 503        | 503   | 503    | 503    | 503    | 503    | 503   | 503
GET  /metrics                                 | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /api/v1/dead-letters                     | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 200
POST /api/v1/petitions                        | 201  | 201      | 201        | 201   | 201    | 201    | 201    | 201    | 201   | 201
GET  /api/v1/petitions/{case_no}              | 422  | 200      | 404        | 422   | 422    | 422    | 422    | 422    | 422   | 422
POST /api/v1/petitions/{case_no}/evaluation   | 422  | 201      | 404        | 422   | 422    | 422    | 422    | 422    | 422   | 422
POST /api/v1/petitions/{case_no}/review-requests | 422 | 201    | 404        | 422   | 422    | 422    | 422    | 422    | 422   | 422
GET  /api/v1/petitions/{case_no}/identity     | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 403    | 200   | 403
GET  /api/v1/identity-reads                   | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 403
POST /api/v1/clerk/petitions                  | 401  | 403      | 403        | 201   | 403    | 403    | 403    | 403    | 201   | 403
POST /api/v1/attachments                      | 201  | 201      | 201        | 201   | 201    | 201    | 201    | 201    | 201   | 201
GET  /api/v1/cases/{case_no}                  | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 403
GET  /api/v1/categories                       | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /api/v1/regions                          | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /clerk                                   | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
POST /clerk                                   | 422  | 403      | 403        | 201   | 403    | 403    | 403    | 403    | 201   | 403
GET  /                                        | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
POST /submit                                  | 201  | 201      | 201        | 201   | 201    | 201    | 201    | 201    | 201   | 201
POST /track                                   | 422  | 200      | 404        | 422   | 422    | 422    | 422    | 422    | 422   | 422
POST /rate                                    | 422  | 200      | 404        | 422   | 422    | 422    | 422    | 422    | 422   | 422
POST /review                                  | 422  | 200      | 404        | 422   | 422    | 422    | 422    | 422    | 422   | 422
GET  /open311/v2/discovery.{fmt}              | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /open311/v2/services.{fmt}               | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /open311/v2/services/{code}.{fmt}        | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
POST /open311/v2/requests.{fmt}               | 201  | 201      | 201        | 201   | 201    | 201    | 201    | 201    | 201   | 201
GET  /open311/v2/tokens/{token}.{fmt}         | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /open311/v2/requests.{fmt}               | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /open311/v2/requests/{case_no}.{fmt}     | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
"""

CLERK_FORM = {
    "channel": "letter",
    "name": "王小明",
    "phone": "13912345678",
    "address": "新港区港城街道8号",
    "people_involved": "1",
    "region_code": "369902",
    "category_code": "060000",
    "matter_type": "appeal",
    "title": "拖欠工资",
    "facts": "某公司拖欠三个月工资未发放。",
    "request": "请求督促支付工资。",
    "reasons": "劳动者有权按时获得劳动报酬。",
}
PORTAL_FORM = {
    "name": "李小红",
    "phone": "13700137000",
    "address": "江城区鼓楼街道解放路2号",
    "region_code": "369901",
    "category_code": "140000",
    "matter_type": "appeal",
    "title": "楼道灯长期不亮",
    "facts": "小区三号楼楼道灯坏了两个月，物业一直未修。",
    "request": "请求督促物业尽快修复。",
    "reasons": "夜间上下楼存在安全隐患。",
}
OPEN311_REQUEST = {
    "api_key": OPEN311_KEY,
    "service_code": "140400",
    "first_name": "小明",
    "last_name": "王",
    "phone": "13912345678",
    "address_string": "江城区鼓楼街道解放路9号",
    "description": "解放路人行道上的井盖缺失多日，夜间行人容易跌落，存在安全隐患。",
    "attribute[region_code]": "369901001",
    "attribute[request]": "请尽快补装井盖。",
    "attribute[reasons]": "市政设施缺失危及行人安全。",
    "attribute[public_consent]": "true",
}


class Petitions:
    """Registered petitions, answered where a probe needs it, through intake's handlers."""

    def __init__(self, app: FastAPI) -> None:
        self.intake = app.state.intake

    async def registered(self, **overrides: Any) -> tuple[str, str]:
        """(case number, query code) of a new petition."""
        command = PetitionCreate.model_validate(a_petition(**overrides))
        created = await handlers.register_petition(self.intake, command)
        return created.case_no, created.query_code

    async def answered(self) -> tuple[str, str]:
        case_no, code = await self.registered()
        now = self.intake.clock.now()
        event = CaseAnswered(
            case_no=case_no,
            department_code="C_URBAN",
            stage="handling",
            outcome="explained",
            summary="已解释说明",
            legal_basis="有关规定",
            answered_at=now,
        )
        async with self.intake.db.transaction() as session:
            await on_answered(session, event, envelope_of(event, time=now))
        return case_no, code


def probes(
    petitions: Petitions, case_no: str, other_code: str
) -> dict[str, Callable[[Who], Awaitable[Call]]]:
    """The requests of the routes that need a body, a code or an answered case; `case_no` is
    the case whose code the petitioner holds (tracking changes nothing, so one case serves)."""

    async def tracked(who: Who) -> Call:
        headers = {"X-Query-Code": who.query_code} if who.query_code else {}
        return Call("GET", f"/api/v1/petitions/{case_no}", headers=headers)

    async def tracked_on_portal(who: Who) -> Call:
        held = {"query_code": who.query_code} if who.query_code else {}
        return Call("POST", "/track", data={"case_no": case_no} | held)

    def with_code(method: str, path: str, **kw: Any) -> Any:
        answered = Fresh(petitions.answered)

        async def probe(who: Who) -> Call:
            case_no, code = await answered.get()
            held = who.code_for(code, other_code)
            headers = {"X-Query-Code": held} if held else {}
            url = path.format(case_no=case_no)
            return Call(method, url, headers=headers, used=answered.used, **kw)

        return probe

    def on_portal(path: str, **fields: str) -> Any:
        answered = Fresh(petitions.answered)

        async def probe(who: Who) -> Call:
            case_no, code = await answered.get()
            held = who.code_for(code, other_code)
            form = {"case_no": case_no, **fields} | ({"query_code": held} if held else {})
            return Call("POST", path, data=form, used=answered.used)

        return probe

    async def clerk_page(who: Who) -> Call:
        form = CLERK_FORM | ({"token": who.token} if who.token else {})
        return Call("POST", "/clerk", data=form, bearer=False)

    async def attachment(who: Who) -> Call:
        return Call("POST", "/api/v1/attachments", files={"file": ("a.txt", b"evidence\n")})

    return {
        "POST /api/v1/petitions": _json("POST", "/api/v1/petitions", a_petition()),
        "POST /api/v1/clerk/petitions": _json(
            "POST", "/api/v1/clerk/petitions", a_petition(channel="letter")
        ),
        "GET /api/v1/petitions/{case_no}": tracked,
        "POST /api/v1/petitions/{case_no}/evaluation": with_code(
            "POST", "/api/v1/petitions/{case_no}/evaluation", json={"rating": "satisfied"}
        ),
        "POST /api/v1/petitions/{case_no}/review-requests": with_code(
            "POST",
            "/api/v1/petitions/{case_no}/review-requests",
            json={"reason": "处理意见与事实不符"},
        ),
        "GET /api/v1/petitions/{case_no}/identity": _with_params(
            f"/api/v1/petitions/{case_no}/identity", {"reason": "核实身份以便回访"}
        ),
        "POST /api/v1/attachments": attachment,
        "POST /clerk": clerk_page,
        "POST /submit": _form("/submit", PORTAL_FORM),
        "POST /track": tracked_on_portal,
        "POST /rate": on_portal("/rate", rating="satisfied"),
        "POST /review": on_portal("/review", reason="处理意见与事实不符"),
        "POST /open311/v2/requests.{fmt}": _form("/open311/v2/requests.json", OPEN311_REQUEST),
    }


def _json(method: str, path: str, body: Any) -> Callable[[Who], Awaitable[Call]]:
    async def probe(who: Who) -> Call:
        return Call(method, path, json=body)

    return probe


def _form(path: str, form: dict[str, str]) -> Callable[[Who], Awaitable[Call]]:
    async def probe(who: Who) -> Call:
        return Call("POST", path, data=form)

    return probe


def _with_params(path: str, params: dict[str, str]) -> Any:
    async def probe(who: Who) -> Call:
        return Call("GET", path, params=params)

    return probe


async def an_open311_request(app: FastAPI, **fields: str) -> tuple[str, str]:
    """(case number, token) of a request filed through Open311 with publication consent."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        response = await client.post("/open311/v2/requests.json", data=OPEN311_REQUEST | fields)
    [created] = response.json()
    return created["service_request_id"], created["token"]


def test_every_route_of_intake_has_a_row_in_the_matrix(tmp_path: Path) -> None:
    # The app's routes exist once it is built: no database, no lifespan needed.
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    app = create_app(IntakeSettings(database_url=url, environment="test", start_background=False))

    assert check_routes(app, MATRIX) == []


async def test_every_caller_gets_what_the_matrix_says_from_every_route(app: FastAPI) -> None:
    petitions = Petitions(app)
    case_no, code = await petitions.registered()
    _, other_code = await petitions.registered(petitioners=[a_petitioner(name="李四")])
    public_case, token = await an_open311_request(app)
    values = {
        "case_no": case_no,
        "fmt": "json",
        "code": "140400",
        "token": token,
    }
    matrix_probes = probes(petitions, case_no, other_code) | {
        "GET /open311/v2/requests/{case_no}.{fmt}": _json(
            "GET", f"/open311/v2/requests/{public_case}.json", None
        ),
    }

    wrong = await check_matrix(
        app,
        MATRIX,
        departments=("C_URBAN", "C_HRSS"),
        codes=(code, other_code),
        values=values,
        probes=matrix_probes,
    )

    assert wrong == [], "\n".join(wrong)


def test_the_readme_shows_this_matrix() -> None:
    table = readme_table("intake", MATRIX)
    assert table in README.read_text(), table


async def test_expired_tampered_unsigned_and_foreign_tokens_are_refused_on_the_api_and_the_clerk_page(
    app: FastAPI,
) -> None:
    case_no, _ = await Petitions(app).registered()

    def header(path: str) -> Callable[[str], Call]:
        return lambda token: Call("GET", path, headers={"Authorization": f"Bearer {token}"})

    def clerk_page(token: str) -> Call:
        return Call("POST", "/clerk", data=CLERK_FORM | {"token": token})

    calls = {
        "case record API": (header(f"/api/v1/cases/{case_no}"), 200, 401),
        "clerk page": (clerk_page, 201, 401),
    }

    wrong = await check_tokens(app, calls, roles=[Role.CLERK])

    assert wrong == [], "\n".join(wrong)


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://intake")


async def test_query_code_guessing_is_stopped_on_every_route_that_takes_a_code(
    app: FastAPI, clock: Any
) -> None:
    case_no, code = await Petitions(app).answered()
    url = f"/api/v1/petitions/{case_no}"

    def json_route(method: str, path: str, body: Any = None) -> Callable[[str], Call]:
        return lambda guess: Call(method, path, json=body, headers={"X-Query-Code": guess})

    def portal_route(path: str, **fields: str) -> Callable[[str], Call]:
        return lambda guess: Call(
            "POST", path, data={"case_no": case_no, "query_code": guess} | fields
        )

    routes = {
        "track": json_route("GET", url),
        "rate": json_route("POST", f"{url}/evaluation", {"rating": "satisfied"}),
        "review": json_route("POST", f"{url}/review-requests", {"reason": "处理意见与事实不符"}),
        "portal track": portal_route("/track"),
        "portal rate": portal_route("/rate", rating="satisfied"),
        "portal review": portal_route("/review", reason="处理意见与事实不符"),
    }
    guesser, petitioner = client_at(app, "10.8.0.1"), client_at(app, "10.8.0.2")
    async with guesser, petitioner:
        guesses = [
            (await send(guesser, make(f"GUESS{i:05d}"))).status_code
            for i, make in enumerate([*routes.values(), *routes.values()][:10])
        ]
        blocked = {name: await send(guesser, make(code)) for name, make in routes.items()}
        others = (await petitioner.get(url, headers={"X-Query-Code": code})).status_code
        clock.advance(timedelta(seconds=61))
        later = (await guesser.get(url, headers={"X-Query-Code": code})).status_code

    assert guesses == [404] * 10
    assert {name: r.status_code for name, r in blocked.items()} == dict.fromkeys(routes, 429)
    assert blocked["track"].json()["errors"][0]["code"] == "too_many_requests"
    assert "查询过于频繁" in blocked["portal track"].text
    assert (others, later) == (200, 200)


async def test_open311_publishes_neither_a_confidential_petition_nor_an_accusation(
    app: FastAPI,
) -> None:
    petitions = Petitions(app)
    public, _ = await an_open311_request(app)
    accusation, _ = await an_open311_request(app, **{"attribute[matter_type]": "accusation"})
    confidential, _ = await petitions.registered(
        flags={"public_consent": True, "confidential": True}
    )
    async with client_at(app, "10.8.0.3") as client:
        listed = await client.get("/open311/v2/requests.json")
        one = {
            case: (await client.get(f"/open311/v2/requests/{case}.json")).status_code
            for case in (public, accusation, confidential)
        }

    ids = {r["service_request_id"] for r in listed.json()}
    assert public in ids and not ids & {accusation, confidential}
    assert one == {public: 200, accusation: 404, confidential: 404}
