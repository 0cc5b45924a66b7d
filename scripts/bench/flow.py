"""One phase of load on the running system, and what it shows.

The load generator runs as a process of its own (`scripts.bench.loadgen`). This process watches:
the routed events on NATS (a plain subscription to `xinfang.petition.routed.>`: the moment the
stream accepts routing's publish), the registration e-mails reaching the harness's SMTP server,
and every service's /metrics twice a second, from which each stage's rate is read.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from scripts.bench.stats import latency_summary

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from databases import SERVICES, Databases, postgres_server  # noqa: E402, F401 (for __main__)
from harness import System  # noqa: E402

ROUTED_SUBJECT = "xinfang.petition.routed.>"
REGISTRATION = "registration"
SAMPLE_SECONDS = 0.5
SETTLE_SECONDS = 2.0

# stage → (service, sample name, labels a sample must have): counters read from /metrics.
STAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "intake registrations": ("intake", "xinfang_intake_registrations_total", {}),
    "routing decisions": ("routing", "xinfang_routing_decisions_total", {}),
    "supervision events applied": (
        "supervision",
        "xinfang_supervision_consumer_messages_total",
        {"result": "applied"},
    ),
    "notices delivered": ("notify", "xinfang_notify_deliveries_total", {"result": "delivered"}),
}


@dataclass
class Load:
    """What the load generator is asked to do: open loop at `rate`, or closed at `concurrency`."""

    name: str
    duration: float
    first: int
    rate: float | None = None
    concurrency: int | None = None
    overload: int = 500
    urls: list[str] = field(default_factory=list)  # default: intake's

    def arguments(self, out: Path) -> list[str]:
        mode = ["--rate", str(self.rate)] if self.rate else ["--concurrency", str(self.concurrency)]
        urls = [arg for url in self.urls for arg in ("--url", url)]
        common = ["--out", str(out), "--duration", str(self.duration), "--first", str(self.first)]
        return [*urls, *mode, *common, "--overload", str(self.overload)]


class RoutedWatcher:
    """First time each case's routed event was published, from a NATS subscription."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self._nc: Any = None

    async def start(self, nats_url: str) -> None:
        import nats

        self._nc = await nats.connect(nats_url)
        await self._nc.subscribe(ROUTED_SUBJECT, cb=self._on_message)

    async def _on_message(self, msg: Any) -> None:
        case_no = json.loads(msg.data).get("subject", "")
        self.seen.setdefault(case_no, time.perf_counter())

    async def stop(self) -> None:
        if self._nc is not None:
            await self._nc.close()


class MetricsSampler:
    """Each stage's counter, summed over the instances of its service, every half second."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._client = httpx.AsyncClient(timeout=5)

    async def sample(self) -> dict[str, float]:
        texts = {}
        for name in list(self.system.ports):
            try:
                texts[name] = (await self._client.get(f"{self.system.url(name)}/metrics")).text
            except httpx.HTTPError:
                texts[name] = ""  # an instance starting or stopped
        values = {stage: _stage_value(stage, texts) for stage in STAGES}
        self.samples.append((time.perf_counter(), values))
        return values

    async def run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(SAMPLE_SECONDS)

    async def close(self) -> None:
        await self._client.aclose()


def _stage_value(stage: str, texts: dict[str, str]) -> float:
    service, sample_name, labels = STAGES[stage]
    total = 0.0
    for name, text in texts.items():
        if name.partition("-")[0] != service:
            continue
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == sample_name and labels.items() <= sample.labels.items():
                    total += sample.value
    return total


def stage_rates(samples: list[tuple[float, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Each stage's count in the phase and its rate while it had work: from the sample before
    its counter first moved to the first sample at its final value."""
    rates = {}
    for stage in STAGES:
        values = [(t, v[stage]) for t, v in samples]
        base, final = values[0][1], values[-1][1]
        if final == base:
            rates[stage] = {"count": 0.0, "per_s": 0.0}
            continue
        first_move = next(i for i, (_, v) in enumerate(values) if v > base)
        done = next(t for t, v in values if v == final)
        busy = done - values[max(first_move - 1, 0)][0]
        rates[stage] = {"count": final - base, "per_s": (final - base) / busy if busy else 0.0}
    return rates


def registration_arrivals(system: System) -> dict[str, float]:
    """When the first registration e-mail of each case reached the SMTP server."""
    first: dict[str, float] = {}
    for mail in system.mails:
        if mail.notice == REGISTRATION and mail.case_no not in first:
            first[mail.case_no] = mail.arrived
    return first


