"""CPU time each process spends per petition, from the POST to the last event it causes.

    uv run python -m scripts.bench.cpu [--rate 100] [--duration 10]

Posts petitions at a steady rate the system keeps up with, waits until every consumer has
nothing pending and the e-mails stop arriving, and divides each process's CPU time (user and
system, its threads and children included, from /proc) by the petitions registered, less what
the process spends idle. Unlike a rate, this figure hardly moves when other work shares the
machine: it is what to compare before and after a change.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.bench.flow import ROOT, System

TICKS = os.sysconf("SC_CLK_TCK")
IDLE_SECONDS = 3.0
SETTLE_POLL_SECONDS = 1.0


def cpu_seconds(pid: int) -> float:
    """User and system time of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / TICKS


def processes(system: System) -> dict[str, int]:
    """The running services and nats-server, by name."""
    pids = {name: system.pid(name) for name in system.ports if system.alive(name)}
    if system.nats.pid is not None:
        pids["nats"] = system.nats.pid
    return pids


def settle(system: System, mails: int = -1) -> None:
    """Wait until no consumer holds a message and the e-mails stopped arriving."""
    while True:
        time.sleep(SETTLE_POLL_SECONDS)
        consumers = system.consumers()
        pending = sum(c.get("num_pending", 0) + c.get("num_ack_pending", 0) for c in consumers)
        if pending == 0 and len(system.mails) == mails:
            return
        mails = len(system.mails)


def measure(system: System, *, rate: float, duration: float, work_dir: Path) -> dict[str, float]:
    """CPU milliseconds per petition of each process, and their total."""
    pids = processes(system)
    settle(system)
    idle = _idle_rates(pids)
    before, started = {name: cpu_seconds(pid) for name, pid in pids.items()}, time.monotonic()
    out = work_dir / "load-cpu.json"
    command = [sys.executable, "-m", "scripts.bench.loadgen", "--url", system.url("intake")]
    command += ["--out", str(out), "--rate", str(rate), "--duration", str(duration)]
    command += ["--first", str(int(time.time()))]  # petitions numbered apart from other phases'
    subprocess.run(command, cwd=ROOT, check=True)
    registered = sum(1 for r in json.loads(out.read_text())["records"] if r["status"] == 201)
    settle(system)
    elapsed = time.monotonic() - started
    per_petition = {
        name: 1000 * (cpu_seconds(pid) - before[name] - idle[name] * elapsed) / registered
        for name, pid in pids.items()
    }
    return per_petition | {"total": sum(per_petition.values()), "petitions": registered}


def _idle_rates(pids: dict[str, int]) -> dict[str, float]:
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    time.sleep(IDLE_SECONDS)
    return {name: (cpu_seconds(pid) - before[name]) / IDLE_SECONDS for name, pid in pids.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100, help="petitions/s (100)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load (10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, System(Path(tmp)) as system:
        figures = measure(system, rate=args.rate, duration=args.duration, work_dir=Path(tmp))
    for name, value in figures.items():
        if name != "petitions":
            print(f"  {name:12s} {value:7.2f} CPU ms per petition", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
