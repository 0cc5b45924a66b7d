"""The routing rules, explained (pure): category + locality (属地) + matter type + flags give a
lead department and co-handlers, the rule that matched and the reason in words; no rule or
conflicting ones give the triage queue.

Order of the rules:
1. 属地管理、分级负责: the unit of the most local level (street, then district) that serves the
   petition's division and claims its category most specifically. A government and a unit it
   leads both claiming it → the unit handles it; two unrelated units → conflict → triage.
2. Otherwise the city routing table (谁主管、谁负责), most specific category first. A rule naming
   the petition bureau means: triage.
3. `flags.court_related` (涉法涉诉) → the 政法 body serving the division leads; the department of
   step 1–2 co-handles.
4. `matter_type == "accusation"` (检举控告) → the 纪检监察 body by management authority (the one
   of the accused unit's level serving its division, else the next level up); the department of
   step 1–2 co-handles.
Shielding (domain.shielding) filters every pick: a shielded unit is replaced one level up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from xinfang.common.reference import Department
from xinfang.routing.domain.directory import PETITION_BUREAU, Directory, category_codes, claim
from xinfang.routing.domain.shielding import NO_SHIELD, Shield, lift

Mode = Literal["forward", "assign"]
POLITICS_LAW = "politics_law"
DISCIPLINE = "discipline"
LEVEL_ZH = {"street": "街道（乡镇）", "district": "区县", "city": "市"}


@dataclass(frozen=True)
class Facts:
    """What routing knows of a petition when it decides."""

    region_code: str
    category_code: str
    matter_type: str = "appeal"
    court_related: bool = False
    accused: str | None = None
    important: bool = False  # urgent, collective or leapfrog: 交办 rather than 转送


@dataclass(frozen=True)
class Decision:
    """Where a petition goes (lead None: the triage queue), by which rule, and why in words."""

    lead: Department | None
    rule: str
    reason: str
    co_handlers: tuple[Department, ...] = ()
    mode: Mode = "forward"

    @property
    def triage(self) -> bool:
        return self.lead is None


@dataclass
class _Blocked:
    shield: Shield
    avoid: frozenset[str]
    notes: list[str] = field(default_factory=list)

    def __call__(self, department: Department) -> bool:
        return self.shield.blocks(department.code) or department.code in self.avoid


def decide(
    directory: Directory,
    facts: Facts,
    *,
    shield: Shield = NO_SHIELD,
    avoid: frozenset[str] = frozenset(),
) -> Decision:
    """The lead department and co-handlers of a petition, or triage, with the reason."""
    blocked = _Blocked(shield, avoid)
    base = _by_content(directory, facts, blocked)
    if facts.court_related:
        base = _special(directory, facts, blocked, base, kind=POLITICS_LAW)
    elif facts.matter_type == "accusation":
        base = _special(directory, facts, blocked, base, kind=DISCIPLINE)
    if blocked.notes and base.lead is not None:
        base = _with_reason(base, base.reason + "；" + "；".join(blocked.notes))
    mode: Mode = "assign" if facts.important and not base.triage else "forward"
    return Decision(base.lead, base.rule, base.reason, base.co_handlers, mode)


def _with_reason(decision: Decision, reason: str) -> Decision:
    return Decision(decision.lead, decision.rule, reason, decision.co_handlers, decision.mode)


def _triage(rule: str, reason: str) -> Decision:
    return Decision(lead=None, rule=rule, reason=reason)


def _by_content(directory: Directory, facts: Facts, blocked: _Blocked) -> Decision:
    local = _by_locality(directory, facts, blocked)
    return local if local is not None else _by_table(directory, facts, blocked)


def _by_locality(directory: Directory, facts: Facts, blocked: _Blocked) -> Decision | None:
    path = directory.category_path(facts.category_code)
    for region in directory.region_chain(facts.region_code):
        if region.level == "city":
            return None
        claimants = [
            d
            for d in directory.departments.values()
            if d.level == region.level
            and d.kind != PETITION_BUREAU
            and claim(d, facts.category_code)
            and directory.serves(d, region.code)
        ]
        allowed = [d for d in claimants if not blocked(d)]
        if len(allowed) < len(claimants):
            blocked.notes.append(f"{region.name}的承办单位须回避或已提出异议，上提一级")
        if not allowed:
            continue
        top = _most_specific(directory, allowed, facts.category_code)
        where = f"问题属地{directory.region_name(region.code)}（{LEVEL_ZH[region.level]}级）"
        if len(top) > 1:
            names = "、".join(d.name for d in top)
            return _triage(
                "triage:conflict", f"{where}有多个单位同时主管「{path}」（{names}），需人工分流"
            )
        lead = top[0]
        return Decision(
            lead, f"locality:{region.code}", f"{where}，内容分类「{path}」由{lead.name}属地办理"
        )
    return None


def _most_specific(
    directory: Directory, candidates: list[Department], category: str
) -> list[Department]:
    best = max(claim(d, category) for d in candidates)
    top = [d for d in candidates if claim(d, category) == best]
    leaders = {a.code for d in top for a in directory.ancestors(d.code)}
    # A government and a unit it leads both claim it: the unit handles it.
    return [d for d in top if d.code not in leaders]


def _by_table(directory: Directory, facts: Facts, blocked: _Blocked) -> Decision:
    path = directory.category_path(facts.category_code)
    for code in category_codes(facts.category_code):
        named = directory.get(directory.rules.get(code))
        if named is None or named.code in blocked.avoid:
            continue
        department = lift(directory, named, blocked.shield)
        if department is None:
            return _triage(
                "triage:shielded", f"「{path}」的主管单位须回避，且无上一级单位，需人工分流"
            )
        if department is not named:
            blocked.notes.append(f"{named.name}须回避，上提一级由{department.name}办理")
        if department.kind == PETITION_BUREAU:
            return _triage(f"category:{code}", f"内容分类「{path}」由{department.name}分流")
        scope = "" if code == facts.category_code else f"属于「{directory.category_path(code)}」，"
        return Decision(
            department, f"category:{code}", f"内容分类「{path}」{scope}由{department.name}主管"
        )
    return _triage("triage:no_rule", f"内容分类「{path}」没有匹配的转送规则，需人工分流")


def _special(
    directory: Directory, facts: Facts, blocked: _Blocked, base: Decision, *, kind: str
) -> Decision:
    """Court-related → 政法; accusation → 纪检监察; the content's department co-handles."""
    anchor = _anchor(directory, facts, kind)
    body = _body_of_kind(directory, kind, anchor, blocked)
    if body is None:
        return _triage(f"triage:no_{kind}", f"未找到可办理的{_KIND_ZH[kind]}，需人工分流")
    co = tuple(d for d in (base.lead,) if d is not None and d.code != body.code)
    return Decision(body, _SPECIAL_RULE[kind], _special_reason(directory, kind, body, anchor), co)


