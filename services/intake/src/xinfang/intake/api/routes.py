"""Intake's HTTP API routers, and the reference codes."""

from __future__ import annotations

from fastapi import APIRouter

from xinfang.common.web import ERROR_RESPONSES
from xinfang.intake.api import attachments, cases, petitioner, petitions
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.models import CodeName
from xinfang.intake.open311.routes import router as open311
from xinfang.intake.web import pages, portal

reference = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@reference.get("/categories", tags=["reference"], summary="Content categories (内容分类)")
async def categories(intake: IntakeDep) -> list[CodeName]:
    """The categories the public may file under, from the versioned classification table."""
    return [
        CodeName(code=c.code, name=c.name, level=c.level, parent=c.parent)
        for c in intake.categories.values()
        if c.public
    ]


@reference.get("/regions", tags=["reference"], summary="Administrative divisions (行政区划)")
async def regions(intake: IntakeDep) -> list[CodeName]:
    """The city's divisions: city, districts and counties, streets and towns."""
    return [
        CodeName(code=r.code, name=r.name, level=r.level, parent=r.parent)
        for r in intake.regions.values()
    ]


routers: list[APIRouter] = [
    petitions.router,
    petitioner.router,
    attachments.router,
    cases.router,
    reference,
    pages.router,
    portal.router,
    open311,
]
