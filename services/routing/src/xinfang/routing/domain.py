"""Routing's pure rules: the directory, the most specific routing rule, who sees an assignment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xinfang.common.auth import Principal, Role
from xinfang.common.reference import Category, Department, RoutingRule

TRIAGE_RULE = "triage"
PETITION_BUREAU = "petition_bureau"

# Roles that oversee every case; a department handler sees only its own department's.
STAFF_ROLES = (Role.SUPERVISOR, Role.CLERK, Role.LEADER, Role.OPERATOR, Role.ADMIN)

Mode = Literal["forward", "assign"]


class Directory:
    """The city's departments, content categories and routing table, indexed for look-ups."""

    def __init__(
        self,
        *,
        departments: list[Department],
        rules: list[RoutingRule],
        categories: list[Category],
    ) -> None:
        self.departments = {d.code: d for d in departments}
        self.categories = {c.code: c for c in categories}
        self.rules = {r.category: r.department for r in rules}
        self.petition_bureau = _petition_bureau(departments)
        if len(self.rules) != len(rules):
            raise ValueError("the routing table names a category more than once")
        unknown = sorted(set(self.rules.values()) - self.departments.keys())
        if unknown:
            raise ValueError(f"the routing table names unknown departments: {unknown}")

    def category_path(self, code: str) -> str:
        """`城乡建设/房屋拆迁/安置补偿`: the names from the top level down; the code if unknown."""
        names: list[str] = []
        category = self.categories.get(code)
        while category is not None and len(names) < 3:
            names.insert(0, category.name)
            category = self.categories.get(category.parent or "")
        return "/".join(names) or code


def _petition_bureau(departments: list[Department]) -> Department:
    """The bureau that takes what no rule covers: the city's, or else the first one listed."""
    bureaus = [d for d in departments if d.kind == PETITION_BUREAU]
    if not bureaus:
        raise ValueError(f"the directory has no department of kind {PETITION_BUREAU}")
    return next((d for d in bureaus if d.level == "city"), bureaus[0])


@dataclass(frozen=True)
class Decision:
    """Where a petition goes, by which rule, and why in words."""

    department: Department
    rule: str
    reason: str
    mode: Mode = "forward"

    @property
    def status(self) -> str:
        """`triage` when it lands at a petition bureau, which still has to sort it out."""
        return "triage" if self.department.kind == PETITION_BUREAU else "assigned"


def rule_candidates(category_code: str) -> list[str]:
    """The codes a rule may name for a category, most specific first: XXYYZZ, XXYY00, XX0000."""
    if len(category_code) != 6 or not category_code.isdigit():
        return [category_code]
    codes = [category_code, f"{category_code[:4]}00", f"{category_code[:2]}0000"]
    return list(dict.fromkeys(codes))


def decide(directory: Directory, *, category_code: str) -> Decision:
    """The lead department of a petition: the most specific rule wins; without one, triage."""
    path = directory.category_path(category_code)
    for code in rule_candidates(category_code):
        department_code = directory.rules.get(code)
        if department_code is None:
            continue
        department = directory.departments[department_code]
        scope = "" if code == category_code else f"属于「{directory.category_path(code)}」，"
        reason = f"内容分类「{path}」{scope}由{department.name}主管"
        return Decision(department=department, rule=f"category:{code}", reason=reason)
    bureau = directory.petition_bureau
    reason = f"内容分类「{path}」没有匹配的转送规则，交{bureau.name}分流"
    return Decision(department=bureau, rule=TRIAGE_RULE, reason=reason)


def may_see(principal: Principal, department_code: str) -> bool:
    """Staff see every assignment; a department handler only those of its own department."""
    if principal.has_any(*STAFF_ROLES):
        return True
    return principal.has_any(Role.HANDLER) and principal.department == department_code
