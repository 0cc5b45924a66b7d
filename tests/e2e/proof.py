"""A chaos run, its counts and the personal-data audit: what `make chaos` and its e2e test run."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

import audit as pd
from chaos import ChaosRun, ChaosSettings, ChaosSystem, department_codes, describe, run_chaos
from petitions import Api
from tally import Tally, take

RECOUNTS = 5
RECOUNT_SECONDS = 15.0
RECOVERY_ROW = "{:<26} {:>7} {:>7} {:>8} {:>8} {:>10}"


@dataclass
class Outcome:
    """The run, its counts and its audit."""

    run: ChaosRun
    tally: Tally
    audit: pd.Audit
    backend: str
    load_average: tuple[float, float]  # the machine's 1-minute load average at start and end

    @property
    def failed(self) -> bool:
        never = self.run.settings.measure_flow and any(
            r.flowing is None or r.drained is None for r in self.run.recoveries
        )
        return self.tally.failed or bool(self.audit.hits) or never

    def report(self) -> str:
        """The counts table, the recovery times and the audit, for a terminal or the README."""
        verdict = "FAILED" if self.failed else "nothing lost or duplicated, no personal data seen"
        run = self.run
        size = f"{len(run.load.petitions)} petitions, {run.seconds:.0f} s"
        machine = f"load average {self.load_average[0]:.1f} → {self.load_average[1]:.1f}"
        head = f"chaos on {self.backend}: {size} ({machine}); {verdict}"
        return "\n".join([head, self.tally.table(), recovery_table(run), self.audit.table()])


def recovery_table(run: ChaosRun) -> str:
    """Seconds from each kill to the restart, to every service ready, to a new petition through,
    to the backlog worked off; and the petitions accepted while the part was down."""
    head = ("fault (kill -9, restart)", "down", "ready", "flowing", "drained", "meanwhile")
    lines = [RECOVERY_ROW.format(*head)]
    for r in run.recoveries:
        times = [f"{t:.1f}s" if t is not None else "-" for t in (r.flowing, r.drained)]
        row = (r.fault, f"{r.restarted:.1f}s", f"{r.ready:.1f}s", *times, r.posted_meanwhile)
        lines.append(RECOVERY_ROW.format(*row))
    return "\n".join(lines)


async def prove(chaos: ChaosSystem, settings: ChaosSettings) -> Outcome:
    """Run the faults under load, then count and audit."""
    assert chaos.system is not None
    system = chaos.system
    load_before = os.getloadavg()[0]
    codes = department_codes()
    await pd.provision_department_feeds(system.nats.url, codes)
    async with Api(system) as api:
        run = await run_chaos(chaos, settings, api)
        for _ in range(RECOUNTS):
            chaos.progress("-- counting")
            messages = await pd.read_streams(system.nats.url)
            webhooks = chaos.receiver.snapshot()
            tally = await take(run, api, messages, webhooks)
            if not tally.notices_waiting:
                break
            # A notice sent while the database was away is sent again once its lease runs out.
            chaos.progress(f"   {tally.notices_waiting} notices still pending: again shortly")
            await asyncio.sleep(RECOUNT_SECONDS)
    chaos.progress("-- personal-data audit")
    audit = pd.Audit.of(run.load.petitions)
    pd.scan_streams(audit, messages)
    pd.scan_logs(audit, system.root / "log")
    pd.scan_responses(audit, run.departments.responses)
    await pd.scan_department_feeds(audit, system.nats.url, codes)
    pd.scan_webhooks(audit, webhooks)
    for name, url in database_urls(chaos).items():
        await pd.scan_database(audit, name, url)
    for r in run.recoveries:
        chaos.progress(f"   {describe(r)}")
    return Outcome(run, tally, audit, chaos.backend, (load_before, os.getloadavg()[0]))


def database_urls(chaos: ChaosSystem) -> dict[str, str]:
    """Each service's database (PostgreSQL, or the harness's SQLite files)."""
    assert chaos.system is not None
    if chaos.database_urls:
        return chaos.database_urls
    root = chaos.system.root
    return {
        name: f"sqlite+aiosqlite:///{root / f'{name}.db'}"
        for name in ("intake", "routing", "supervision", "notify")
    }
