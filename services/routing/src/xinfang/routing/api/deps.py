"""Route dependencies: the routing container and who may read assignments, as `Annotated`
aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from xinfang.common.auth import Principal, Role, require_roles
from xinfang.routing.domain import STAFF_ROLES

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing


def get_routing(request: Request) -> Routing:
    return request.app.state.routing  # type: ignore[no-any-return]


RoutingDep = Annotated["Routing", Depends(get_routing)]

# Staff, or a department handler; which cases a handler sees is decided per assignment.
AssignmentReader = Annotated[Principal, Depends(require_roles(*STAFF_ROLES, Role.HANDLER))]
