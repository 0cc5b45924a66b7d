"""The clerk's triage assignment and the admin's directory changes (versioned and audited)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xinfang.common.auth import Principal
from xinfang.common.errors import ApiError, not_found
from xinfang.common.reference import Department
from xinfang.routing import directory_store, repository, schemas
from xinfang.routing.domain.directory import Directory
from xinfang.routing.domain.rules import Decision
from xinfang.routing.handlers.cases import check_shield, open_case, require
from xinfang.routing.handlers.placing import place
from xinfang.routing.models import Assignment, WebhookEndpoint

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing


def _unknown(field: str) -> ApiError:
    return ApiError(422, "unknown_department", "单位不存在", "no such department", field)


async def assign_from_triage(
    *, routing: Routing, principal: Principal, case_no: str, command: schemas.TriageAssign
) -> Assignment:
    """A clerk places a queued case, with a reason; shielding refuses a conflicted pick."""
    async with open_case(routing, principal, case_no, lead_only=False) as case:
        require(case.row, "triage")
        lead = case.directory.get(command.department_code)
        if lead is None:
            raise _unknown("department_code")
        co = [case.directory.get(c) for c in command.co_handlers if c != lead.code]
        if any(d is None for d in co):
            raise _unknown("co_handlers")
        for department in (lead, *co):
            check_shield(case.shield, department.code)  # type: ignore[union-attr]
        decision = Decision(
            lead=lead,
            rule="clerk",
            reason=f"分流员指定：{command.reason}",
            co_handlers=tuple(d for d in co if d is not None),
            mode=command.mode,
        )
        await place(
            case.session, case.row, decision, routing=routing, shield=case.shield, now=case.now
        )
        case.audit("triage.assigned", department=lead.code, reason=command.reason)
        return case.row


async def change_department(
    *, routing: Routing, principal: Principal, code: str, change: schemas.DepartmentChange
) -> int:
    """Write a new version of a department (version 1 for a new code); returns the version."""
    now = routing.clock.now()
    async with routing.db.transaction() as session:
        directory = await routing.store.current(session)
        versions = await directory_store.versions_of(session, code=code)
        department = Department(code=code, **change.model_dump(exclude={"active", "note"}))
        _check(directory, department, active=change.active)
        version = (versions[-1].version if versions else 0) + 1
        session.add(
            directory_store.version_row(
                department,
                version=version,
                by=principal.sub,
                at=now,
                note=change.note,
                active=change.active,
            )
        )
        before = _summary(versions[-1]) if versions else None
        repository.audit(
            session,
            at=now,
            actor=principal.sub,
            action="directory.changed",
            target=code,
            version=version,
            before=before,
            after=change.model_dump(),
        )
        return version


def _summary(row: object) -> dict[str, object]:
    fields = ("name", "level", "kind", "parent", "regions", "categories", "active")
    return {f: getattr(row, f) for f in fields}


def _check(directory: Directory, department: Department, *, active: bool) -> None:
    if department.parent and (
        department.parent == department.code or directory.get(department.parent) is None
    ):
        raise _unknown("parent")
    if department.parent and department.code in {
        a.code for a in directory.ancestors(department.parent)
    }:
        raise ApiError(
            422, "cycle", "上级单位关系不能成环", "the parent chain would loop", "parent"
        )
    if not active and department.code in directory.rules.values():
        raise ApiError(
            422,
            "named_by_rule",
            "转送规则仍指向该单位，不能停用",
            "a routing rule names this department",
            "active",
        )


async def set_webhook(
    *, routing: Routing, principal: Principal, code: str, change: schemas.WebhookChange
) -> WebhookEndpoint:
    """Point a department's feed at a webhook URL with a signing secret (audited, secret not)."""
    now = routing.clock.now()
    async with routing.db.transaction() as session:
        if (await routing.store.current(session)).get(code) is None:
            raise not_found("该单位", "department")
        endpoint = await session.get(WebhookEndpoint, code) or WebhookEndpoint(
            department_code=code,
            url=change.url,
            secret="",
            updated_by=principal.sub,
            updated_at=now,
        )
        sealed = routing.sealer.seal(change.secret)
        endpoint.url, endpoint.secret, endpoint.active = change.url, sealed, True
        endpoint.updated_by, endpoint.updated_at = principal.sub, now
        session.add(endpoint)
        repository.audit(
            session, at=now, actor=principal.sub, action="webhook.set", target=code, url=change.url
        )
        return endpoint