async def run_phase(
    system: System, load: Load, *, work_dir: Path, drain_timeout: float, profile: Any = None
) -> dict[str, Any]:
    """Drive one phase and wait for its e-mails; returns its figures. `profile`, a context
    manager, is held open while the load runs."""
    out = work_dir / f"load-{load.name}.json"
    load.urls = load.urls or [system.url("intake")]
    watcher, sampler = RoutedWatcher(), MetricsSampler(system)
    await watcher.start(system.nats.url)
    await sampler.sample()
    sampling = asyncio.create_task(sampler.run())
    try:
        generator = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "scripts.bench.loadgen", *load.arguments(out), cwd=ROOT
        )
        if profile is not None:
            with profile:
                await generator.wait()
        else:
            await generator.wait()
        if generator.returncode != 0:
            raise SystemExit(f"the load generator failed (exit {generator.returncode})")
        result = json.loads(out.read_text(encoding="utf-8"))
        accepted = [r for r in result["records"] if r["status"] == 201]
        arrived = await _wait_for_mails(system, {r["case_no"] for r in accepted}, drain_timeout)
    finally:
        sampling.cancel()
        await asyncio.gather(sampling, return_exceptions=True)
        await sampler.sample()
        await sampler.close()
        await watcher.stop()
    return phase_figures(load, result, watcher.seen, arrived, stage_rates(sampler.samples))


async def _wait_for_mails(system: System, cases: set[str], within: float) -> dict[str, float]:
    deadline = time.monotonic() + within
    while True:
        arrived = registration_arrivals(system)
        missing = len(cases - arrived.keys())
        if sys.stderr.isatty():
            print(f"    e-mails: {len(cases) - missing}/{len(cases)}", end="\r", file=sys.stderr)
        if not missing or time.monotonic() > deadline:
            return {case: at for case, at in arrived.items() if case in cases}
        await asyncio.sleep(SAMPLE_SECONDS)


def phase_figures(
    load: Load,
    result: dict[str, Any],
    routed: dict[str, float],
    arrived: dict[str, float],
    stages: dict[str, dict[str, float]],
) -> dict[str, Any]:
    """Throughput, latencies and stage rates of one phase."""
    records = result["records"]
    accepted = [r for r in records if r["status"] == 201]
    first = min((r["due"] for r in records), default=result["started"])
    last_mail = max(arrived.values(), default=first)
    routed_ms = _since_due(accepted, routed)
    mailed_ms = _since_due(accepted, arrived)
    figures: dict[str, Any] = {
        "load": {"rate": load.rate, "concurrency": load.concurrency, "duration_s": load.duration},
        "posted": len(records),
        "accepted": len(accepted),
        "errors": len(records) - len(accepted),
        "error_samples": result["errors"],
        "routed": len(routed_ms),
        "delivered": len(mailed_ms),
        "overloaded_after_s": result["overloaded_after_s"],
        "post_per_s": len(accepted) / _posting_seconds(load, records),
        "end_to_end_per_s": len(mailed_ms) / (last_mail - first) if mailed_ms else 0.0,
        "latency_ms": {
            "post": latency_summary([(r["answered"] - r["due"]) * 1000 for r in accepted]),
            "routed": latency_summary(routed_ms),
            "delivered": latency_summary(mailed_ms),
        },
        "stages": stages,
    }
    figures["sustained"] = _sustained(load, figures, records, last_mail)
    return figures


def _posting_seconds(load: Load, records: list[dict[str, Any]]) -> float:
    """Open loop: the span of the arrivals; closed loop: first sent to last answered."""
    if not records:
        return 1.0
    if load.rate:
        return max(r["due"] for r in records) - min(r["due"] for r in records) + 1 / load.rate
    return max(r["answered"] for r in records) - min(r["sent"] for r in records)


def _since_due(accepted: list[dict[str, Any]], seen: dict[str, float]) -> list[float]:
    """Milliseconds from each petition's due time to when its case was seen."""
    return [(seen[r["case_no"]] - r["due"]) * 1000 for r in accepted if r["case_no"] in seen]


def _sustained(
    load: Load, figures: dict[str, Any], records: list[dict[str, Any]], last_mail: float
) -> bool:
    """Every petition came through; open loop also: offering never stopped and no backlog
    built up (the last e-mail came at most `SETTLE_SECONDS`, or a tenth of the phase, after
    the last arrival was due)."""
    complete = figures["delivered"] == figures["accepted"] == figures["posted"] > 0
    if load.rate is None or not complete:
        return complete
    settle = max(SETTLE_SECONDS, load.duration / 10)
    caught_up = last_mail - max(r["due"] for r in records) <= settle
    return figures["overloaded_after_s"] is None and caught_up
