"""Fault injection under load (`make chaos`; a shorter run is an e2e test): the whole system on a
PostgreSQL of its own while petitions keep coming and departments answer them; each service is
SIGKILLed in turn, then nats-server, then PostgreSQL is crashed; each is restarted. The counts
(`tally.py`) and the personal-data audit (`audit.py`) are taken at the end.

    with ChaosSystem(root, progress=print) as chaos:
        result = asyncio.run(run_chaos(chaos, ChaosSettings(petitions=40)))
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from harness import SERVICES, System, token
from hooks import WebhookReceiver
from petitions import DEADLINE_KINDS, Accepted, Api, a_petition, registration_mails
from postgres import LocalPostgres

from xinfang.common.auth import Role
from xinfang.common.settings import REFERENCE_DIR

FAULTS = (*SERVICES, "nats", "postgres")
READY_SECONDS = 120.0
FLOWING_SECONDS = 120.0
QUIET_CHECKS = 5
DRAIN_SECONDS = 300.0
STEADY_BACKLOG = 20
QUEUE = "xinfang_notify_queue_depth "
RECIPIENTS = (
    Path(__file__).parents[2] / "services/notify/src/xinfang/notify/reference/recipients.json"
)
WEBHOOK_SECRET = "chaos-webhook-secret-0123456789"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ChaosSettings:
    petitions: int = 300  # at least this many are posted, more while the faults last
    pace: float = 0.5  # seconds between two POSTs
    down: float = 2.0  # how long a killed part stays down
    calm: float = 3.0  # after the flow is back, before the next fault
    settle: float = 300.0  # how long the end may take to be complete
    measure_flow: bool = True  # wait, after each fault, for a new petition to go all the way
    # Kill the next service while the last one is still starting (each is still killed and
    # restarted in turn): a shorter run on a machine where a Python service takes long to start.
    overlap: bool = False
    seed: int = 8


def department_codes() -> list[str]:
    """Every department of the demo city."""
    listing = json.loads((REFERENCE_DIR / "departments.json").read_text(encoding="utf-8"))
    return [d["code"] for d in listing]


class ChaosSystem:
    """A PostgreSQL of its own (SQLite if its binaries are missing), a webhook receiver for
    routing's and notify's webhooks, and the whole system on them."""

    def __init__(self, root: Path, *, progress: Progress = print) -> None:
        self.root, self.progress = root, progress
        self.receiver = WebhookReceiver()
        self.pg: LocalPostgres | None = None
        self.database_urls: dict[str, str] = {}
        self.system: System | None = None

    def __enter__(self) -> ChaosSystem:
        try:
            self.receiver.start()
            self.pg = LocalPostgres.find()
            env = {name: self._database(name) for name in SERVICES}
            env["notify"]["XINFANG_NOTIFY_RECIPIENTS_FILE"] = str(self._recipients())
            self.system = System(self.root / "system", env=env).up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.system is not None:
            self.system.stop()
        if self.pg is not None:
            self.pg.destroy()
        self.receiver.stop()

    @property
    def faults(self) -> tuple[str, ...]:
        return FAULTS if self.pg else tuple(f for f in FAULTS if f != "postgres")

    @property
    def backend(self) -> str:
        return f"PostgreSQL 127.0.0.1:{self.pg.port} (own cluster)" if self.pg else "SQLite"

    def _database(self, name: str) -> dict[str, str]:
        if self.pg is None:
            return {}  # the harness's SQLite file
        if not self.pg.running:
            self.pg.start()
        url = self.pg.create_database(f"xinfang_{name}")
        self.database_urls[name] = url
        return {f"XINFANG_{name.upper()}_DATABASE_URL": url}

    def _recipients(self) -> Path:
        """notify's staff directory with every department reached by webhook (to audit it)."""
        recipients = json.loads(RECIPIENTS.read_text(encoding="utf-8"))
        for code, entry in recipients["departments"].items():
            entry["webhook"] = {
                "url": self.receiver.url(f"/notify/{code}"),
                "secret": WEBHOOK_SECRET,
            }
            entry["channel"] = "webhook"
        path = self.root / "recipients.json"
        path.write_text(json.dumps(recipients, ensure_ascii=False), encoding="utf-8")
        return path

    def kill(self, fault: str) -> None:
        """SIGKILL a service or nats-server; crash PostgreSQL (immediate shutdown)."""
        assert self.system is not None
        if fault == "nats":
            self.system.kill_nats()
        elif fault == "postgres":
            assert self.pg is not None
            self.pg.crash()
        else:
            self.system.kill(fault)

    def restart(self, fault: str) -> None:
        assert self.system is not None
        if fault == "nats":
            self.system.restart_nats()
        elif fault == "postgres":
            assert self.pg is not None
            self.pg.start()
        else:
            self.system.start(fault)


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
        for case_no in [c for c, d in self.to_report.items() if d == code]:
            report = {"summary": "已办结，当事人已签收处理意见书。"}
            if await self.act(code, case_no, "completion-report", report) is not None:
                del self.to_report[case_no]

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


