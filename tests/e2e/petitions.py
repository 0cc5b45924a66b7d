"""Petitions for the system tests and the benchmark: a builder, the HTTP calls made on the four
services, and what a case has become (its effects) once the services have done their work."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from harness import SERVICES, Mail, System, token

from xinfang.common.auth import Role

RECEIVED = "xinfang.petition.received.v1"
ROUTED = "xinfang.petition.routed.v1"
DEADLINE = "xinfang.deadline.scheduled.v1"
DELIVERED = "xinfang.notice.delivered.v1"
REGISTRATION = "registration"
# A routed case reads "routed" until supervision's case machine gives it its first status,
# 受理申请审查中 (the department is deciding whether to accept it).
AFTER_ROUTING = ("routed", "reviewing")
# The clocks every registered and routed petition gets; supervision may start others too.
DEADLINE_KINDS = ("acceptance_notice", "routing")
CASE_NO = re.compile(r"^XF(\d{8})(\d{6})$")

NAMES = ["张三", "李四", "王芳", "赵磊", "陈静", "刘洋", "杨帆", "黄丽", "周杰", "吴敏"]
STREETS = ["鼓楼街道", "滨江街道", "港城街道", "望江街道", "云台街道"]
MATTERS = [
    ("小区夜间施工噪音扰民", "楼下工地每晚十一点后仍施工，噪音大，影响居民休息，请求依法处理。"),
    ("拖欠农民工工资", "本人在某建筑工地务工半年，工资至今未结清，多次讨要无果，请求帮助追讨。"),
    ("老旧小区加装电梯", "小区楼龄三十年，老人上下楼困难，希望政府支持加装电梯并协调邻里意见。"),
    ("学校周边交通拥堵", "每天上下学时段学校门口车辆乱停乱放，存在安全隐患，建议增设交通疏导。"),
    ("医保报销进度缓慢", "去年住院费用的医保报销申请已提交三个月，至今没有结果，请求加快办理。"),
]


def a_petition(
    n: int, *, category_code: str = "140000", region_code: str = "369901", **overrides: Any
) -> dict[str, Any]:
    """A valid petition from one petitioner with an e-mail address; `n` varies the text."""
    title, content = MATTERS[n % len(MATTERS)]
    petition: dict[str, Any] = {
        "channel": "web",
        "petitioners": [
            {
                "name": NAMES[n % len(NAMES)],
                "phone": f"138{n:08d}",
                "address": f"江城区{STREETS[n % len(STREETS)]}{n + 1}号",
                "email": f"petitioner{n}@example.cn",
            }
        ],
        "region_code": region_code,
        "category_code": category_code,
        "title": f"{title}（第{n}件）",
        "content": content,
    }
    return petition | overrides


def serial_of(case_no: str) -> tuple[str, int]:
    """`XF20261122000042` → ("20261122", 42)."""
    match = CASE_NO.match(case_no)
    assert match, f"case number {case_no!r} is not XF<yyyymmdd><6-digit serial>"
    return match.group(1), int(match.group(2))


def registration_mails(system: System, case_no: str) -> list[Mail]:
    """The e-mails telling the petitioners of `case_no` it was registered and routed."""
    return [m for m in system.mails if m.case_no == case_no and m.notice == REGISTRATION]


def is_registration_email(notice: dict[str, Any]) -> bool:
    """A notice (or a timeline entry's details) about the registration e-mail."""
    return bool(notice.get("notice_type") == REGISTRATION and notice.get("channel") == "email")


def found_or_none(response: httpx.Response) -> Any:
    """The JSON of a 200, None for a 404 (not there yet); anything else fails loudly."""
    if response.status_code == 404:
        return None
    assert response.status_code == 200, f"{response.url}: {response.status_code} {response.text}"
    return response.json()


@dataclass(frozen=True)
class Accepted:
    """A petition intake answered 201 to."""

    case_no: str
    query_code: str
    petition: dict[str, Any]
    posted_at: float  # time.perf_counter() when the POST was sent


@dataclass
class Effects:
    """What the services show of one case."""

    case_no: str
    status: str | None = None
    department: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)  # intake's public timeline
    deadline_kinds: list[str] = field(default_factory=list)  # supervision's deadlines
    mails: list[Mail] = field(default_factory=list)  # registration e-mails received

    @property
    def timeline(self) -> list[str]:
        """The event types on intake's timeline, in order."""
        return [entry["event"] for entry in self.entries]

    def count(self, event_type: str) -> int:
        return Counter(self.timeline)[event_type]

    @property
    def timeline_deadline_kinds(self) -> list[str]:
        return [e["details"].get("kind") for e in self.entries if e["event"] == DEADLINE]

    @property
    def timeline_email_deliveries(self) -> int:
        """Registration e-mails the timeline says were delivered (it also lists others)."""
        return sum(
            e["event"] == DELIVERED and is_registration_email(e["details"]) for e in self.entries
        )

    def missing(self) -> dict[str, str]:
        """What is not there yet, by the service that owes it."""
        gaps = {}
        if self.status not in AFTER_ROUTING or self.count(ROUTED) < 1:
            gaps["routing"] = f"status {self.status}"
        if not set(DEADLINE_KINDS) <= set(self.deadline_kinds):
            gaps["supervision"] = f"deadlines {self.deadline_kinds}"
        if (
            self.count(RECEIVED) < 1
            or self.timeline_email_deliveries < 1
            or not set(DEADLINE_KINDS) <= set(self.timeline_deadline_kinds)
        ):
            gaps["intake"] = f"timeline {[t.rsplit('.', 2)[-2] for t in self.timeline]}"
        if not self.mails:
            gaps["notify"] = "no e-mail"
        return gaps


