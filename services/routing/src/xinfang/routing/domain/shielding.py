"""Conflict-of-interest shielding (回避), the ONE place it is decided.

An accusation (检举控告) is never routed to, copied to, or shown to the accused unit, nor to any
unit under the accused unit's leadership (its descendants in the directory). Every path asks this
module: the routing rules, the clerk's triage, transfers, co-handling, re-routing after an
objection, the department feeds (NATS subjects and webhooks) and the workbench queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from xinfang.common.auth import Principal, Role
from xinfang.common.reference import Department
from xinfang.routing.domain.directory import Directory

# Roles that oversee every case; a department handler sees only its own department's.
STAFF_ROLES = (Role.SUPERVISOR, Role.CLERK, Role.LEADER, Role.OPERATOR, Role.ADMIN)


class ConflictOfInterest(Exception):
    """A path tried to hand an accusation to the accused unit or a unit it leads."""

    def __init__(self, department_code: str, accused: str) -> None:
        super().__init__(f"{department_code} must not see an accusation against {accused}")
        self.department_code, self.accused = department_code, accused


@dataclass(frozen=True)
class Shield:
    """The units that must never see one case: the accused and every unit it leads."""

    accused: str | None = None
    units: frozenset[str] = frozenset()

    def blocks(self, department_code: str | None) -> bool:
        return department_code is not None and department_code in self.units

    def allowed(self, departments: Iterable[Department]) -> list[Department]:
        return [d for d in departments if not self.blocks(d.code)]


NO_SHIELD = Shield()


def shield_for(directory: Directory, *, accused: str | None, accusation: bool) -> Shield:
    """The shield of a case: empty unless it is an accusation against a known unit.

    An accused code the directory does not know still shields that code itself.
    """
    if not accusation or not accused:
        return NO_SHIELD
    return Shield(accused=accused, units=frozenset(directory.led_by(accused)))


def lift(directory: Directory, department: Department, shield: Shield) -> Department | None:
    """One level up: the nearest leading unit the shield allows; None if there is none."""
    if not shield.blocks(department.code):
        return department
    return next(
        (d for d in directory.ancestors(department.code) if not shield.blocks(d.code)), None
    )


def guard(shield: Shield, department_code: str) -> None:
    """Raise ConflictOfInterest if `department_code` must not receive or see the case."""
    if shield.blocks(department_code):
        raise ConflictOfInterest(department_code, shield.accused or "")


def screen(shield: Shield, codes: Iterable[str]) -> list[str]:
    """The codes the shield allows, in order (co-handlers, feed recipients)."""
    return [c for c in codes if not shield.blocks(c)]


def may_see(
    principal: Principal, *, shield: Shield, lead: str | None, co_handlers: Iterable[str]
) -> bool:
    """Staff see every case; a handler only its department's (lead or co-handler), and never a
    case it is shielded from."""
    if principal.has_any(*STAFF_ROLES):
        return True
    department = principal.department
    if not principal.has_any(Role.HANDLER) or not department or shield.blocks(department):
        return False
    return department == lead or department in set(co_handlers)
