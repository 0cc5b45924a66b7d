# ruff: noqa: E501  (the matrix is a table: one row per route, wider than a line of code)
"""Who may call what in routing: every route × every kind of caller, on a real database.

Department A (C_URBAN) leads the cases the probes act on; department B (C_HRSS) must get 404 for
each of them, as if they did not exist. Columns: see `xinfang.common.testing.authz`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from xinfang.common.auth import Principal, Role
from xinfang.common.events import AccusedRef, PetitionFlags, PetitionReceived
from xinfang.common.testing.authz import (
    Call,
    Fresh,
    Who,
    check_matrix,
    check_routes,
    check_tokens,
    good_token,
    readme_table,
)
from xinfang.routing.api.deps import TOKEN_COOKIE
from xinfang.routing.bootstrap import Routing
from xinfang.routing.handlers import answering, workbench
from xinfang.routing.main import create_app
from xinfang.routing.schemas import Answer, ExtensionRequest
from xinfang.routing.settings import RoutingSettings

DEPT_A, DEPT_B = "C_URBAN", "C_HRSS"
README = Path(__file__).parents[4] / "README.md"

MATRIX = """
route                                                      | anon | own-code | other-code | clerk | dept-A | dept-B | superv | leader | admin | oper
GET  /openapi.json                                         | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /docs                                                 | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /docs/oauth2-redirect                                 | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /redoc                                                | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /                                                     | 307  | 307      | 307        | 307   | 307    | 307    | 307    | 307    | 307   | 307
GET  /healthz                                              | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /readyz                                               | 503  | 503      | 503        | 503   | 503    | 503    | 503    | 503    | 503   | 503
GET  /metrics                                              | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /api/v1/dead-letters                                  | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 200
GET  /api/v1/departments                                   | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /api/v1/departments/{code}                            | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
PUT  /api/v1/admin/departments/{code}                      | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 403
GET  /api/v1/admin/departments/{code}/versions             | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 403
GET  /api/v1/admin/audit/{target}                          | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 403
PUT  /api/v1/admin/departments/{code}/webhook              | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 403
GET  /api/v1/assignments/{case_no}                         | 401  | 403      | 403        | 200   | 200    | 404    | 200    | 200    | 200   | 200
GET  /api/v1/triage                                        | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 403    | 200   | 403
POST /api/v1/triage/{case_no}/assign                       | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 403    | 200   | 403
GET  /api/v1/workbench/assignments                         | 401  | 403      | 403        | 403   | 200    | 200    | 403    | 403    | 403   | 403
GET  /api/v1/workbench/assignments/{case_no}               | 401  | 403      | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /api/v1/workbench/assignments/{case_no}/accept        | 401  | 403      | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /api/v1/workbench/assignments/{case_no}/object        | 401  | 403      | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /api/v1/workbench/assignments/{case_no}/transfer      | 401  | 403      | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /api/v1/workbench/assignments/{case_no}/extension     | 401  | 403      | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /api/v1/workbench/assignments/{case_no}/answer        | 401  | 403      | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /api/v1/workbench/assignments/{case_no}/mediation     | 401  | 403      | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /api/v1/workbench/assignments/{case_no}/completion-report | 401 | 403   | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /api/v1/extensions/{case_no}/decision                 | 401  | 403      | 403        | 403   | 403    | 403    | 200    | 403    | 200   | 403
GET  /signin                                               | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
POST /signin                                               | 401  | 303      | 303        | 303   | 303    | 303    | 303    | 303    | 303   | 303
GET  /workbench                                            | 303  | 403      | 403        | 403   | 200    | 200    | 403    | 403    | 403   | 403
GET  /workbench/{case_no}                                  | 303  | 403      | 403        | 403   | 200    | 404    | 403    | 403    | 403   | 403
POST /workbench/{case_no}/{action}                         | 303  | 403      | 403        | 403   | 303    | 404    | 403    | 403    | 403   | 403
GET  /triage                                               | 303  | 403      | 403        | 200   | 403    | 403    | 200    | 403    | 200   | 403
POST /triage/{case_no}/assign                              | 303  | 403      | 403        | 303   | 403    | 403    | 303    | 403    | 303   | 403
"""

ANSWER = {
    "request": "请求拆除违章棚屋",
    "facts_and_reasons": "经现场核查，棚屋系违法建设，已责令限期拆除。",
    "outcome": "supported",
    "legal_basis": "《中华人民共和国城乡规划法》第六十四条",
}
A_HANDLER = Principal(sub="matrix-setup", roles=[Role.HANDLER], department=DEPT_A)
NEW_DEPARTMENT = {
    "name": "矩阵测试单位",
    "level": "district",
    "kind": "government",
    "regions": ["369901"],
    "categories": ["990000"],
    "note": "授权矩阵测试",
}

Route = Callable[[PetitionReceived], Awaitable[None]]


class Cases:
    """Fresh cases in the state each probe needs: led by department A unless said otherwise."""

    def __init__(self, routing: Routing, route: Route, a_petition: Callable[..., Any]) -> None:
        self.routing, self.route, self.a_petition = routing, route, a_petition

    async def routed(self, **overrides: Any) -> str:
        petition = self.a_petition(**overrides)
        await self.route(petition)
        return str(petition.case_no)

    async def triaged(self) -> str:
        return await self.routed(category_code="990000")

    async def accepted(self, **overrides: Any) -> str:
        case_no = await self.routed(**overrides)
        await workbench.accept(routing=self.routing, principal=A_HANDLER, case_no=case_no)
        return case_no

    async def answered(self) -> str:
        case_no = await self.accepted(flags=PetitionFlags(urgent=True))  # 交办: reports back
        command = Answer.model_validate(ANSWER)
        await answering.answer(
            routing=self.routing, principal=A_HANDLER, case_no=case_no, command=command
        )
        return case_no

    async def extension_asked(self) -> str:
        case_no = await self.accepted()
        await workbench.request_extension(
            routing=self.routing,
            principal=A_HANDLER,
            case_no=case_no,
            command=ExtensionRequest(days=10, reason="需鉴定"),
        )
        return case_no


def probes(cases: Cases) -> dict[str, Callable[[Who], Awaitable[Call]]]:
    """The requests of the routes that need a body or a case in some state."""
    bench = "/api/v1/workbench/assignments"

    def on(state: Callable[[], Awaitable[str]], path: str, **kw: Any) -> Any:
        case = Fresh(state)

        async def probe(who: Who) -> Call:
            method, _, template = path.partition(" ")
            return Call(method, template.format(case_no=await case.get()), used=case.used, **kw)

        return probe

    async def new_department(who: Who) -> Call:
        code = f"D_MATRIX_{secrets.token_hex(3).upper()}"
        return Call("PUT", f"/api/v1/admin/departments/{code}", json=NEW_DEPARTMENT)

    async def sign_in(who: Who) -> Call:
        return Call("POST", "/signin", data={"token": who.token or "-"}, bearer=False)

    async def webhook(who: Who) -> Call:
        hook = {"url": "https://dept-b.example/hook", "secret": "s" * 20}
        return Call("PUT", f"/api/v1/admin/departments/{DEPT_B}/webhook", json=hook)

    routed, accepted = cases.routed, cases.accepted
    return {
        "PUT /api/v1/admin/departments/{code}": new_department,
        "PUT /api/v1/admin/departments/{code}/webhook": webhook,
        "POST /api/v1/triage/{case_no}/assign": on(
            cases.triaged,
            "POST /api/v1/triage/{case_no}/assign",
            json={"department_code": DEPT_A, "reason": "矩阵测试分流"},
        ),
        f"POST {bench}/{{case_no}}/accept": on(routed, f"POST {bench}/{{case_no}}/accept"),
        f"POST {bench}/{{case_no}}/object": on(
            routed, f"POST {bench}/{{case_no}}/object", json={"reason": "不属本单位"}
        ),
        f"POST {bench}/{{case_no}}/transfer": on(
            routed,
            f"POST {bench}/{{case_no}}/transfer",
            json={"department_code": "C_HOUSING", "reason": "涉及物业"},
        ),
        f"POST {bench}/{{case_no}}/extension": on(
            accepted, f"POST {bench}/{{case_no}}/extension", json={"days": 10, "reason": "需鉴定"}
        ),
        f"POST {bench}/{{case_no}}/answer": on(
            accepted, f"POST {bench}/{{case_no}}/answer", json=ANSWER
        ),
        f"POST {bench}/{{case_no}}/mediation": on(
            accepted, f"POST {bench}/{{case_no}}/mediation", json={"agreement": "双方同意自行拆除"}
        ),
        f"POST {bench}/{{case_no}}/completion-report": on(
            cases.answered,
            f"POST {bench}/{{case_no}}/completion-report",
            json={"summary": "已拆除"},
        ),
        "POST /api/v1/extensions/{case_no}/decision": on(
            cases.extension_asked,
            "POST /api/v1/extensions/{case_no}/decision",
            json={"approved": True, "reason": "同意延期"},
        ),
        "POST /signin": sign_in,
        "POST /workbench/{case_no}/{action}": on(routed, "POST /workbench/{case_no}/accept"),
        "POST /triage/{case_no}/assign": on(
            cases.triaged,
            "POST /triage/{case_no}/assign",
            data={"department_code": DEPT_A, "reason": "矩阵测试分流"},
        ),
    }


def test_every_route_of_routing_has_a_row_in_the_matrix(tmp_path: Path) -> None:
    # The app's routes exist once it is built: no database, no lifespan needed.
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    app = create_app(RoutingSettings(database_url=url, environment="test", start_background=False))

    assert check_routes(app, MATRIX) == []


async def test_every_caller_gets_what_the_matrix_says_from_every_route(
    app: FastAPI, routing: Routing, route: Route, a_petition: Callable[..., Any]
) -> None:
    cases = Cases(routing, route, a_petition)
    case_a = await cases.routed()
    values = {"code": DEPT_A, "target": DEPT_A, "case_no": case_a}

    wrong = await check_matrix(
        app,
        MATRIX,
        departments=(DEPT_A, DEPT_B),
        codes=("NOT-A-CODE", "NOT-A-CODE"),
        values=values,
        probes=probes(cases),
    )

    assert wrong == [], "\n".join(wrong)


def test_the_readme_shows_this_matrix() -> None:
    assert readme_table("routing", MATRIX) in README.read_text(), readme_table("routing", MATRIX)


async def test_expired_tampered_unsigned_and_foreign_tokens_are_refused_on_the_api_and_the_pages(
    app: FastAPI,
) -> None:
    def header(method: str, path: str) -> Callable[[str], Call]:
        return lambda token: Call(method, path, headers={"Authorization": f"Bearer {token}"})

    def cookie(path: str) -> Callable[[str], Call]:
        return lambda token: Call("GET", path, headers={"Cookie": f"{TOKEN_COOKIE}={token}"})

    def sign_in(token: str) -> Call:
        return Call("POST", "/signin", data={"token": token})

    handler = {
        "workbench API": (header("GET", "/api/v1/workbench/assignments"), 200, 401),
        "workbench page, header": (header("GET", "/workbench"), 200, 401),
        "workbench page, cookie": (cookie("/workbench"), 200, 303),
        "sign-in form": (sign_in, 303, 401),
    }
    clerk = {"triage API": (header("GET", "/api/v1/triage"), 200, 401)}

    wrong = await check_tokens(app, handler, roles=[Role.HANDLER], department=DEPT_A)
    wrong += await check_tokens(app, clerk, roles=[Role.CLERK])

    assert wrong == [], "\n".join(wrong)


async def test_the_sign_in_form_goes_on_only_to_a_page_of_this_site(app: FastAPI) -> None:
    token = good_token(secret=app.state.jwt_secret, roles=[Role.HANDLER], department=DEPT_A)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        places = {
            nxt: (await client.post("/signin", data={"token": token, "next": nxt})).headers[
                "location"
            ]
            for nxt in ("/triage", "//evil.example/x", "/\\evil.example", "https://evil.example")
        }

    assert places == {
        "/triage": "/triage",
        "//evil.example/x": "/workbench",
        "/\\evil.example": "/workbench",
        "https://evil.example": "/workbench",
    }


async def test_a_department_lists_and_reads_only_its_own_cases_never_an_accusation_against_it(
    app: FastAPI, routing: Routing, route: Route, a_petition: Callable[..., Any]
) -> None:
    cases = Cases(routing, route, a_petition)
    of_a, of_b = await cases.routed(), await cases.routed(category_code="060000")
    against_a = await cases.routed(
        matter_type="accusation", accused=AccusedRef(department_code=DEPT_A)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def seen_by(department: str) -> tuple[set[str], str, tuple[int, int]]:
            token = good_token(
                secret=app.state.jwt_secret, roles=[Role.HANDLER], department=department
            )
            bearer = {"Authorization": f"Bearer {token}"}
            cookie = {"Cookie": f"{TOKEN_COOKIE}={token}"}
            listed = await client.get("/api/v1/workbench/assignments", headers=bearer)
            page = await client.get("/workbench", headers=cookie)
            read = await client.get(f"/api/v1/assignments/{against_a}", headers=bearer)
            opened = await client.get(f"/workbench/{against_a}", headers=cookie)
            reads = (read.status_code, opened.status_code)
            return {a["case_no"] for a in listed.json()}, page.text, reads

        listed_a, page_a, accusation_read_by_a = await seen_by(DEPT_A)
        listed_b, page_b, _ = await seen_by(DEPT_B)

    assert of_a in listed_a and of_a in page_a
    assert of_b in listed_b and of_b in page_b
    assert of_b not in listed_a and of_b not in page_a
    assert of_a not in listed_b and of_a not in page_b
    assert against_a not in listed_a and against_a not in page_a
    assert accusation_read_by_a == (404, 404)
