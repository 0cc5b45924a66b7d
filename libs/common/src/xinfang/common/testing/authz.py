"""The authorisation matrix: every route of a service's app × every kind of caller.

A service's test module writes its matrix as a table, one row per route and one column per
caller, each cell the status that caller must get::

    route                         | anon | own-code | other-code | clerk | dept-A | ...
    GET  /api/v1/triage           | 401  | 403      | 403        | 200   | 403    | ...

`check_routes` fails when the app has a route the table lacks (or the table a route the app
lacks); `check_matrix` sends every cell's request to the real app (in-process, its real database)
and lists each cell whose status differs. A route needing a path value or a body gets a probe:
a function from the caller to the request to send, which may first create what the request acts
on; `Fresh` makes a new one only after a caller succeeded on the last, so one caller's success
never changes another's answer. Refusals (401, 403) must carry the one error shape, except on a
page that shows the error itself and on Open311, which has its own.

The petitioner columns carry a petitioner-role token and hold a query code: that of the case the
probes act on (`own-code`) or that of another case (`other-code`). Every column calls from its
own client address, so the query-code rate limit of one never answers another.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx
import jwt
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from xinfang.common.auth import ALGORITHM, ISSUER, SERVICES, Role, issue_token

T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    """One kind of caller: its roles, its department (handlers) and which query code it holds
    ("own": the case's, "other": another case's)."""

    name: str
    roles: tuple[Role, ...] = ()
    department: str | None = None
    code: str | None = None


def columns(dept_a: str, dept_b: str) -> list[Column]:
    """The callers of every matrix; department A's handler acts on A's cases, B's must not."""
    return [
        Column("anon"),
        Column("own-code", (Role.PETITIONER,), code="own"),
        Column("other-code", (Role.PETITIONER,), code="other"),
        Column("clerk", (Role.CLERK,)),
        Column("dept-A", (Role.HANDLER,), dept_a),
        Column("dept-B", (Role.HANDLER,), dept_b),
        Column("superv", (Role.SUPERVISOR,)),
        Column("leader", (Role.LEADER,)),
        Column("admin", (Role.ADMIN,)),
        Column("oper", (Role.OPERATOR,)),
    ]


@dataclass
class Who:
    """What a probe knows of the caller it builds a request for."""

    column: str
    token: str | None
    query_code: str | None
    holds: str | None = None  # "own" or "other": whose query code the caller holds

    def code_for(self, own: str, other: str) -> str | None:
        """The query code this caller holds for a case whose code is `own` (a fresh case a
        probe made), `other` standing for any other case's."""
        return {"own": own, "other": other}.get(self.holds or "")

    @property
    def bearer(self) -> dict[str, str]:
        """The Authorization header, or none for an anonymous caller."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class Call:
    """One request: method, path and what it carries. The caller's bearer header is added
    unless `bearer` is false (a page that takes its token in a form field)."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    bearer: bool = True
    used: Callable[[], None] | None = None  # told when the call succeeded (2xx, 3xx)


Probe = Callable[[Who], Awaitable[Call]]


class Fresh(Generic[T]):
    """What a probe acts on (a case in some state), made anew only after a call succeeded on
    it. A refused call must change nothing, so the next caller reuses the same one; a refusal
    that did change it shows up as the next allowed caller's wrong answer."""

    def __init__(self, make: Callable[[], Awaitable[T]]) -> None:
        self._make = make
        self._value: T | None = None

    async def get(self) -> T:
        """The current one, made first if there is none."""
        if self._value is None:
            self._value = await self._make()
        return self._value

    def used(self) -> None:
        """A call succeeded on it: the next caller gets a new one."""
        self._value = None


def route_keys(app: FastAPI) -> set[str]:
    """`METHOD /path` of every route the app serves (HEAD aside), FastAPI's docs included."""
    keys = set()
    for route in iter_route_contexts(app.routes):
        for method in (route.methods or set()) - {"HEAD"}:
            keys.add(f"{method} {route.path}")
    return keys


@dataclass
class Table:
    """A parsed matrix: its columns, in order, and each route's expected statuses."""

    columns: list[str]
    rows: dict[str, dict[str, int]]


