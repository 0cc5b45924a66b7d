"""`make bench`: the whole system under load, its ceilings, and the aims of issue 9.

    uv run python -m scripts.bench [--duration 20] [--rate 200] [--concurrency 64]
        [--deadlines 1000000] [--instances 2] [--postgres auto|never] [--smoke]

Starts the system as the end-to-end tests do (tests/e2e/harness.py: the wheel's nats-server with
`sync_interval: always`, an SMTP server, the four services on SQLite), measures the ceilings
(a bare FastAPI endpoint, raw JetStream), then drives the flow from a separate load-generator
process: at saturation (closed loop) and at a fixed rate (open loop), replays supervision's
read model from the stream, scales to two instances of each service, and profiles the services
under load if an aim is missed. Supervision's scheduler tick over a million open deadlines
follows with the system stopped. Everything again on PostgreSQL when a server is reachable.
Writes var/bench/report.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.bench import ceilings, cpu, hotspots
from scripts.bench.flow import (
    ROOT,
    SERVICES,
    Databases,
    Load,
    System,
    postgres_server,
    run_phase,
)
from scripts.bench.report import aims, table

REPORT = ROOT / "var" / "bench" / "report.json"
STAGE_CEILING = {  # the ceiling each stage's rate is compared with
    "intake registrations": "fastapi_post_per_s",
    "routing decisions": "jetstream_consume_per_s",
    "supervision events applied": "jetstream_consume_per_s",
    "notices delivered": "jetstream_consume_per_s",
}
PHASE_NUMBERS = 1_000_000  # petitions of phase k are numbered from k × this: never repeats


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


def run_json(*args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run `python -m scripts.bench.<…>` and read the JSON it prints last."""
    command = [sys.executable, "-m", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- ceilings ---------------------------------------------------------------------------------


async def measure_ceilings(
    system: System, args: argparse.Namespace, work: Path
) -> dict[str, float]:
    """The bare FastAPI endpoint under the same load, and raw JetStream rates."""
    say("ceilings: bare FastAPI endpoint, raw JetStream")
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "scripts.bench.ceilings", "fastapi", "--port", str(port), cwd=ROOT
    )
    try:
        await asyncio.to_thread(_wait_for_port, port)
        load = Load("fastapi", args.ceiling_seconds, first=0, concurrency=args.concurrency)
        load.urls = [f"http://127.0.0.1:{port}"]
        fastapi = await _post_rate(load, work, codes_from=system.url("intake"))
    finally:
        server.terminate()
        await server.wait()
    jetstream = await ceilings.jetstream_rates(system.nats.url, args.ceiling_seconds)
    return {
        "fastapi_post_per_s": fastapi,
        "jetstream_publish_per_s": jetstream["publish_per_s"],
        "jetstream_publish_pipelined_per_s": jetstream["publish_pipelined_per_s"],
        "jetstream_consume_per_s": jetstream["consume_per_s"],
    }


async def _post_rate(load: Load, work: Path, *, codes_from: str) -> float:
    """POSTs answered 201 per second, from the first sent to the last answered."""
    out = work / f"load-{load.name}.json"
    command = ["-m", "scripts.bench.loadgen", *load.arguments(out), "--codes-from", codes_from]
    generator = await asyncio.create_subprocess_exec(sys.executable, *command, cwd=ROOT)
    if await generator.wait() != 0:
        raise SystemExit(f"the load generator failed ({load.name})")
    result = json.loads(out.read_text(encoding="utf-8"))
    ok = [r for r in result["records"] if r["status"] == 201]
    if not ok:
        raise SystemExit(f"{load.name}: every POST refused, e.g. {result['errors'][:1]}")
    span = max(r["answered"] for r in ok) - min(r["sent"] for r in ok)
    return len(ok) / span


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the bare FastAPI endpoint did not listen on {port}")


# --- the flow ---------------------------------------------------------------------------------


