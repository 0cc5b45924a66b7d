"""Route dependencies: the supervision container and the readers of deadlines, as aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from xinfang.common.auth import Principal, Role, require_roles
from xinfang.supervision.bootstrap import Supervision


def get_supervision(request: Request) -> Supervision:
    return request.app.state.supervision  # type: ignore[no-any-return]


SupervisionDep = Annotated[Supervision, Depends(get_supervision)]

# The bureau's roles only: letting department handlers in needs scoping to their own cases first.
DeadlineReader = Annotated[
    Principal,
    Depends(require_roles(Role.SUPERVISOR, Role.LEADER, Role.OPERATOR, Role.CLERK)),
]

Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
Operator = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]
# Orders: the bureau, and a department handler for its own department's orders only.
OrderReader = Annotated[
    Principal,
    Depends(require_roles(Role.SUPERVISOR, Role.LEADER, Role.OPERATOR, Role.HANDLER)),
]
