"""Route dependencies as `Annotated` aliases: the routing container and who is calling.

Pages work without JavaScript, so a browser carries its bearer token in an HttpOnly cookie set
by the sign-in form; the API takes the usual `Authorization: Bearer` header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from xinfang.common.auth import Principal, Role, principal_from, require_roles, token_principal
from xinfang.common.errors import ApiError
from xinfang.routing.domain.shielding import STAFF_ROLES

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing

TOKEN_COOKIE = "xinfang_routing_token"


def get_routing(request: Request) -> Routing:
    return request.app.state.routing  # type: ignore[no-any-return]


RoutingDep = Annotated["Routing", Depends(get_routing)]

# Staff, or a department handler; which cases a handler sees is decided per case (shielding).
AssignmentReader = Annotated[Principal, Depends(require_roles(*STAFF_ROLES, Role.HANDLER))]
Clerk = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.SUPERVISOR))]
Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


async def department_handler(principal: Annotated[Principal, Depends(principal_from)]) -> Principal:
    """A handler with a department claim: the workbench is scoped to that department."""
    return _as_handler(principal)


def _as_handler(principal: Principal) -> Principal:
    if not principal.has_any(Role.HANDLER) or not principal.department:
        raise ApiError(
            403,
            "forbidden",
            "仅承办单位工作人员可使用工作台",
            "a handler token with a department is required",
        )
    return principal


Handler = Annotated[Principal, Depends(department_handler)]


def page_principal(request: Request) -> Principal | None:
    """The principal of a page request (cookie or header); None when not signed in."""
    token = request.cookies.get(TOKEN_COOKIE)
    if token:
        try:
            return token_principal(request, token)
        except ApiError:
            return None
    if request.headers.get("authorization"):
        return principal_from(request)
    return None