async def drive(
    system: System, db: Databases, args: argparse.Namespace, work: Path, primary: bool, scale: bool
) -> dict[str, Any]:
    """Every phase of load on one running system; the ceilings and the profile on the first,
    the scaling on the last."""
    figures: dict[str, Any] = {}
    if primary:
        figures["ceilings"] = await measure_ceilings(system, args, work)
    say(f"CPU per petition: {args.cpu_rate:g}/s for {args.duration:g} s, then until settled")
    figures["cpu_ms_per_petition"] = await asyncio.to_thread(
        cpu.measure, system, rate=args.cpu_rate, duration=args.duration, work_dir=work
    )
    phase = {"work_dir": work, "drain_timeout": args.drain_timeout}
    say(f"saturation: {args.concurrency} clients for {args.duration:g} s")
    saturation = Load("saturation", args.duration, PHASE_NUMBERS, concurrency=args.concurrency)
    figures["saturation"] = await run_phase(system, saturation, **phase)
    say(f"fixed rate: {args.rate:g}/s for {args.duration:g} s")
    overload = max(int(args.rate * args.overload_seconds), 10)
    moderate = Load("moderate", args.duration, 2 * PHASE_NUMBERS, rate=args.rate, overload=overload)
    figures["moderate"] = await run_phase(system, moderate, **phase)
    petitions = figures["saturation"]["accepted"] + figures["moderate"]["accepted"]
    figures["stream"] = await asyncio.to_thread(stream_figures, system, petitions)
    figures["replay"] = await asyncio.to_thread(replay, system, db, args)
    if scale:
        figures["scaling"] = (
            await scaling(system, args, work, _headline(figures["saturation"]))
            if args.instances > 1
            else {"skipped": "--instances 1 (the default of --smoke)"}
        )
    if primary:
        figures["profile"] = await profile(system, args, work)
    figures["intake_alone"] = await intake_alone(system, args, work)
    return figures