def parse_table(text: str) -> Table:
    """Read the table: a header line naming the columns, then `METHOD /path | status | ...`."""
    lines = [line for line in text.strip().splitlines() if "|" in line]
    header, *body = [[cell.strip() for cell in line.split("|")] for line in lines]
    names, rows = header[1:], {}
    for cells in body:
        route = re.sub(r"\s+", " ", cells[0])
        if route in rows:
            raise ValueError(f"{route} has two rows")
        if len(cells) != len(header):
            raise ValueError(f"{route}: {len(cells) - 1} cells for {len(names)} columns")
        rows[route] = {name: int(cell) for name, cell in zip(names, cells[1:], strict=True)}
    return Table(columns=names, rows=rows)


def check_routes(app: FastAPI, table: str) -> list[str]:
    """Routes the app serves without a row, and rows for routes it does not serve."""
    served, rows = route_keys(app), set(parse_table(table).rows)
    return [f"no row for {key}" for key in sorted(served - rows)] + [
        f"row for a route the app does not serve: {key}" for key in sorted(rows - served)
    ]


def default_call(route: str, values: Mapping[str, str]) -> Call:
    """`METHOD /path` with each `{name}` replaced by `values[name]`."""
    method, path = route.split(" ", 1)
    return Call(method, re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path))


