"""A PostgreSQL server of the test's own (initdb + pg_ctl in a temporary directory, on a free
port), so a chaos run may crash and restart it without touching the machine's shared server.

    pg = LocalPostgres.find()            # None when the PostgreSQL binaries are not installed
    pg.start(); url = pg.create_database("intake")
    pg.crash(); pg.start()               # immediate shutdown (no checkpoint), then recovery
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from xinfang.common.testing.nats_server import free_port

BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"))
START_TIMEOUT_SECONDS = 60


class LocalPostgres:
    """One PostgreSQL cluster in a temporary directory, trust authentication on 127.0.0.1."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        # initdb refuses to run as root: then the cluster belongs to the `postgres` user, and
        # lives outside pytest's private (0700) temporary directories.
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="xinfang-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.running = False
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    @classmethod
    def find(cls) -> LocalPostgres | None:
        """A new cluster if initdb and pg_ctl are installed (and usable), else None."""
        for bin_dir in BIN_DIRS:
            if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
                if os.geteuid() == 0 and not _user_exists("postgres"):
                    return None
                return cls(bin_dir)
        return None

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start (or start again after a crash: PostgreSQL recovers from its WAL)."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
        )
        self._pg(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log_path), "-w",
            "-t", str(START_TIMEOUT_SECONDS), "start",
        )  # fmt: skip
        self.running = True

    def crash(self) -> None:
        """Immediate shutdown: every backend killed, connections dropped, no checkpoint."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.running = False

    def create_database(self, name: str) -> str:
        """CREATE DATABASE `name`; returns its SQLAlchemy URL."""
        self._pg("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                 "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{name}"')  # fmt: skip
        return self.url(name)

    def destroy(self) -> None:
        """Stop (fast) and remove the cluster."""
        if self.running:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _pg(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            failed = f"{program} failed ({result.returncode}): {result.stderr.strip()}"
            raise RuntimeError(f"{failed}\n{self.log_tail()}")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
