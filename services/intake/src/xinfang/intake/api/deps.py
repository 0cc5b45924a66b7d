"""Route dependencies: the intake container, as an `Annotated` alias."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake


async def get_intake(request: Request) -> Intake:
    """The app's intake container (async: a plain `def` dependency would cost a thread hop)."""
    return request.app.state.intake  # type: ignore[no-any-return]


IntakeDep = Annotated["Intake", Depends(get_intake)]
