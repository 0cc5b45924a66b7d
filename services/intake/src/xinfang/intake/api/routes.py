"""Intake's API: register a petition, track it with the query code, list reference codes."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header

from xinfang.common.crypto import keyed_hash, same
from xinfang.common.errors import ApiError
from xinfang.common.web import ERROR_RESPONSES
from xinfang.intake import domain, handlers, repository
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.models import (
    CaseView,
    CodeName,
    PetitionCreate,
    PetitionCreated,
    TimelineItem,
)

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.post("/petitions", status_code=201, tags=["petitions"], summary="Register a petition")
async def register(body: PetitionCreate, intake: IntakeDep) -> PetitionCreated:
    """Registers a petition (登记) and returns its case number and query code (查询码).

    Everything is validated first; a rejected request stores nothing.
    """
    return await handlers.register_petition(intake, body)


@router.get(
    "/petitions/{case_no}", tags=["petitions"], summary="Track a petition with its query code"
)
async def track(
    case_no: str,
    intake: IntakeDep,
    x_query_code: Annotated[str, Header(description="the 查询码 given at registration")],
) -> CaseView:
    """The case's public status and timeline. A wrong case number or code answers 404 alike."""
    code_hash = keyed_hash(domain.normalise_query_code(x_query_code), key=intake.settings.hash_key)
    async with intake.db.reading() as session:
        petition = await repository.get_petition(session, case_no=case_no)
        if petition is None or not same(petition.query_code_hash, code_hash):
            raise ApiError(
                404, "not_found", "信访件编号或查询码不正确", "unknown case number or query code"
            )
        entries = await repository.timeline(session, case_no=case_no)
    return CaseView(
        case_no=petition.case_no,
        status=petition.status,
        status_zh=domain.STATUS_ZH.get(petition.status, petition.status),
        title=petition.title,
        category_code=petition.category_code,
        region_code=petition.region_code,
        received_at=petition.received_at,
        department=petition.department_name,
        timeline=[
            TimelineItem(event=e.event_type, at=e.at, details=json.loads(e.details))
            for e in entries
        ],
    )


@router.get("/categories", tags=["reference"], summary="Content categories (内容分类)")
async def categories(intake: IntakeDep) -> list[CodeName]:
    return [
        CodeName(code=c.code, name=c.name, level=c.level, parent=c.parent)
        for c in intake.categories.values()
        if c.public
    ]


@router.get("/regions", tags=["reference"], summary="Administrative divisions (行政区划)")
async def regions(intake: IntakeDep) -> list[CodeName]:
    return [
        CodeName(code=r.code, name=r.name, level=r.level, parent=r.parent)
        for r in intake.regions.values()
    ]
