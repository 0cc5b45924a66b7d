"""The counts after a chaos run: for every petition, how many times each of its effects happened —
registered, routed, each deadline, each department step, each notice delivered (by SMTP or
webhook) — read from the stream, the services' APIs and what the SMTP and webhook servers
received; and whether supervision's KPIs agree with the cases' states. Once is right; 0 is a
loss, more is a duplicate."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from audit import StreamMessage
from chaos import ChaosRun
from harness import SERVICES
from petitions import Api, found_or_none

TITLE_NUMBER = re.compile(r"（第(\d+)件）$")
DEPARTMENT_EVENTS = ("petition.routed", "assignment.", "case.answered")
EXPECTED_DEADLINES = ("acceptance_notice", "routing", "handling")
LOOKUPS_AT_ONCE = 8
ROW = "{:<46} {:>8} {:>6} {:>6} {:>6}"


@dataclass
class Tally:
    """Per thing counted (a row), how many times each petition, case or notice had it."""

    rows: dict[str, dict[Any, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    kpi_problems: list[str] = field(default_factory=list)
    kpi_departments: int = 0
    notices_waiting: int = 0  # notify still holds them pending (a lease or a retry running)

    def count(self, row: str, key: Any, times: int) -> None:
        self.rows.setdefault(row, {})[key] = times

    def lost(self, row: str) -> list[Any]:
        return [k for k, n in self.rows[row].items() if n == 0]

    def duplicated(self, row: str) -> list[Any]:
        return [k for k, n in self.rows[row].items() if n > 1]

    @property
    def failed(self) -> bool:
        wrong = any(self.lost(r) or self.duplicated(r) for r in self.rows)
        return wrong or bool(self.kpi_problems)

    def table(self) -> str:
        lines = [ROW.format("counted", "expected", "once", "lost", "dup")]
        for row, counts in self.rows.items():
            once = sum(n == 1 for n in counts.values())
            lost, dup = len(self.lost(row)), len(self.duplicated(row))
            lines.append(ROW.format(row, len(counts), once, lost, dup))
        kpi_ok = self.kpi_departments - len(self.kpi_problems)
        kpis = "KPIs per department, agree with the cases"
        lines.append(ROW.format(kpis, self.kpi_departments, kpi_ok, len(self.kpi_problems), 0))
        for row in self.rows:
            for key in self.lost(row)[:5]:
                lines.append(f"  LOST {row}: {key}")
            for key in self.duplicated(row)[:5]:
                lines.append(f"  DUPLICATED {row}: {key} ×{self.rows[row][key]}")
        lines += [f"  KPI {p}" for p in self.kpi_problems[:10]]
        return "\n".join(lines + [f"  {n}" for n in self.notes])


async def take(
    run: ChaosRun, api: Api, messages: list[StreamMessage], webhooks: list[Any]
) -> Tally:
    """Count everything the run should have produced exactly once."""
    tally = Tally()
    events = [e for m in messages if (e := m.envelope()) is not None]
    cases = count_registrations(tally, run, events)
    count_events(tally, run, events, cases)
    views = await gather_views(api, run, sorted(cases))
    count_views(tally, run, views)
    count_notices(tally, api, views, events, webhooks)
    count_routing_webhooks(tally, messages, webhooks)
    await count_dead_letters(tally, api)
    await check_kpis(tally, api, views)
    return tally


def count_registrations(tally: Tally, run: ChaosRun, events: list[dict[str, Any]]) -> set[str]:
    """Each accepted petition registered once; what became of the POSTs cut off mid-way."""
    by_number: dict[int, set[str]] = defaultdict(set)
    for e in events:
        if e["type"] == "xinfang.petition.received.v1":
            match = TITLE_NUMBER.search(e["data"].get("title", ""))
            if match:
                by_number[int(match.group(1))].add(e["subject"])
    accepted = {int(TITLE_NUMBER.search(a.petition["title"]).group(1)) for a in run.load.accepted}  # type: ignore[union-attr]
    for n in sorted(accepted):
        tally.count("registered (petition.received)", f"petition {n}", len(by_number[n]))
    unknown = {n: len(by_number[n]) for n in run.load.unknown}
    for n, times in unknown.items():
        if times > 1:
            tally.count("registered (petition.received)", f"petition {n} (cut off)", times)
    tally.notes.append(
        f"{len(run.load.petitions)} petitions posted: {len(run.load.accepted)} answered 201, "
        f"{len(unknown)} cut off mid-request ({sum(t == 1 for t in unknown.values())} of them "
        f"registered), {len(run.load.refused)} refused, {run.load.resent} POSTs sent again "
        f"({', '.join(f'{why} ×{n}' for why, n in run.load.why_resent.items()) or 'none'})"
    )
    return {case for n in accepted | set(unknown) for case in by_number[n]}


def count_events(
    tally: Tally, run: ChaosRun, events: list[dict[str, Any]], cases: set[str]
) -> None:
    """The events each case must have had once."""
    per_case: dict[str, Counter[str]] = defaultdict(Counter)
    for e in events:
        kind = e["data"].get("kind", "") if e["type"] == "xinfang.deadline.scheduled.v1" else ""
        per_case[e["subject"]][e["type"].removeprefix("xinfang.").removesuffix(".v1") + kind] += 1
    for case in sorted(cases):
        seen = per_case[case]
        tally.count("routed (petition.routed)", case, seen["petition.routed"])
        for kind in EXPECTED_DEADLINES:
            tally.count(f"deadline.scheduled {kind}", case, seen[f"deadline.scheduled{kind}"])
        tally.count("accepted (assignment.accepted)", case, seen["assignment.accepted"])
        tally.count("answered (case.answered)", case, seen["case.answered"])
        if run.departments.modes.get(case) == "assign":
            tally.count(
                "交办 reported (completion_reported)", case, seen["assignment.completion_reported"]
            )


@dataclass
class CaseViews:
    """One case as routing, supervision and notify show it to staff."""

    case_no: str
    assignment: dict[str, Any] | None
    deadlines: list[dict[str, Any]]
    notices: list[dict[str, Any]]


async def gather_views(api: Api, run: ChaosRun, cases: list[str]) -> dict[str, CaseViews]:
    gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

    async def one(case: str) -> CaseViews:
        async with gate:
            url = f"{api.system.url('notify')}/api/v1/cases/{case}/notices"
            notices = found_or_none(await api.client.get(url, headers=api.bearer)) or []
            return CaseViews(case, await api.assignment(case), await api.deadlines(case), notices)

    return {v.case_no: v for v in await asyncio.gather(*(one(c) for c in cases))}


def count_views(tally: Tally, run: ChaosRun, views: dict[str, CaseViews]) -> None:
    for case, view in views.items():
        status = (view.assignment or {}).get("status")
        tally.count(
            "routing: case answered by its department",
            case,
            int(status in ("answered", "completed")),
        )
        kinds = Counter(d["kind"] for d in view.deadlines)
        for kind in EXPECTED_DEADLINES:
            tally.count(f"supervision: {kind} deadline", case, kinds[kind])
        if extra := {k: n for k, n in kinds.items() if n > 1 and k not in EXPECTED_DEADLINES}:
            tally.count("supervision: other deadlines once", case, max(extra.values()))


def count_notices(
    tally: Tally,
    api: Api,
    views: dict[str, CaseViews],
    events: list[dict[str, Any]],
    webhooks: list[Any],
) -> None:
    """Each notice delivered, told once (notice.delivered), and received once by its server."""
    delivered_events = Counter(
        e["data"].get("notice_id") for e in events if e["type"] == "xinfang.notice.delivered.v1"
    )
    mails = api.system.mails
    message_ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in mails:
        message_ids[(m.case_no, m.notice)].add(m.message_id)
    hooks = Counter(
        d.headers.get("X-Xinfang-Delivery") for d in webhooks if d.path.startswith("/notify/")
    )
    expected_mails: Counter[tuple[str, str]] = Counter()
    for case, view in views.items():
        for notice in view.notices:
            nid = notice["id"]
            what = f"{nid} ({notice['notice_type']} by {notice['channel']}: {notice['status']})"
            tally.notices_waiting += notice["status"] == "pending"
            tally.count("notify: notice delivered", what, int(notice["status"] == "delivered"))
            tally.count("notice.delivered event", nid, delivered_events[nid])
            if notice["channel"] == "email":
                expected_mails[(case, notice["notice_type"])] += 1
            elif notice["channel"] == "webhook":
                tally.count("webhook notice received (distinct id)", nid, int(hooks[nid] > 0))
    for key, expected in expected_mails.items():
        found = len(message_ids[key])
        tally.count(
            "e-mail received (distinct Message-ID)",
            key,
            1 if found == expected else found // expected or 0,
        )
    resent = len(mails) - sum(len(ids) for ids in message_ids.values())
    repeats = sum(n - 1 for n in hooks.values() if n > 1)
    tally.notes.append(
        f"SMTP: {len(mails)} messages, {resent} resent with the same Message-ID; notify webhooks: "
        f"{sum(hooks.values())} POSTs, {repeats} repeated with the same delivery id"
    )


def count_routing_webhooks(
    tally: Tally, messages: list[StreamMessage], webhooks: list[Any]
) -> None:
    """Every department event reached the department's webhook (retries keep the same id)."""
    received = Counter(
        d.headers.get("X-Xinfang-Webhook-Id") for d in webhooks if d.path.startswith("/routing/")
    )
    for m in messages:
        event_id = m.headers.get("Nats-Msg-Id")
        if m.subject.removeprefix("xinfang.").startswith(DEPARTMENT_EVENTS) and event_id:
            tally.count(
                "routing webhook received (distinct event id)",
                event_id,
                int(received[event_id] > 0),
            )