_KIND_ZH = {POLITICS_LAW: "政法机关", DISCIPLINE: "纪检监察机关"}
_SPECIAL_RULE = {POLITICS_LAW: "flag:court_related", DISCIPLINE: "matter:accusation"}


def _anchor(directory: Directory, facts: Facts, kind: str) -> tuple[str, str]:
    """(division, level) the body is sought from: the accused unit's for an accusation with a
    known accused (management authority), else the petition's division."""
    accused = directory.get(facts.accused) if kind == DISCIPLINE else None
    if accused is not None and accused.regions:
        return accused.regions[0], accused.level
    chain = directory.region_chain(facts.region_code)
    return facts.region_code, chain[0].level if chain else "city"


def _body_of_kind(
    directory: Directory, kind: str, anchor: tuple[str, str], blocked: _Blocked
) -> Department | None:
    region_code, level = anchor
    levels = ("street", "district", "city")
    for lvl in levels[levels.index(level) :]:
        bodies = [
            d
            for d in directory.of_kind(kind)
            if d.level == lvl and directory.serves(d, region_code) and not blocked(d)
        ]
        if bodies:
            return sorted(bodies, key=lambda d: d.code)[0]
    return None


def _special_reason(
    directory: Directory, kind: str, body: Department, anchor: tuple[str, str]
) -> str:
    if kind == POLITICS_LAW:
        return f"涉法涉诉事项，由{body.name}（政法机关）牵头办理"
    region, level = anchor
    return (
        f"检举控告事项，按干部管理权限由{body.name}办理"
        f"（被检举控告单位属{directory.region_name(region)}{LEVEL_ZH[level]}级）"
    )