async def intake_alone(system: System, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Intake saturated with the consumers stopped, as the bare endpoint is measured: the
    registration path's own rate, not its share of two cores with three other services.
    Last, since the stopped services come back to a backlog."""
    say(f"intake alone: {args.concurrency} clients for {args.ceiling_seconds:g} s")
    others = [name for name in list(system.ports) if not name.startswith("intake")]
    system.terminate(*others)
    load = Load("intake-alone", args.ceiling_seconds, 5 * PHASE_NUMBERS)
    load.concurrency, load.urls = args.concurrency, [system.url("intake")]
    return {"registrations_per_s": await _post_rate(load, work, codes_from=load.urls[0])}


def _headline(phase: dict[str, Any]) -> dict[str, Any]:
    """The rates a scaled run is compared with."""
    return {k: phase[k] for k in ("post_per_s", "end_to_end_per_s", "accepted", "delivered")}


def stream_figures(system: System, petitions: int) -> dict[str, Any]:
    """How many events the flow put on the stream for each petition (from /jsz)."""
    url = f"{system.nats.monitor_url}/jsz?streams=true"
    with urllib.request.urlopen(url, timeout=10) as response:
        accounts = json.load(response).get("account_details", [])
    streams = [s for a in accounts for s in a.get("stream_detail", []) if s["name"] == "XINFANG"]
    messages = streams[0]["state"]["messages"] if streams else 0
    return {
        "messages": messages,
        "petitions": petitions,
        "events_per_petition": messages / petitions if petitions else None,
    }


def replay(system: System, db: Databases, args: argparse.Namespace) -> dict[str, Any]:
    say(f"replay: supervision's read model from the stream (at most {args.replay_seconds:g} s)")
    return run_json(
        "scripts.bench.replay",
        "--nats",
        system.nats.url,
        "--database-url",
        db.url("replay"),
        "--seconds",
        str(args.replay_seconds),
    )


async def scaling(
    system: System, args: argparse.Namespace, work: Path, before: dict[str, Any]
) -> dict[str, Any]:
    """Saturation again with `--instances` of every service (same databases, same stream)."""
    say(f"scaling: {args.instances} instances of each service")
    extra = [
        system.add_instance(service, str(n))
        for n in range(2, args.instances + 1)
        for service in SERVICES
    ]
    system.start(*extra)
    intakes = [system.url("intake"), *(system.url(n) for n in extra if n.startswith("intake"))]
    load = Load("scaling", args.duration, 3 * PHASE_NUMBERS, concurrency=args.concurrency)
    load.urls = intakes
    try:
        figures = await run_phase(system, load, work_dir=work, drain_timeout=args.drain_timeout)
    finally:
        system.kill(*extra)
    return {"instances": args.instances, "one_instance": before, **figures}


async def profile(system: System, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The four services sampled while the saturation load runs (last: it leaves a backlog)."""
    say(f"profile: the services under saturation load for {args.profile_seconds:g} s")
    pids = {name: system.pid(name) for name in SERVICES}
    outs = {name: work / "profile" / f"{name}.pstats" for name in SERVICES}
    profiler = hotspots.Profiler(pids, work / "profile", outs)
    load = Load("profile", args.profile_seconds, 4 * PHASE_NUMBERS, concurrency=args.concurrency)
    await run_phase(system, load, work_dir=work, drain_timeout=0, profile=profiler)
    return profiler.summaries()


def with_ceiling_ratios(figures: dict[str, Any], ceilings: dict[str, float]) -> None:
    """Add to each phase's stages its rate as a share of the stage's ceiling, and to intake
    alone its share of the bare endpoint."""
    for phase in ("saturation", "moderate", "scaling"):
        for stage, rate in figures.get(phase, {}).get("stages", {}).items():
            ceiling = ceilings.get(STAGE_CEILING[stage])
            rate["ceiling_ratio"] = rate["per_s"] / ceiling if ceiling else None
    if "intake_alone" in figures:
        bare = ceilings["fastapi_post_per_s"]
        figures["intake_alone"]["share_of_bare"] = (
            figures["intake_alone"]["registrations_per_s"] / bare
        )


# --- supervision's tick -----------------------------------------------------------------------


def supervision_tick(db: Databases, args: argparse.Namespace, work: Path, primary: bool) -> dict:
    """Fill, then one tick in a fresh process; profiled too when it misses its aim."""
    say(f"supervision tick: filling {args.deadlines:,} open deadlines")
    url = db.url("tick")
    filled = run_json(
        "scripts.bench.tick", "fill", "--database-url", url, "--deadlines", str(args.deadlines)
    )
    copy = _copy_sqlite(url, work / "tick-copy.db") if primary else None
    say("supervision tick: one tick")
    figures = {
        "deadlines": args.deadlines,
        **filled,
        **run_json("scripts.bench.tick", "tick", "--database-url", url),
    }
    if copy and figures["tick_s"] > args.tick_aim and hotspots.pyspy_binary():
        figures["profile"] = _profile_tick(copy, work)
    return figures


def _copy_sqlite(url: str, to: Path) -> str | None:
    if not url.startswith("sqlite"):
        return None
    shutil.copyfile(url.split("///", 1)[1], to)
    return f"sqlite+aiosqlite:///{to}"


def _profile_tick(url: str, work: Path) -> dict[str, Any]:
    say("supervision tick: again under py-spy (it missed its aim)")
    raw = work / "tick.stacks.txt"
    command = [
        str(hotspots.pyspy_binary()),
        "record",
        "--format",
        "raw",
        "--output",
        str(raw),
        "--rate",
        "200",
        "--",
        sys.executable,
        "-m",
        "scripts.bench.tick",
        "tick",
        "--database-url",
        url,
    ]
    subprocess.run(command, cwd=ROOT, capture_output=True, timeout=1800, check=False)
    if not raw.exists():
        return {"error": "py-spy wrote no profile"}
    return {"tool": "py-spy", **hotspots.summarise_stacks(raw.read_text(encoding="utf-8"))}


# --- a run per database -----------------------------------------------------------------------


def run_database(
    db: Databases, args: argparse.Namespace, work: Path, *, primary: bool, scale: bool
) -> dict[str, Any]:
    """Everything on one kind of database."""
    say(f"== {db.kind}: starting nats-server, an SMTP server and the four services in {work}")
    with db.created_for([*SERVICES, "replay", "tick"]):
        env = db.service_env()
        if primary and not hotspots.pyspy_binary():
            for name in SERVICES:
                out = work / "profile" / f"{name}.pstats"
                env.setdefault(name, {}).update(hotspots.cprofile_env(out))
        with System(work / "system", env=env) as system:
            figures = asyncio.run(drive(system, db, args, work, primary, scale))
        figures["supervision_tick"] = supervision_tick(db, args, work, primary)
    return figures


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_at_start": os.getloadavg()[0],
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    add = parser.add_argument
    add("--duration", type=float, default=20.0, help="seconds of load per phase (20)")
    add("--rate", type=float, default=200.0, help="the fixed rate, petitions/s (200)")
    add("--cpu-rate", type=float, default=50.0, help="rate of the CPU measurement (50/s)")
    add("--concurrency", type=int, default=64, help="clients at saturation (64)")
    add(
        "--overload-seconds",
        type=float,
        default=2.5,
        help="fixed rate: stop offering when this many seconds of arrivals wait (2.5)",
    )
    add("--drain-timeout", type=float, default=180.0, help="wait for e-mails at most (180 s)")
    add("--ceiling-seconds", type=float, default=6.0, help="time per ceiling (6 s)")
    add("--deadlines", type=int, default=1_000_000, help="open deadlines for the tick (1,000,000)")
    add("--tick-aim", type=float, default=0.2, help="seconds a tick should take at most (0.2)")
    add("--replay-seconds", type=float, default=60.0, help="replay at most this long (60 s)")
    add("--profile-seconds", type=float, default=10.0, help="profile under load this long (10 s)")
    add("--instances", type=int, help="instances of each service to scale to (2; --smoke: 1)")
    add("--postgres", choices=["auto", "never"], default="auto", help="also on PostgreSQL (auto)")
    add("--output", type=Path, default=REPORT, help=f"the JSON report ({REPORT.relative_to(ROOT)})")
    add("--keep", action="store_true", help="keep the directory of logs and data")
    add("--smoke", action="store_true", help="a few seconds of everything: proves it works")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.rate, args.concurrency, args.ceiling_seconds = 2.0, 10.0, 4, 1.0
        args.cpu_rate = 10.0
        args.deadlines, args.replay_seconds, args.profile_seconds = 1000, 20.0, 2.0
        args.drain_timeout = 60.0
    if args.instances is None:
        args.instances = 1 if args.smoke else 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    work = Path(tempfile.mkdtemp(prefix="xinfang-bench-"))
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "runs": {},
    }
    succeeded = False
    try:
        server = postgres_server() if args.postgres == "auto" else None
        sqlite = Databases("sqlite", work / "sqlite")
        run = run_database(sqlite, args, work / "sqlite", primary=True, scale=server is None)
        report["ceilings"] = run.pop("ceilings")
        report["runs"]["sqlite"] = run
        if server:
            pg = Databases("postgresql", work / "postgresql", server)
            run = run_database(pg, args, work / "postgresql", primary=False, scale=True)
            report["runs"]["postgresql"] = run
        else:
            report["runs"]["postgresql"] = {"skipped": "no PostgreSQL server reachable"}
        report["scaling"] = run.pop("scaling")  # measured on the last database
        report["scaling"]["database"] = "postgresql" if server else "sqlite"
        for figures in [*report["runs"].values(), {"scaling": report["scaling"]}]:
            with_ceiling_ratios(figures, report["ceilings"])
        report["aims"] = aims(report, tick_aim=args.tick_aim)
        report["machine"]["load_average_at_end"] = os.getloadavg()[0]
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        print(table(report))
        print(f"\nreport: {args.output}")
        succeeded = True
    finally:
        if succeeded and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            say(f"logs and data kept in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
