"""The authorisation matrix's own machinery: the refused tokens really are refused, a route
without a row is reported, and a cell that differs is named."""

import pytest
from fastapi import APIRouter, Depends, FastAPI

from xinfang.common.auth import Role, require_roles, verify_token
from xinfang.common.errors import ApiError, install_error_handlers
from xinfang.common.testing.authz import (
    bad_tokens,
    check_matrix,
    check_routes,
    columns,
    good_token,
    parse_table,
)

SECRET = "a-test-secret-of-at-least-32-bytes!"


def test_every_bad_token_is_refused_with_401_and_the_good_one_accepted() -> None:
    bad = bad_tokens(secret=SECRET, audience="routing", roles=[Role.CLERK])

    refused = {}
    for kind, token in bad.items():
        with pytest.raises(ApiError) as error:
            verify_token(token, secret=SECRET, audience="routing")
        refused[kind] = error.value.status
    good = verify_token(
        good_token(secret=SECRET, roles=[Role.CLERK]), secret=SECRET, audience="routing"
    )

    assert set(refused.values()) == {401}
    assert {"expired", "not yet valid", "alg none", "wrong audience"} <= set(refused)
    assert good.roles == [Role.CLERK]


def a_tiny_app() -> FastAPI:
    app = FastAPI()
    app.state.jwt_secret, app.state.jwt_audience = SECRET, "intake"
    install_error_handlers(app)
    router = APIRouter()

    @router.get("/open")
    async def open_() -> dict[str, str]:
        return {}

    @router.get("/staff", dependencies=[Depends(require_roles(Role.CLERK))])
    async def staff() -> dict[str, str]:
        return {}

    app.include_router(router)
    return app


HEADER = "route | " + " | ".join(column.name for column in columns("A", "B"))


def test_a_route_without_a_row_and_a_row_without_a_route_are_both_reported() -> None:
    table = f"""
    {HEADER}
    GET /open    | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200
    GET /gone    | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200
    """

    problems = check_routes(a_tiny_app(), table)

    assert "no row for GET /staff" in problems
    assert "row for a route the app does not serve: GET /gone" in problems


async def test_a_cell_the_app_answers_otherwise_is_named_with_what_came_back() -> None:
    app = a_tiny_app()
    table = f"""
    {HEADER}
    GET /open    | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 200
    GET /staff   | 401 | 403 | 403 | 200 | 200 | 403 | 403 | 403 | 200 | 403
    """

    wrong = await check_matrix(
        app, table, departments=("A", "B"), codes=("x", "y"), values={}, probes={}
    )

    assert len(wrong) == 1 and wrong[0].startswith("GET /staff as dept-A: expected 200, got 403")


def test_a_row_with_a_missing_cell_is_an_error() -> None:
    with pytest.raises(ValueError, match="GET /open"):
        parse_table(f"{HEADER}\nGET /open | 200 | 200")