# --- the faults -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """How one fault went: seconds from the kill to each point."""

    fault: str
    restarted: float  # the part was started again (after `down` seconds away)
    ready: float  # every service answers /readyz with 200
    flowing: float | None  # a petition posted after the kill was registered, routed, notified
    drained: float | None  # the backlog the fault left (messages, notices) is worked off
    posted_meanwhile: int  # petitions accepted between the kill and the restart


async def inject(
    chaos: ChaosSystem, api: Api, load: Load, fault: str, settings: ChaosSettings
) -> Recovery:
    """Kill `fault`, keep it down a while, restart it; measure the way back."""
    assert chaos.system is not None
    killed = time.perf_counter()
    await asyncio.to_thread(chaos.kill, fault)
    await asyncio.sleep(settings.down)
    await asyncio.to_thread(chaos.restart, fault)
    restarted = time.perf_counter()
    # Overlapping service faults: another service may be down on purpose meanwhile.
    others = () if settings.overlap and fault in SERVICES else SERVICES
    await asyncio.to_thread(chaos.system.wait_ready, *others, timeout=READY_SECONDS)
    ready = time.perf_counter()
    flowing = drained = None
    if settings.measure_flow:
        flowing = await first_flowing(api, load, since=killed)
        drained = await until_drained(chaos.system, since=killed)
    meanwhile = sum(killed <= a.posted_at <= restarted for a in load.accepted)
    return Recovery(fault, restarted - killed, ready - killed, flowing, drained, meanwhile)


async def first_flowing(api: Api, load: Load, *, since: float) -> float | None:
    """Seconds from `since` until a petition posted after it has its registration e-mail and its
    first deadlines (intake, routing, notify and supervision all working); None if never."""
    deadline = time.monotonic() + FLOWING_SECONDS
    while time.monotonic() < deadline:
        for case in [a for a in load.accepted if a.posted_at > since][:5]:
            if registration_mails(api.system, case.case_no) and await _has_deadlines(api, case):
                return time.perf_counter() - since
        await asyncio.sleep(0.25)
    return None


async def until_drained(system: System, *, since: float) -> float | None:
    """Seconds from `since` until no service consumer and no notice queue holds more than the
    steady load keeps there (so the next fault is measured on its own); None if never."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if await asyncio.to_thread(backlog, system) <= STEADY_BACKLOG:
            return time.perf_counter() - since
        await asyncio.sleep(0.5)
    return None


def backlog(system: System) -> int:
    """The largest of: each service consumer's pending and unacknowledged messages, notify's
    queue of notices waiting to be delivered."""
    consumers = [
        c.get("num_pending", 0) + c.get("num_ack_pending", 0)
        for c in system.consumers()
        if not c["name"].startswith("dept-")
    ]
    with urllib.request.urlopen(f"{system.url('notify')}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    queue = [float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(QUEUE)]
    return int(max([*consumers, *queue, 0]))


async def _has_deadlines(api: Api, case: Accepted) -> bool:
    try:
        kinds = {d["kind"] for d in await api.deadlines(case.case_no)}
    except (httpx.HTTPError, AssertionError):
        return False
    return set(DEADLINE_KINDS) <= kinds


# --- the run ----------------------------------------------------------------------------------


@dataclass
class ChaosRun:
    """What happened: the load, the departments' work and each fault's recovery."""

    settings: ChaosSettings
    faults: tuple[str, ...]  # in the order they were injected
    load: Load
    departments: Departments
    recoveries: list[Recovery]
    seconds: float


async def run_chaos(chaos: ChaosSystem, settings: ChaosSettings, api: Api) -> ChaosRun:
    """Load and departments in the background, each fault in turn, then wait for the end."""
    assert chaos.system is not None
    started = time.perf_counter()
    codes = department_codes()
    await set_routing_webhooks(api, codes, chaos.receiver)
    categories, regions = await api.codes()
    load = Load(
        api, settings.petitions, settings.pace, petition_maker(categories, regions, settings.seed)
    )
    departments = Departments(chaos.system, codes)
    tasks = [asyncio.create_task(load.run()), asyncio.create_task(departments.run())]
    watch = asyncio.create_task(report_progress(chaos, load, departments, started))
    recoveries: list[Recovery] = []
    try:
        warm = min(10, max(3, settings.petitions // 4))
        await until(lambda: len(load.accepted) >= warm, within=60)
        recoveries = await inject_each(chaos, api, load, settings)
        load.stop.set()
        await tasks[0]  # the last POST, and as many as `settings.petitions` at least
        chaos.progress(
            f"-- load done: {len(load.petitions)} posted; waiting for every case to finish"
        )
        await until(lambda: finished(load, departments), within=settings.settle)
        chaos.progress("-- every case answered; waiting for the system to fall quiet")
        await quiet(chaos, api, within=settings.settle)
    finally:
        for task in (*tasks, watch):
            task.cancel()
        await asyncio.gather(*tasks, watch, return_exceptions=True)
    await departments.pages()
    await departments.client.aclose()
    return ChaosRun(
        settings, chaos.faults, load, departments, recoveries, time.perf_counter() - started
    )


async def inject_each(
    chaos: ChaosSystem, api: Api, load: Load, settings: ChaosSettings
) -> list[Recovery]:
    """Every fault in turn; with `overlap`, the services' faults overlap their restarts."""
    recoveries: list[Recovery] = []
    starting: list[asyncio.Task[Recovery]] = []
    for fault in chaos.faults:
        chaos.progress(f"-- fault: kill {fault}")
        if settings.overlap and fault in SERVICES:
            starting.append(asyncio.create_task(inject(chaos, api, load, fault, settings)))
            await asyncio.sleep(settings.down + 1.0)  # killed, down, being restarted: next one
            continue
        recoveries += await _reported(chaos, asyncio.gather(*starting))
        starting = []
        recoveries += await _reported(chaos, inject(chaos, api, load, fault, settings))
        await asyncio.sleep(settings.calm)
    return recoveries + await _reported(chaos, asyncio.gather(*starting))


