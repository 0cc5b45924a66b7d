"""The department directory: public reads; versioned, audited changes for admins."""

from __future__ import annotations

import re

from fastapi import APIRouter

from xinfang.common.errors import ApiError, not_found
from xinfang.common.web import ERROR_RESPONSES
from xinfang.routing import directory_store, repository
from xinfang.routing.api.deps import Admin, RoutingDep
from xinfang.routing.handlers import admin
from xinfang.routing.models import DepartmentVersion
from xinfang.routing.schemas import (
    CODE_PATTERN,
    AuditPublic,
    DepartmentChange,
    DepartmentDetail,
    DepartmentPublic,
    WebhookChange,
    WebhookPublic,
)

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["directory"])


def _detail(row: DepartmentVersion) -> DepartmentDetail:
    return DepartmentDetail(
        code=row.code,
        name=row.name,
        level=row.level,
        kind=row.kind,
        parent=row.parent,
        regions=row.regions,
        categories=row.categories,
        version=row.version,
        active=row.active,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
        note=row.note,
    )


@router.get("/departments", summary="The department directory")
async def departments(routing: RoutingDep) -> list[DepartmentPublic]:
    """Every active unit petitions can be routed to. Public.

    A department's `code` is the last token of its subjects: it receives its cases on
    `xinfang.petition.routed.<code>` and its other events on `xinfang.*.*.<code>`.
    """
    async with routing.db.reading() as session:
        directory = await routing.store.current(session)
    return [
        DepartmentPublic(code=d.code, name=d.name, level=d.level, kind=d.kind, parent=d.parent)
        for d in directory.departments.values()
    ]


@router.get("/departments/{code}", summary="One department: jurisdiction, categories, version")
async def department(code: str, routing: RoutingDep) -> DepartmentDetail:
    """The current version of a directory entry, retired ones included. Public."""
    async with routing.db.reading() as session:
        versions = await directory_store.versions_of(session, code=code)
    if not versions:
        raise not_found("该单位", "department")
    return _detail(versions[-1])


@router.put("/admin/departments/{code}", summary="Change or add a department (admin)")
async def change_department(
    code: str, change: DepartmentChange, routing: RoutingDep, principal: Admin
) -> DepartmentDetail:
    """Writes a new version (old versions are kept) and an audit entry: who, when, what.
    Routing uses the new version from its next decision on."""
    if not re.fullmatch(CODE_PATTERN, code):
        raise ApiError(
            422,
            "string_pattern_mismatch",
            "单位代码格式不正确",
            "code must match [A-Z0-9_]+",
            "code",
        )
    await admin.change_department(routing=routing, principal=principal, code=code, change=change)
    return await department(code, routing)


@router.get("/admin/departments/{code}/versions", summary="Every version of a department (admin)")
async def department_versions(code: str, routing: RoutingDep, _: Admin) -> list[DepartmentDetail]:
    """Oldest first; each with who changed it, when and why."""
    async with routing.db.reading() as session:
        return [_detail(v) for v in await directory_store.versions_of(session, code=code)]


@router.get("/admin/audit/{target}", summary="Audit trail of a department or case (admin)")
async def audit_trail(target: str, routing: RoutingDep, _: Admin) -> list[AuditPublic]:
    """Directory changes, webhook settings, case actions and full views, oldest first."""
    async with routing.db.reading() as session:
        return [
            AuditPublic.model_validate(e) for e in await repository.audit_of(session, target=target)
        ]


@router.put("/admin/departments/{code}/webhook", summary="Set a department's webhook (admin)")
async def set_webhook(
    code: str, change: WebhookChange, routing: RoutingDep, principal: Admin
) -> WebhookPublic:
    """Deliveries of the department's events go to `url`, signed with `secret` (HMAC-SHA256,
    see the README). The secret is write-only."""
    endpoint = await admin.set_webhook(
        routing=routing, principal=principal, code=code, change=change
    )
    return WebhookPublic(**endpoint.model_dump(exclude={"secret"}))