class Api:
    """The HTTP calls the system tests make, on one client."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.bearer = {"Authorization": f"Bearer {token(Role.SUPERVISOR, Role.OPERATOR)}"}
        self.client = httpx.AsyncClient(timeout=15)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.aclose()

    def _url(self, service: str, path: str) -> str:
        return f"{self.system.url(service)}/api/v1{path}"

    async def post(self, petition: Any, **kwargs: Any) -> httpx.Response:
        return await self.client.post(self._url("intake", "/petitions"), json=petition, **kwargs)

    async def register(self, petition: dict[str, Any]) -> Accepted:
        """POST a petition that must be accepted."""
        posted_at = time.perf_counter()
        response = await self.post(petition)
        assert response.status_code == 201, f"POST: {response.status_code} {response.text}"
        body = response.json()
        return Accepted(body["case_no"], body["query_code"], petition, posted_at)

    async def codes(self) -> tuple[list[str], list[str]]:
        """Category and region codes intake knows, less the ones that may go to triage."""
        categories = (await self.client.get(self._url("intake", "/categories"))).json()
        regions = (await self.client.get(self._url("intake", "/regions"))).json()
        # 纪检监察 (04) and 其他 (99) may be held for a clerk instead of routed straight away.
        return (
            [c["code"] for c in categories if c["code"][:2] not in ("04", "99")],
            [r["code"] for r in regions if r["level"] in ("district", "street")],
        )

    async def varied_petitions(self, count: int, *, seed: int = 7) -> list[dict[str, Any]]:
        """`count` petitions with categories and regions drawn from the demo city."""
        categories, regions = await self.codes()
        pick = random.Random(seed)
        return [
            a_petition(n, category_code=pick.choice(categories), region_code=pick.choice(regions))
            for n in range(count)
        ]

    async def case(self, accepted: Accepted) -> dict[str, Any] | None:
        url = self._url("intake", f"/petitions/{accepted.case_no}")
        response = await self.client.get(url, headers={"X-Query-Code": accepted.query_code})
        return found_or_none(response)

    async def deadlines(self, case_no: str) -> list[dict[str, Any]]:
        url = self._url("supervision", f"/cases/{case_no}/deadlines")
        response = await self.client.get(url, headers=self.bearer)
        return list(found_or_none(response) or [])

    async def assignment(self, case_no: str) -> dict[str, Any] | None:
        url = self._url("routing", f"/assignments/{case_no}")
        response = await self.client.get(url, headers=self.bearer)
        return found_or_none(response)

    async def notices(self, case_no: str) -> list[dict[str, Any]]:
        """The case's registration notices by e-mail in notify (it also keeps others)."""
        url = self._url("notify", f"/cases/{case_no}/notices")
        response = await self.client.get(url, headers=self.bearer)
        return [n for n in found_or_none(response) or [] if is_registration_email(n)]

    async def dead_letters(self, service: str) -> list[dict[str, Any]]:
        response = await self.client.get(self._url(service, "/dead-letters"), headers=self.bearer)
        assert response.status_code == 200, f"{service} dead letters: {response.text}"
        return list(response.json())

    async def effects(self, accepted: Accepted) -> Effects:
        """The case as intake, supervision and the SMTP server show it now."""
        view = await self.case(accepted) or {}
        deadlines = await self.deadlines(accepted.case_no)
        return Effects(
            case_no=accepted.case_no,
            status=view.get("status"),
            department=view.get("department"),
            entries=view.get("timeline", []),
            deadline_kinds=[d["kind"] for d in deadlines],
            mails=registration_mails(self.system, accepted.case_no),
        )

    async def wait_for_effects(
        self, cases: list[Accepted], *, within: float, drained: bool = False
    ) -> dict[str, Effects]:
        """Poll until every case has all its effects (and, if `drained`, every consumer has
        nothing pending or unacknowledged); fail with what is missing and the logs to read."""
        deadline = time.monotonic() + within
        done: dict[str, Effects] = {}
        while True:
            for accepted in cases:
                if accepted.case_no not in done:
                    found = await self.effects(accepted)
                    if not found.missing():
                        done[accepted.case_no] = found
            busy = self.busy_consumers() if drained else []
            if len(done) == len(cases) and not busy:
                return {a.case_no: await self.effects(a) for a in cases}
            if time.monotonic() > deadline:
                raise AssertionError(await self._report_missing(cases, done, busy, within))
            await asyncio.sleep(0.5)

    def busy_consumers(self) -> list[str]:
        """Consumers with messages still pending or awaiting an ack."""
        try:
            consumers = self.system.consumers()
        except OSError as error:
            return [f"nats monitoring unreachable: {error}"]
        return [
            f"{c['name']} pending {c['num_pending']} unacked {c['num_ack_pending']}"
            for c in consumers
            if c.get("num_pending") or c.get("num_ack_pending")
        ]

    async def _report_missing(
        self, cases: list[Accepted], done: dict[str, Effects], busy: list[str], within: float
    ) -> str:
        unfinished = len(cases) - len(done)
        lines = [f"after {within:.0f} s, {unfinished} of {len(cases)} cases unfinished"]
        to_blame: set[str] = set()
        for accepted in cases:
            if accepted.case_no not in done:
                gaps = (await self.effects(accepted)).missing()
                to_blame |= set(gaps)
                lines.append(f"  {accepted.case_no}: {gaps}")
        lines += [f"  consumer {line}" for line in busy]
        to_blame |= {line.split("-")[0] for line in busy if line.split("-")[0] in SERVICES}
        return "\n".join(lines[:40]) + "\n" + self.system.explain(*sorted(to_blame or {"intake"}))