class Matrix:
    """Sends each cell's request to the app and compares the status with the table."""

    def __init__(
        self,
        app: FastAPI,
        *,
        departments: tuple[str, str],
        codes: tuple[str, str],
        values: Mapping[str, str],
        probes: Mapping[str, Probe],
    ) -> None:
        self.app, self.values, self.probes = app, values, probes
        self.codes = {"own": codes[0], "other": codes[1]}
        self.columns = {c.name: c for c in columns(*departments)}

    def who(self, column: str) -> Who:
        """The caller of a column, with a token good for this service, issued now."""
        spec = self.columns[column]
        token = (
            issue_token(
                secret=self.app.state.jwt_secret,
                sub=f"matrix-{spec.name}",
                roles=list(spec.roles),
                department=spec.department,
                now=datetime.now(UTC),
            )
            if spec.roles
            else None
        )
        return Who(column, token, self.codes.get(spec.code or ""), spec.code)

    async def check(self, table_text: str) -> list[str]:
        """Every cell whose answer differs from the table, as a readable line each."""
        table = parse_table(table_text)
        if table.columns != list(self.columns):
            return [f"the columns must be every caller, in order: {' | '.join(self.columns)}"]
        wrong = []
        for index, column in enumerate(table.columns):
            who = self.who(column)
            transport = httpx.ASGITransport(app=self.app, client=(f"10.9.0.{index + 1}", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://matrix") as client:
                for route, expected in table.rows.items():
                    problem = await self._cell(client, who, route, expected[column])
                    if problem:
                        wrong.append(f"{route} as {column}: {problem}")
        return wrong

    async def _cell(self, client: httpx.AsyncClient, who: Who, route: str, expected: int) -> str:
        probe = self.probes.get(route)
        call = await probe(who) if probe else default_call(route, self.values)
        response = await send(client, call, who)
        if call.used is not None and response.status_code < 400:
            call.used()
        if response.status_code != expected:
            return f"expected {expected}, got {response.status_code} {response.text[:160]!r}"
        if expected in (401, 403) and _api_answer(route, response):
            return error_shape_problem(response)
        return ""


async def send(client: httpx.AsyncClient, call: Call, who: Who | None = None) -> httpx.Response:
    """Send `call`, with the caller's bearer header unless the call says otherwise."""
    headers = dict(call.headers)
    if who is not None and call.bearer:
        headers |= who.bearer
    return await client.request(
        call.method,
        call.path,
        params=call.params,
        json=call.json,
        data=call.data,
        files=call.files,
        headers=headers,
    )


def _api_answer(route: str, response: httpx.Response) -> bool:
    """Whether a refusal must carry the error shape: not a page showing the error itself, and
    not Open311, which answers in its own specification's format."""
    return not _is_page(response) and not route.split(" ", 1)[1].startswith("/open311/")


def _is_page(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/html")


def error_shape_problem(response: httpx.Response) -> str:
    """'' if the response carries xinfang's one error shape; what is wrong otherwise."""
    try:
        error = response.json()["errors"][0]
        assert error["code"] and error["message"]["zh"] and error["message"]["en"]
    except (ValueError, KeyError, IndexError, TypeError, AssertionError):
        return f"{response.status_code} without the error shape: {response.text[:160]!r}"
    return ""


async def check_matrix(
    app: FastAPI,
    table: str,
    *,
    departments: tuple[str, str],
    codes: tuple[str, str],
    values: Mapping[str, str],
    probes: Mapping[str, Probe],
) -> list[str]:
    """Run the whole matrix against `app` (lifespan running); the cells that differ."""
    matrix = Matrix(app, departments=departments, codes=codes, values=values, probes=probes)
    return await matrix.check(table)


def bad_tokens(*, secret: str, audience: str, roles: Sequence[Role]) -> dict[str, str]:
    """Tokens a service must refuse, each otherwise good for `audience` and `roles`."""
    now = int(datetime.now(UTC).timestamp())
    hour = 3600

    def signed(**changes: Any) -> str:
        claims = {
            "iss": ISSUER,
            "aud": [audience],
            "sub": "intruder",
            "roles": [r.value for r in roles],
            "scope": "",
            "iat": now,
            "exp": now + hour,
        } | changes
        present = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(present, secret, ALGORITHM)

    head, payload, signature = signed().split(".")
    as_admin = signed(roles=[Role.ADMIN.value]).split(".")[1]
    claims = jwt.decode(signed(), options={"verify_signature": False})
    return {
        "expired": signed(iat=now - 3 * hour, exp=now - hour),
        "not yet valid": signed(iat=now + 2 * hour, nbf=now + 2 * hour, exp=now + 3 * hour),
        "tampered signature": f"{head}.{payload}.{_flip(signature)}",
        "tampered claims": f"{head}.{as_admin}.{signature}",
        "alg none": jwt.encode(claims, "", "none"),
        "another secret": jwt.encode(claims, secret + "-not-ours", ALGORITHM),
        "wrong issuer": signed(iss="someone-else"),
        "wrong audience": signed(aud=[s for s in SERVICES if s != audience]),
        "no audience": signed(aud=None),
        "no expiry": signed(exp=None),
        "not a token": "not-a-jwt-at-all",
    }


def _flip(text: str) -> str:
    """`text` with its middle character changed."""
    middle = len(text) // 2
    return text[:middle] + ("B" if text[middle] == "A" else "A") + text[middle + 1 :]


def good_token(*, secret: str, roles: Sequence[Role], department: str | None = None) -> str:
    """A token that must be accepted (the positive control of the token checks)."""
    return issue_token(
        secret=secret, sub="matrix", roles=list(roles), department=department, now=datetime.now(UTC)
    )


async def check_tokens(
    app: FastAPI,
    calls: Mapping[str, tuple[Callable[[str], Call], int, int]],
    *,
    roles: Sequence[Role],
    department: str | None = None,
) -> list[str]:
    """For each named call (a function from a token to the request, the status with a good
    token, the status with a bad one): the good token accepted, every bad token refused, and
    a 401 other than a page's in the error shape."""
    state = app.state
    bad = bad_tokens(secret=state.jwt_secret, audience=state.jwt_audience, roles=roles)
    good = good_token(secret=state.jwt_secret, roles=roles, department=department)
    problems = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://matrix") as client:
        for name, (make, accepted, refused) in calls.items():
            control = await send(client, make(good))
            if control.status_code != accepted:
                problems.append(f"{name} with a good token: {control.status_code}, not {accepted}")
            for kind, token in bad.items():
                response = await send(client, make(token))
                if response.status_code != refused:
                    problems.append(f"{name}, {kind}: {response.status_code}, not {refused}")
                elif refused == 401 and not _is_page(response):
                    problems.extend(
                        f"{name}, {kind}: {p}" for p in [error_shape_problem(response)] if p
                    )
    return problems


def readme_table(title: str, table_text: str) -> str:
    """The table as the README shows it: ✓ allowed, ✗ refused (401/403), 404 not theirs (or
    no such thing), other statuses as numbers."""
    table = parse_table(table_text)

    def mark(status: int) -> str:
        if status < 400:
            return "✓"
        return "✗" if status in (401, 403) else str(status)

    lines = [
        f"<details><summary>{title}</summary>",
        "",
        "| route | " + " | ".join(table.columns) + " |",
        "|---|" + "---|" * len(table.columns),
    ]
    for route, cells in table.rows.items():
        lines.append(f"| `{route}` | " + " | ".join(mark(cells[c]) for c in table.columns) + " |")
    return "\n".join([*lines, "", "</details>"])