async def _reported(chaos: ChaosSystem, injecting: Awaitable[Any]) -> list[Recovery]:
    done = await injecting
    done = done if isinstance(done, list) else [done]
    for recovery in done:
        chaos.progress(f"   {describe(recovery)}")
    return done


def finished(load: Load, departments: Departments) -> bool:
    """Every accepted case answered (and reported, for 交办) by its department."""
    answered = sum("answer" in departments.done.get(a.case_no, {}) for a in load.accepted)
    return answered >= len(load.accepted) and not departments.to_report


async def quiet(chaos: ChaosSystem, api: Api, *, within: float) -> None:
    """Until no consumer has anything pending and nothing new reaches the stream, the SMTP server
    or the webhook receiver for a few seconds (notices still being sent, webhooks retried)."""
    assert chaos.system is not None
    system = chaos.system
    deadline = time.monotonic() + within
    last, calm = None, 0
    while calm < QUIET_CHECKS and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now = (stream_last_seq(system), len(system.mails), len(chaos.receiver.deliveries))
        # The departments' feeds fill until the audit reads them: only the services' count.
        busy = [line for line in api.busy_consumers() if not line.startswith("dept-")]
        calm = calm + 1 if now == last and not busy else 0
        last = now


def stream_last_seq(system: System) -> int:
    """The last sequence of every stream, summed (from nats-server's monitoring endpoint)."""
    with urllib.request.urlopen(f"{system.nats.monitor_url}/jsz?streams=true", timeout=5) as r:
        report = json.load(r)
    return sum(
        stream["state"]["last_seq"]
        for account in report.get("account_details", [])
        for stream in account.get("stream_detail", [])
    )


async def until(probe: Callable[[], bool], *, within: float) -> None:
    """Poll `probe` twice a second until it holds or `within` seconds have passed."""
    for _ in range(int(within * 2)):
        if probe():
            return
        await asyncio.sleep(0.5)


async def set_routing_webhooks(api: Api, codes: list[str], receiver: WebhookReceiver) -> None:
    """Every department also receives its feed by routing's signed webhook."""
    admin = {"Authorization": f"Bearer {token(Role.ADMIN)}"}
    for code in codes:
        url = f"{api.system.url('routing')}/api/v1/admin/departments/{code}/webhook"
        body = {"url": receiver.url(f"/routing/{code}"), "secret": WEBHOOK_SECRET}
        response = await api.client.put(url, json=body, headers=admin)
        assert response.status_code == 200, (
            f"webhook of {code}: {response.status_code} {response.text}"
        )


async def report_progress(
    chaos: ChaosSystem, load: Load, departments: Departments, started: float
) -> None:
    """A line every few seconds: what has been posted, answered and mailed so far."""
    assert chaos.system is not None
    while True:
        await asyncio.sleep(5)
        answered = sum("answer" in done for done in departments.done.values())
        chaos.progress(
            f"   t={time.perf_counter() - started:5.0f}s posted {len(load.petitions)} "
            f"accepted {len(load.accepted)} (resent {load.resent}, unknown {len(load.unknown)}) "
            f"answered {answered} e-mails {len(chaos.system.mails)} "
            f"webhooks {len(chaos.receiver.deliveries)}"
        )


def describe(recovery: Recovery) -> str:
    flowing = "-" if recovery.flowing is None else f"{recovery.flowing:.1f} s"
    drained = "-" if recovery.drained is None else f"{recovery.drained:.1f} s"
    return (
        f"{recovery.fault}: restarted after {recovery.restarted:.1f} s, ready after "
        f"{recovery.ready:.1f} s, flowing after {flowing}, backlog drained after {drained} "
        f"({recovery.posted_meanwhile} accepted while down)"
    )
