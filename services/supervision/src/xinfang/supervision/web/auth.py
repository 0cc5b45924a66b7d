"""Who is reading a page or a download: a bearer header, or the HttpOnly cookie the sign-in form
sets (pages work without JavaScript)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from xinfang.common.auth import Principal, Role, token_principal
from xinfang.common.errors import ApiError, http_error

TOKEN_COOKIE = "xinfang_supervision_token"
READERS = (Role.SUPERVISOR, Role.LEADER, Role.OPERATOR, Role.CLERK, Role.ADMIN)


def optional_reader(request: Request) -> Principal | None:
    """The bureau reader of this request, or None when not signed in as one."""
    try:
        return reader(request)
    except ApiError:
        return None


def reader(request: Request) -> Principal:
    """A bureau reader: 401 without a token this service accepts, 403 for anyone else."""
    header = request.headers.get("authorization", "")
    scheme, _, bearer = header.partition(" ")
    token = bearer if scheme.lower() == "bearer" and bearer else request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise http_error(401, field="Authorization", en="sign in as a bureau reader")
    return bureau_reader(token_principal(request, token))


def bureau_reader(principal: Principal) -> Principal:
    """`principal` if it is one of the bureau's readers; 403 otherwise."""
    if not principal.has_any(*READERS):
        raise ApiError(
            403, "forbidden", "仅信访局工作人员可查看", "only the bureau's staff may read this"
        )
    return principal


PageReader = Annotated[Principal | None, Depends(optional_reader)]
FileReader = Annotated[Principal, Depends(reader)]
