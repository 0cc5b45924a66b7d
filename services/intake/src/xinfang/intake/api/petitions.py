"""The petitions API: register, track with the query code, full identity (audited)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from xinfang.common.auth import Principal, Role, require_roles
from xinfang.common.crypto import keyed_hash, same
from xinfang.common.errors import ApiError
from xinfang.common.web import ERROR_RESPONSES
from xinfang.intake import domain, handlers, repository
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.bootstrap import Intake
from xinfang.intake.domain.petitioner import rating_refusal
from xinfang.intake.handlers.petitioner import open_review_level
from xinfang.intake.models import (
    CaseIdentity,
    CaseView,
    IdentityAccessPublic,
    Petition,
    PetitionCreate,
    PetitionCreated,
    TimelineItem,
)

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)

IdentityReader = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.SUPERVISOR))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.post("/petitions", status_code=201, tags=["petitions"], summary="Register a petition")
async def register(body: PetitionCreate, intake: IntakeDep) -> PetitionCreated:
    """Registers a petition (登记) and returns its case number and query code (查询码).

    Everything is validated first; a rejected request stores nothing. A petition intake must
    refuse (不予受理, 不再受理, court-related) is registered, refused with a written reason and
    reported with `refused: true`.
    """
    return await handlers.register_petition(intake, body)


NOT_FOUND = ApiError(
    404, "not_found", "信访件编号或查询码不正确", "unknown case number or query code"
)


async def find_by_code(intake: Intake, *, case_no: str, code: str, client: str) -> Petition:
    """The case if `code` is its query code; 404 alike for a wrong number or code.

    Only failed lookups count against the client's limit (a petitioner may follow a case as
    often as they like); past it every lookup gets 429, so codes cannot be guessed.
    """
    if intake.lookups.blocked(client):
        intake.intake_metrics.lookups.labels("rate_limited").inc()
        raise ApiError(
            429,
            "too_many_requests",
            "查询过于频繁，请稍后再试",
            "too many lookups: try again later",
        )
    code_hash = keyed_hash(domain.normalise_query_code(code), key=intake.settings.hash_key)
    async with intake.db.reading() as session:
        petition = await repository.get_petition(session, case_no=case_no)
    if petition is None or not same(petition.query_code_hash, code_hash):
        intake.lookups.record(client)
        intake.intake_metrics.lookups.labels("not_found").inc()
        raise NOT_FOUND
    intake.intake_metrics.lookups.labels("found").inc()
    return petition


async def case_view(intake: Intake, petition: Petition) -> CaseView:
    """What the petitioner sees: status, department, current deadline and public timeline."""
    async with intake.db.reading() as session:
        entries = await repository.timeline(session, case_no=petition.case_no)
    return CaseView(
        case_no=petition.case_no,
        status=petition.status,
        status_zh=domain.status_zh(petition.status, petition.status_zh),
        title=petition.title,
        category_code=petition.category_code,
        region_code=petition.region_code,
        received_at=petition.received_at,
        department=petition.department_name,
        deadline=petition.deadline_due_on,
        can_rate=rating_refusal(answered_at=petition.answered_at, rating=petition.rating) is None,
        review_level=open_review_level(intake, petition),
        timeline=[
            TimelineItem(event=e.event_type, at=e.at, details=json.loads(e.details))
            for e in entries
        ],
    )


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get(
    "/petitions/{case_no}", tags=["petitions"], summary="Track a petition with its query code"
)
async def track(
    case_no: str,
    request: Request,
    intake: IntakeDep,
    x_query_code: Annotated[str, Header(description="the 查询码 given at registration")],
) -> CaseView:
    """The case's public status and timeline. A wrong case number or code answers 404 alike;
    more than the allowed lookups per minute from one client answer 429."""
    petition = await find_by_code(
        intake, case_no=case_no, code=x_query_code, client=client_of(request)
    )
    return await case_view(intake, petition)


@router.get(
    "/petitions/{case_no}/identity",
    tags=["personal data"],
    summary="The petitioners' full identity (clerk, supervisor, admin; audited)",
)
async def identity(
    case_no: str,
    intake: IntakeDep,
    principal: IdentityReader,
    reason: Annotated[str, Query(min_length=4, max_length=500, description="why you need it")],
) -> CaseIdentity:
    """Names, ID numbers, phones, addresses and e-mails in clear. Every read is written to the
    audit log with who, when, which case and the reason given."""
    return await handlers.read_identity(intake, case_no=case_no, principal=principal, reason=reason)


@router.get(
    "/identity-reads", tags=["personal data"], summary="Audit log of identity reads (admin)"
)
async def identity_reads(
    intake: IntakeDep,
    _: Admin,
    case_no: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[IdentityAccessPublic]:
    """Who read whose identity, when and why; newest first."""
    async with intake.db.reading() as session:
        rows = await repository.identity_reads(session, case_no=case_no, limit=limit)
    return [
        IdentityAccessPublic(
            case_no=r.case_no,
            principal=r.principal,
            roles=r.roles.split(","),
            reason=r.reason,
            at=r.at,
        )
        for r in rows
    ]


Clerk = Annotated[Principal, Depends(require_roles(Role.CLERK))]


@router.post(
    "/clerk/petitions",
    status_code=201,
    tags=["petitions"],
    summary="Register a letter, visit, call or collective visit (clerk)",
)
async def register_by_clerk(
    body: PetitionCreate, intake: IntakeDep, clerk: Clerk
) -> PetitionCreated:
    """A clerk registers what came by letter, visit, phone, fax or e-mail (如实记录); the clerk's
    account is recorded as the registering clerk. A visit records at most 5 representatives."""
    return await handlers.register_petition(intake, body, clerk=clerk.sub)