async def count_dead_letters(tally: Tally, api: Api) -> None:
    for service in SERVICES:
        letters = await api.dead_letters(service)
        if letters:
            tally.notes.append(
                f"DEAD LETTERS in {service}: {[d.get('error') for d in letters[:3]]}"
            )
            tally.kpi_problems.append(f"{service} dead-lettered {len(letters)} messages")


async def check_kpis(tally: Tally, api: Api, views: dict[str, CaseViews]) -> None:
    """Supervision's KPIs per department against what its cases' clocks and steps say."""
    url = f"{api.system.url('supervision')}/api/v1/kpis?group_by=department"
    groups = found_or_none(await api.client.get(url, headers=api.bearer))["groups"]
    by_department: dict[str, list[CaseViews]] = defaultdict(list)
    for view in views.values():
        by_department[(view.assignment or {}).get("department_code") or "?"].append(view)
    tally.kpi_departments = len(by_department)
    for department, cases in sorted(by_department.items()):
        expected = expected_kpis(cases)
        got = {k: groups.get(department, {}).get(k) for k in expected}
        if got != expected:
            tally.kpi_problems.append(
                f"{department}: supervision says {got}, its {len(cases)} cases say {expected}"
            )
    if extra := set(groups) - set(by_department):
        tally.kpi_problems.append(f"KPIs for departments with no case of this run: {sorted(extra)}")


def expected_kpis(cases: list[CaseViews]) -> dict[str, float | None]:
    """The KPIs the cases' states imply (formulas in supervision's README): on the acceptance
    notice and handling clocks, and from the answers; no case was objected to or reviewed."""
    notice = [_status(c, "acceptance_notice") for c in cases]
    handling = [s for c in cases if (s := _status(c, "handling"))]
    assessed = [s for s in notice if s in ("met", "late", "overdue")]
    answered = [c for c in cases if (c.assignment or {}).get("status") in ("answered", "completed")]
    return {
        "timely_acceptance": _rate(assessed.count("met"), len(assessed)),
        "on_time_completion": _rate(handling.count("met"), len(handling)),
        "first_time_resolution": _rate(len(answered), len(answered)),
        "misroute": _rate(0, len(cases)),
    }


def _status(case: CaseViews, kind: str) -> str | None:
    return next((d["status"] for d in case.deadlines if d["kind"] == kind), None)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None
