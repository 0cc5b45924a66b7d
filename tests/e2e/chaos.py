"""Fault injection under load (`make chaos`; a shorter run is an e2e test): the whole system on a
PostgreSQL of its own while petitions keep coming and departments answer them; each service is
SIGKILLed in turn, then nats-server, then PostgreSQL is crashed; each is restarted. The actors
are in `actors.py`; `proof.py` adds the counts (`tally.py`) and the personal-data audit
(`audit.py`) at the end:

    with ChaosSystem(root, progress=print) as chaos:
        outcome = asyncio.run(prove(chaos, ChaosSettings(petitions=40)))
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from actors import Departments, Load, petition_maker
from harness import SERVICES, System, token
from hooks import WebhookReceiver
from petitions import DEADLINE_KINDS, Accepted, Api, registration_mails
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
        await quiet(chaos, within=settings.settle)
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


async def quiet(chaos: ChaosSystem, *, within: float) -> None:
    """Until no service consumer has anything pending and nothing new reaches the stream, the
    SMTP server or the webhook receiver for a few seconds (notices sent, webhooks retried)."""
    assert chaos.system is not None
    system = chaos.system
    deadline = time.monotonic() + within
    last, calm = None, 0
    while calm < QUIET_CHECKS and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now = (stream_last_seq(system), len(system.mails), len(chaos.receiver.deliveries))
        # The departments' feeds fill until the audit reads them: only the services' count.
        busy = [c for c in await asyncio.to_thread(system.consumers) if _busy(c)]
        calm = calm + 1 if now == last and not busy else 0
        last = now


def _busy(consumer: dict[str, Any]) -> bool:
    pending = consumer.get("num_pending", 0) + consumer.get("num_ack_pending", 0)
    return bool(pending) and not consumer["name"].startswith("dept-")


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
