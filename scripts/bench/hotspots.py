"""Where the time goes: profiles of running services, summarised as their top functions.

py-spy (a dev dependency) samples a running process from outside, with no change to its code:
`py-spy record --pid N --format raw` writes collapsed stacks of every thread (aiosqlite runs
SQLite in a thread of its own), which `summarise_stacks` turns into the functions seen most
often on top of the stack (self) and anywhere in it (total); idle threads are left out. Where
py-spy is missing or may not attach, the fallback is cProfile inside the service: the bench
starts the services with `profiling/` on PYTHONPATH, whose sitecustomize turns cProfile on at
SIGUSR1 and writes its statistics at SIGUSR2.
"""

from __future__ import annotations

import os
import pstats
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

PROFILING_DIR = Path(__file__).resolve().parent / "profiling"
PROFILE_ENV = "XINFANG_BENCH_CPROFILE_OUT"  # where the sitecustomize writes its statistics
SAMPLE_RATE = 50  # per second; four samplers share two cores with the load
# A stack ending in one of these is a thread waiting (py-spy cannot always tell): the event
# loop in epoll, aiosqlite's worker and the thread pool's waiting for their next job.
IDLE_LEAVES = ("EpollSelector.select", "_connection_worker_thread", "_worker (concurrent/")
IMPORTS = "<frozen importlib"  # start-up, not the work measured
TOP = 12


def pyspy_binary() -> str | None:
    """py-spy beside the running interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def cprofile_env(out: Path) -> dict[str, str]:
    """Environment that lets a service be profiled with cProfile by signals."""
    path = os.pathsep.join(filter(None, [str(PROFILING_DIR), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path, PROFILE_ENV: str(out)}


class Profiler:
    """Profiles named processes for the length of a `with` block."""

    def __init__(self, pids: dict[str, int], out_dir: Path, cprofile_outs: dict[str, Path]):
        self.pids, self.out_dir, self.cprofile_outs = pids, out_dir, cprofile_outs
        self.tool = "py-spy" if pyspy_binary() else "cProfile"
        self._samplers: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Profiler:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            if self.tool == "py-spy":
                self._samplers[name] = self._start_pyspy(name, pid)
            else:
                os.kill(pid, signal.SIGUSR1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for name, pid in self.pids.items():
            if self.tool == "py-spy":
                self._samplers[name].send_signal(signal.SIGINT)  # py-spy writes what it has
            else:
                os.kill(pid, signal.SIGUSR2)
        for sampler in self._samplers.values():
            sampler.wait(30)
        time.sleep(0.5 if self.tool == "cProfile" else 0)  # the service writes its stats

    def summaries(self) -> dict[str, Any]:
        """Each process's top functions, or why there are none."""
        found: dict[str, Any] = {}
        for name in self.pids:
            path = self._raw(name) if self.tool == "py-spy" else self.cprofile_outs[name]
            if not path.exists() or path.stat().st_size == 0:
                found[name] = {"error": f"no profile written ({self.log_tail(name)})"}
            elif self.tool == "py-spy":
                found[name] = summarise_stacks(path.read_text(encoding="utf-8"))
            else:
                found[name] = summarise_cprofile(path)
        return {"tool": self.tool, "services": found}

    def log_tail(self, name: str) -> str:
        log = self.out_dir / f"{name}.py-spy.log"
        return log.read_text(errors="replace")[-300:].strip() if log.exists() else "no log"

    def _raw(self, name: str) -> Path:
        return self.out_dir / f"{name}.stacks.txt"

    def _start_pyspy(self, name: str, pid: int) -> subprocess.Popen[bytes]:
        command = [
            str(pyspy_binary()),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            str(SAMPLE_RATE),
            "--output",
            str(self._raw(name)),
        ]
        with (self.out_dir / f"{name}.py-spy.log").open("wb") as log:
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def summarise_stacks(collapsed: str, top: int = TOP) -> dict[str, Any]:
    """Top functions of py-spy's collapsed stacks (`frame;frame;… count` per line), and the
    share of samples that found a thread at work rather than waiting."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    samples = idle = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or IMPORTS in stack:
            continue
        frames = [_short(frame) for frame in stack.split(";")]
        samples += int(count)
        if frames[-1].startswith(IDLE_LEAVES):
            idle += int(count)
            continue
        own[frames[-1]] += int(count)
        packages[_package(frames[-1])] += int(count)
        for frame in set(frames):
            anywhere[frame] += int(count)
    busy = samples - idle
    return {
        "samples": samples,
        "busy_share": busy / samples if samples else 0.0,
        "self": _shares(own, busy, top),
        "total": _shares(anywhere, busy, top, skip_outer=True),
        "by_package": _shares(packages, busy, top),
    }


def summarise_cprofile(path: Path, top: int = TOP) -> dict[str, Any]:
    """Top functions of a cProfile statistics file, by own time and by cumulative time."""
    stats = pstats.Stats(str(path))
    rows = {k: v for k, v in stats.stats.items() if not _idle(k[2])}  # type: ignore[attr-defined]
    wall = sum(tottime for _, _, tottime, _, _ in rows.values()) or 1.0

    def named(key: tuple[str, int, str]) -> str:
        return f"{key[2]} ({_short_path(key[0])}:{key[1]})"

    by_own = Counter({named(k): v[2] for k, v in rows.items()})
    by_cum = Counter({named(k): v[3] for k, v in rows.items()})
    return {
        "samples": None,
        "self": [{"function": f, "share": t / wall} for f, t in by_own.most_common(top)],
        "total": [
            {"function": f, "share": min(t / wall, 1.0)}
            for f, t in by_cum.most_common(top * 3)
            if not _outer(f)
        ][:top],
    }


def _shares(
    counts: Counter[str], samples: int, top: int, *, skip_outer: bool = False
) -> list[dict[str, Any]]:
    ranked = [(f, n) for f, n in counts.most_common() if not (skip_outer and _outer(f))]
    return [{"function": f, "share": n / samples if samples else 0.0} for f, n in ranked[:top]]


def _package(frame: str) -> str:
    """Who owns a frame's code: `notify`, `sqlalchemy`, `asyncio`… (its first path part)."""
    where = frame.rpartition(" (")[2]
    parts = where.split("/")
    if len(parts) == 1:
        return "python"  # a module of the standard library's top level, or C
    return ".".join(parts[:2]) if parts[0] == "xinfang" else parts[0]


def _idle(function: str) -> bool:
    """The event loop waiting for work: not time anything spends."""
    return "select.epoll" in function or function == "select"


def _outer(function: str) -> bool:
    """Frames every sample passes through (the event loop, the server): they say nothing."""
    markers = (
        *("asyncio/", "runpy", "uvicorn/", "<module>", "starlette/", "anyio/", "Context"),
        *("threading.py", "common/cli.py", "__main__.py", "(<string>"),
    )
    return any(marker in function for marker in markers)


def _short(frame: str) -> str:
    """`fetch (/…/site-packages/nats/js/client.py:123)` → `fetch (nats/js/client.py:123)`."""
    function, _, where = frame.partition(" (")
    return f"{function} ({_short_path(where.rstrip(')'))})" if where else function


def _short_path(path: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path
