# ruff: noqa: E501  (the matrix is a table: one row per route, wider than a line of code)
"""Who may call what in supervision: every route × every kind of caller, on a real database.

Department A (C_HOUSING) handles the cases and receives the orders the probes act on; department
B (C_EDU) may neither answer A's orders nor see them listed. Department handlers read no deadlines,
KPIs or pages: those are the bureau's. Columns: see `xinfang.common.testing.authz`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from xinfang.common.auth import Role
from xinfang.common.events import AssignmentAccepted
from xinfang.common.testing.authz import (
    Call,
    Fresh,
    Who,
    check_matrix,
    check_routes,
    check_tokens,
    readme_table,
)
from xinfang.common.testing.builders import a_petition_received, a_petition_routed
from xinfang.supervision import handlers, repository
from xinfang.supervision.domain import DeadlineKind
from xinfang.supervision.handlers.orders import issue_order
from xinfang.supervision.main import create_app
from xinfang.supervision.settings import SupervisionSettings
from xinfang.supervision.web.auth import TOKEN_COOKIE

DEPT_A, DEPT_B = "C_HOUSING", "C_EDU"
README = Path(__file__).parents[4] / "README.md"

MATRIX = """
route                                               | anon | own-code | other-code | clerk | dept-A | dept-B | superv | leader | admin | oper
GET  /openapi.json                                  | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /docs                                          | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /docs/oauth2-redirect                          | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /redoc                                         | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /healthz                                       | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /readyz                                        | 503  | 503      | 503        | 503   | 503    | 503    | 503    | 503    | 503   | 503
GET  /metrics                                       | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /api/v1/dead-letters                           | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 200
GET  /api/v1/cases/{case_no}/deadlines              | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 200
GET  /api/v1/deadlines                              | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 200
GET  /api/v1/cases/{case_no}/timeline               | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 200
POST /api/v1/cases/{case_no}/deadlines/{kind}/pause | 401  | 403      | 403        | 403   | 403    | 403    | 200    | 403    | 200   | 403
POST /api/v1/cases/{case_no}/deadlines/{kind}/resume | 401 | 403      | 403        | 403   | 403    | 403    | 200    | 403    | 200   | 403
POST /api/v1/cases/{case_no}/orders                 | 401  | 403      | 403        | 403   | 403    | 403    | 201    | 403    | 201   | 403
GET  /api/v1/orders                                 | 401  | 403      | 403        | 403   | 200    | 200    | 200    | 200    | 200   | 200
POST /api/v1/orders/{order_id}/feedback             | 401  | 403      | 403        | 403   | 200    | 403    | 200    | 403    | 200   | 403
PUT  /api/v1/cases/{case_no}/leader                 | 401  | 403      | 403        | 403   | 403    | 403    | 200    | 403    | 200   | 403
GET  /api/v1/alerts                                 | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 200
POST /api/v1/zero-reports                           | 401  | 403      | 403        | 403   | 201    | 403    | 201    | 403    | 201   | 403
GET  /api/v1/zero-reports                           | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 200
GET  /api/v1/kpis                                   | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 200
POST /api/v1/admin/calendars/reload                 | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 200
GET  /login                                         | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
POST /login                                         | 401  | 403      | 403        | 303   | 403    | 403    | 303    | 303    | 303   | 303
GET  /                                              | 303  | 303      | 303        | 200   | 303    | 303    | 200    | 200    | 200   | 200
GET  /ledgers/{name}.{fmt}                          | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 200
GET  /bulletin                                      | 303  | 303      | 303        | 200   | 303    | 303    | 200    | 200    | 200   | 200
GET  /bulletin.pdf                                  | 401  | 403      | 403        | 200   | 403    | 403    | 200    | 200    | 200   | 200
"""


class Cases:
    """Fresh cases, deadlines and orders in the state each probe needs, through the handlers."""

    def __init__(self, world: Any) -> None:
        self.world, self.sv = world, world.sv

    async def accepted(self) -> str:
        """A case department A has accepted: its handling clock runs."""
        case_no = self.world.case_no()
        await self.world.apply(a_petition_received(case_no=case_no))
        await self.world.apply(a_petition_routed(case_no=case_no, department_code=DEPT_A))
        accepted_at = self.world.clock.now()
        await self.world.apply(
            AssignmentAccepted(case_no=case_no, department_code=DEPT_A, accepted_at=accepted_at)
        )
        return str(case_no)

    async def paused(self) -> str:
        case_no = await self.accepted()
        async with self.sv.db.transaction() as session:
            row = await repository.get_deadline(
                session, case_no=case_no, kind=DeadlineKind.HANDLING
            )
            assert row is not None
            await handlers.pause(session, row, self.sv.ctx)
        return case_no

    async def order(self) -> str:
        """An open order to department A, on a case of its own."""
        case_no = await self.accepted()
        async with self.sv.db.transaction() as session:
            order = await issue_order(
                session,
                case_no=case_no,
                department_code=DEPT_A,
                reason="请说明办理进展",
                ctx=self.sv.ctx,
                issued_by="matrix",
            )
        return str(order.order_id)


def probes(cases: Cases) -> dict[str, Callable[[Who], Awaitable[Call]]]:
    """The requests of the routes that need a body, or a case or order in some state."""
    clock = "/api/v1/cases/{case_no}/deadlines/{kind}"

    def on(state: Callable[[], Awaitable[str]], method: str, path: str, **kw: Any) -> Any:
        made = Fresh(state)

        async def probe(who: Who) -> Call:
            value = await made.get()
            url = path.format(case_no=value, order_id=value, kind="handling")
            return Call(method, url, used=made.used, **kw)

        return probe

    async def zero_report(who: Who) -> Call:
        # A handler reports for department A; anyone else for a unit of its own making, so
        # each caller's report is the first of its unit today.
        unit = DEPT_A if who.column.startswith("dept-") else f"U_{secrets.token_hex(3)}"
        return Call("POST", "/api/v1/zero-reports", json={"unit_code": unit})

    async def sign_in(who: Who) -> Call:
        return Call("POST", "/login", data={"token": who.token or "not-a-token-at-all"})

    return {
        f"POST {clock}/pause": on(
            cases.accepted, "POST", f"{clock}/pause", json={"reason": "听证"}
        ),
        f"POST {clock}/resume": on(cases.paused, "POST", f"{clock}/resume"),
        "POST /api/v1/cases/{case_no}/orders": on(
            cases.accepted,
            "POST",
            "/api/v1/cases/{case_no}/orders",
            json={"department_code": DEPT_A, "reason": "请说明办理进展"},
        ),
        "POST /api/v1/orders/{order_id}/feedback": on(
            cases.order,
            "POST",
            "/api/v1/orders/{order_id}/feedback",
            json={"feedback": "已现场核查，正在整改"},
        ),
        "PUT /api/v1/cases/{case_no}/leader": on(
            cases.accepted, "PUT", "/api/v1/cases/{case_no}/leader", json={"leader": "王副市长"}
        ),
        "POST /api/v1/zero-reports": zero_report,
        "POST /login": sign_in,
    }


def test_every_route_of_supervision_has_a_row_in_the_matrix(tmp_path: Path) -> None:
    # The app's routes exist once it is built: no database, no lifespan needed.
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    app = create_app(
        SupervisionSettings(database_url=url, environment="test", start_background=False)
    )

    assert check_routes(app, MATRIX) == []


async def test_every_caller_gets_what_the_matrix_says_from_every_route(world: Any) -> None:
    cases = Cases(world)
    values = {"case_no": await cases.accepted(), "name": "backlog", "fmt": "csv"}

    wrong = await check_matrix(
        world.app,
        MATRIX,
        departments=(DEPT_A, DEPT_B),
        codes=("NOT-A-CODE", "NOT-A-CODE"),
        values=values,
        probes=probes(cases),
    )

    assert wrong == [], "\n".join(wrong)


def test_the_readme_shows_this_matrix() -> None:
    table = readme_table("supervision", MATRIX)
    assert table in README.read_text(), table


async def test_expired_tampered_unsigned_and_foreign_tokens_are_refused_on_the_api_and_the_pages(
    world: Any,
) -> None:
    def header(path: str) -> Callable[[str], Call]:
        return lambda token: Call("GET", path, headers={"Authorization": f"Bearer {token}"})

    def cookie(path: str) -> Callable[[str], Call]:
        return lambda token: Call("GET", path, headers={"Cookie": f"{TOKEN_COOKIE}={token}"})

    def sign_in(token: str) -> Call:
        return Call("POST", "/login", data={"token": token})

    calls = {
        "KPI API": (header("/api/v1/kpis"), 200, 401),
        "bulletin PDF, header": (header("/bulletin.pdf"), 200, 401),
        "ledger, cookie": (cookie("/ledgers/backlog.csv"), 200, 401),
        "dashboard, cookie": (cookie("/"), 200, 303),
        "sign-in form": (sign_in, 303, 401),
    }

    wrong = await check_tokens(world.app, calls, roles=[Role.SUPERVISOR])

    assert wrong == [], "\n".join(wrong)


async def test_a_department_lists_only_the_orders_sent_to_it(world: Any) -> None:
    cases = Cases(world)
    to_a = await cases.order()
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def listed(caller: str, params: dict[str, str] | None = None) -> set[str]:
            headers = world.auth_handler(caller)
            response = await client.get("/api/v1/orders", params=params, headers=headers)
            return {o["order_id"] for o in response.json()}

        mine, theirs = await listed(DEPT_A), await listed(DEPT_B)
        asked_for_a = await listed(DEPT_B, {"department": DEPT_A})

    assert to_a in mine
    assert to_a not in theirs and to_a not in asked_for_a
