"""The actors of a chaos run: a load generator posting petitions, and a handler for every
department answering them through routing's workbench."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from harness import System, token
from petitions import Accepted, Api, a_petition

from xinfang.common.auth import Role

# --- the load ---------------------------------------------------------------------------------


def resident_id(n: int) -> str:
    """A valid resident ID number (GB 11643 check digit), different for each `n`."""
    first17 = f"369901{19700101 + (n % 28) + 100 * (n // 28 % 12):08d}{n % 1000:03d}"
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return (
        first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]
    )


@dataclass
class Load:
    """Posts petitions at a steady pace until stopped (and at least `minimum` of them).

    A POST that never reached intake (connection refused) or that intake answered with a 5xx is
    sent again; one cut off mid-way has an unknown outcome and is not sent again (that would be
    the client's duplicate, not the system's): the counts find out whether it was registered.
    """

    api: Api
    minimum: int
    pace: float
    make: Callable[[int], dict[str, Any]]
    petitions: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[Accepted] = field(default_factory=list)
    unknown: dict[int, str] = field(default_factory=dict)  # petition number → error
    refused: dict[int, str] = field(default_factory=dict)
    resent: int = 0
    why_resent: Counter[str] = field(default_factory=Counter)  # "connection refused", "500" …
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        n = 0
        while n < self.minimum or not self.stop.is_set():
            started = time.monotonic()
            self.petitions.append(self.make(n))
            await self.post(n, self.petitions[n])
            n += 1
            await asyncio.sleep(max(0.0, self.pace - (time.monotonic() - started)))

    async def post(self, n: int, petition: dict[str, Any]) -> None:
        while True:
            posted_at = time.perf_counter()
            try:
                response = await self.api.post(petition)
            except httpx.ConnectError:
                response = None
            except httpx.HTTPError as error:
                self.unknown[n] = repr(error)
                return
            if response is not None and response.status_code == 201:
                body = response.json()
                self.accepted.append(
                    Accepted(body["case_no"], body["query_code"], petition, posted_at)
                )
                return
            if response is not None and response.status_code < 500:
                self.refused[n] = f"{response.status_code} {response.text[:300]}"
                return
            self.resent += 1
            self.why_resent[str(response.status_code) if response else "connection refused"] += 1
            await asyncio.sleep(0.3)


def petition_maker(
    categories: list[str], regions: list[str], seed: int
) -> Callable[[int], dict[str, Any]]:
    """Petitions with the demo city's categories and regions, each petitioner with an ID."""
    pick = random.Random(seed)

    def make(n: int) -> dict[str, Any]:
        petition = a_petition(
            n, category_code=pick.choice(categories), region_code=pick.choice(regions)
        )
        petition["petitioners"][0] |= {"id_type": "resident_id", "id_number": resident_id(n)}
        return petition

    return make


# --- the departments --------------------------------------------------------------------------

ANSWER = {
    "request": "请求依法处理",
    "facts_and_reasons": "经核查，反映情况属实，已责令整改。",
    "outcome": "supported",
    "legal_basis": "《信访工作条例》第三十二条",
}


@dataclass
class Departments:
    """Each department's handler, through routing's workbench as a person would: read the case,
    accept it, answer it and, for a 交办 case, file the completion report. Every response is
    kept for the personal-data audit."""

    system: System
    codes: list[str]
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10))
    done: dict[str, set[str]] = field(default_factory=dict)  # case → actions done
    owners: dict[str, str] = field(default_factory=dict)  # case → its department
    modes: dict[str, str] = field(default_factory=dict)  # case → forward or assign
    to_report: dict[str, str] = field(default_factory=dict)  # 交办 case → its department
    responses: list[tuple[str, str]] = field(default_factory=list)  # (where, body)
    failures: int = 0

    def bearer(self, code: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(Role.HANDLER, department=code)}"}

    async def run(self) -> None:
        """Rounds over every department, forever (cancel to stop)."""
        gate = asyncio.Semaphore(4)

        async def one(code: str) -> None:
            async with gate:
                try:
                    await self.work(code)
                except httpx.HTTPError:
                    self.failures += 1  # routing is down: next round

        while True:
            await asyncio.gather(*(one(code) for code in self.codes))
            await asyncio.sleep(0.5)

    async def work(self, code: str) -> None:
        rows = await self.call(code, "GET", "/workbench/assignments?open_only=true") or []
        for row in rows:
            if row["department_code"] == code:
                await self.handle(code, row)
        await self.follow_up(code, open_cases={row["case_no"] for row in rows})
        for case_no in [c for c, d in self.to_report.items() if d == code]:
            report = {"summary": "已办结，当事人已签收处理意见书。"}
            if await self.act(code, case_no, "completion-report", report) is not None:
                del self.to_report[case_no]

    async def follow_up(self, code: str, *, open_cases: set[str]) -> None:
        """A case answered though our call's answer was lost (routing killed after its commit)
        is no longer open: read where it stands, as a handler would after a failed click."""
        for case_no in [c for c, d in self.owners.items() if d == code and c not in open_cases]:
            if "answer" in self.done.get(case_no, set()):
                continue
            row = await self.call(code, "GET", f"/workbench/assignments/{case_no}")
            if row and row["status"] in ("answered", "completed"):
                self.done.setdefault(case_no, set()).add("answer")
                if row["status"] == "answered" and row["mode"] == "assign":
                    self.to_report[case_no] = code

    async def handle(self, code: str, row: dict[str, Any]) -> None:
        case_no = row["case_no"]
        self.modes[case_no], self.owners[case_no] = row["mode"], code
        status = row["status"]
        if status == "assigned":
            await self.call(code, "GET", f"/workbench/assignments/{case_no}")
            status = "accepted" if await self.act(code, case_no, "accept") is not None else status
        if status == "accepted" and await self.act(code, case_no, "answer", ANSWER) is not None:
            if row["mode"] == "assign":
                self.to_report[case_no] = code

    async def act(
        self, code: str, case_no: str, action: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """POST a workbench action; the answer, or None if it must be tried again. A 409
        (already done: our earlier call went through though its answer was lost) counts as done."""
        path = f"/workbench/assignments/{case_no}/{action}"
        try:
            answer = await self.call(code, "POST", path, body)
        except Conflict:
            answer = {}
        if answer is not None:
            self.done.setdefault(case_no, set()).add(action)
        return answer

    async def call(self, code: str, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.system.url('routing')}/api/v1{path}"
        response = await self.client.request(method, url, json=body, headers=self.bearer(code))
        self.responses.append((f"{method} {path} as {code}", response.text))
        if response.status_code == 409:
            raise Conflict(response.text)
        if response.status_code != 200:
            self.failures += 1
            return None
        return response.json()

    async def pages(self) -> None:
        """Each department's workbench page and a few of its case pages, for the audit."""
        for code in sorted(set(self.owners.values())):
            async with httpx.AsyncClient(base_url=self.system.url("routing"), timeout=10) as web:
                await web.post("/signin", data={"token": self.bearer(code)["Authorization"][7:]})
                cases = [c for c, owner in self.owners.items() if owner == code][:3]
                pages = ["/workbench", *[f"/workbench/{c}" for c in cases]]
                for path in pages:
                    self.responses.append((f"page {path} as {code}", (await web.get(path)).text))


class Conflict(Exception):
    """routing answered 409: the step was already taken."""
