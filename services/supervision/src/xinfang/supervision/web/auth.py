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
    """The bureau reader of this request, or None when not signed in."""
    header = request.headers.get("authorization", "")
    scheme, _, bearer = header.partition(" ")
    token = bearer if scheme.lower() == "bearer" and bearer else request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    try:
        principal = token_principal(request, token)
    except ApiError:
        return None
    return principal if principal.has_any(*READERS) else None


def reader(request: Request) -> Principal:
    """A bureau reader, or 401."""
    principal = optional_reader(request)
    if principal is None:
        raise http_error(401, field="Authorization", en="sign in as a bureau reader")
    return principal


PageReader = Annotated[Principal | None, Depends(optional_reader)]
FileReader = Annotated[Principal, Depends(reader)]
