"""The department directory and jurisdictions, indexed for look-ups (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from xinfang.common.reference import Category, Department, Region, RoutingRule

PETITION_BUREAU = "petition_bureau"
LEVELS = ("street", "district", "city")


class Directory:
    """The city's departments, divisions, content categories and routing table."""

    def __init__(
        self,
        *,
        departments: Iterable[Department],
        rules: Iterable[RoutingRule],
        categories: Iterable[Category],
        regions: Iterable[Region],
        revision: int = 0,
    ) -> None:
        rules = list(rules)
        self.departments = {d.code: d for d in departments}
        self.categories = {c.code: c for c in categories}
        self.regions = {r.code: r for r in regions}
        self.rules = {r.category: r.department for r in rules}
        self.revision = revision
        self._covering: dict[str, frozenset[str]] = {}  # serves() is asked at every decision
        if len(self.rules) != len(rules):
            raise ValueError("the routing table names a category more than once")
        unknown = sorted(set(self.rules.values()) - self.departments.keys())
        if unknown:
            raise ValueError(f"the routing table names unknown departments: {unknown}")

    def get(self, code: str | None) -> Department | None:
        return self.departments.get(code or "")

    def ancestors(self, code: str) -> list[Department]:
        """The units leading `code`, nearest first (the parent chain)."""
        chain: list[Department] = []
        current = self.get(code)
        while current is not None and current.parent and len(chain) < 20:
            current = self.get(current.parent)
            if current is not None:
                chain.append(current)
        return chain

    def led_by(self, code: str) -> set[str]:
        """`code` and every unit under its leadership, however deep."""
        found = {code}
        while True:
            more = {d.code for d in self.departments.values() if d.parent in found} - found
            if not more:
                return found
            found |= more

    def region_chain(self, region_code: str) -> list[Region]:
        """The division and those containing it, most local first."""
        chain: list[Region] = []
        region = self.regions.get(region_code)
        while region is not None and len(chain) < 5:
            chain.append(region)
            region = self.regions.get(region.parent or "")
        return chain

    def serves(self, department: Department, region_code: str) -> bool:
        """Whether the department's jurisdiction covers the division (a code covers those below)."""
        covered = self._covering.get(region_code)
        if covered is None:
            covered = frozenset(r.code for r in self.region_chain(region_code)) | {region_code}
            if region_code in self.regions:  # kept for known divisions only: a bounded memo
                self._covering[region_code] = covered
        return not covered.isdisjoint(department.regions)

    def category_path(self, code: str) -> str:
        """`城乡建设/房屋拆迁/安置补偿`: the names from the top level down; the code if unknown."""
        names: list[str] = []
        category = self.categories.get(code)
        while category is not None and len(names) < 3:
            names.insert(0, category.name)
            category = self.categories.get(category.parent or "")
        return "/".join(names) or code

    def region_name(self, code: str) -> str:
        return "".join(r.name for r in reversed(self.region_chain(code))) or code

    def of_kind(self, kind: str) -> list[Department]:
        return [d for d in self.departments.values() if d.kind == kind]

    def petition_bureau(self) -> Department:
        """The bureau that sorts out what no rule places: the city's, else the first listed."""
        bureaus = self.of_kind(PETITION_BUREAU)
        if not bureaus:
            raise ValueError(f"the directory has no department of kind {PETITION_BUREAU}")
        return next((d for d in bureaus if d.level == "city"), bureaus[0])


@lru_cache(maxsize=4096)  # asked for every department at every routing decision
def category_codes(category_code: str) -> tuple[str, ...]:
    """The codes covering a category, most specific first: XXYYZZ, XXYY00, XX0000."""
    if len(category_code) != 6 or not category_code.isdigit():
        return (category_code,)
    return tuple(
        dict.fromkeys([category_code, f"{category_code[:4]}00", f"{category_code[:2]}0000"])
    )


def claim(department: Department, category_code: str) -> int:
    """How specifically a department claims a category: 3 exact … 1 first level, 0 not at all."""
    codes = category_codes(category_code)
    for rank, code in enumerate(codes):
        if code in department.categories:
            return len(codes) - rank
    return 0
