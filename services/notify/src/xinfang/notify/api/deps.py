"""Route dependencies: the notify container and the staff who may read notices, as aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from xinfang.common.auth import Principal, Role, require_roles

if TYPE_CHECKING:
    from xinfang.notify.bootstrap import Notify


def get_notify(request: Request) -> Notify:
    return request.app.state.notify  # type: ignore[no-any-return]


NotifyDep = Annotated["Notify", Depends(get_notify)]
NoticeReader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.OPERATOR))]
Operator = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]
MailingClerk = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.OPERATOR))]
