"""The whole of xinfang in a temporary directory: a real nats-server, an SMTP server that keeps
every message, and the four services as processes on free ports. Used by the e2e tests and by
`scripts/bench/`.

    with System(tmp_path) as system:     # starts everything and waits for every /readyz
        system.kill("routing")           # SIGKILL, as a crash would
        system.start("routing")          # same port, same database
        system.kill_nats(); system.restart_nats()   # same port, same store
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import httpx

from xinfang.common.auth import Role, issue_token
from xinfang.common.settings import DEFAULT_JWT_SECRET
from xinfang.common.testing.nats_server import NatsServer, free_port

SERVICES = ("intake", "routing", "supervision", "notify")
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
TAIL_LINES = 30


@dataclass(frozen=True)
class Mail:
    """One message as the SMTP server received it, and when (time.perf_counter())."""

    rcpt_tos: list[str]
    message: EmailMessage
    arrived: float

    @property
    def case_no(self) -> str:
        return str(self.message["X-Xinfang-Case"] or "")

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"] or "")

    @property
    def notice(self) -> str:
        return str(self.message["X-Xinfang-Notice"] or "")

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """The decoded body: text/plain if there is one, else text/html."""
        body = self.message.get_body(preferencelist=("plain", "html"))
        return cast(str, body.get_content()) if body is not None else ""


class MailCatcher:
    """aiosmtpd handler: parses each message with `email.policy.default` and keeps it."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        arrived = time.perf_counter()
        message = BytesParser(policy=default_policy).parsebytes(envelope.content)
        mail = Mail(list(envelope.rcpt_tos), cast(EmailMessage, message), arrived)
        with self._lock:
            self.mails.append(mail)
        return "250 OK"

    def snapshot(self) -> list[Mail]:
        """The messages received so far."""
        with self._lock:
            return list(self.mails)


class System:
    """nats-server, the SMTP server and the four services, all under `root`."""

    def __init__(self, root: Path, env: dict[str, dict[str, str]] | None = None) -> None:
        self.root = Path(root)
        self.extra_env = env or {}  # service → more XINFANG_* settings for its processes
        self.root.mkdir(parents=True, exist_ok=True)
        self.nats = NatsServer(self.root / "nats")
        taken = {self.nats.port, self.nats.monitor_port, 4222}
        ports = _distinct_free_ports(len(SERVICES) + 1, avoid=taken)
        self.smtp_port = ports.pop()
        self.ports = dict(zip(SERVICES, ports, strict=True))
        self.catcher = MailCatcher()
        self._smtp: Any = None
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    # --- the whole system -------------------------------------------------------------------

    def up(self) -> System:
        """Start nats-server, the SMTP server and the four services; wait until all are ready."""
        self.nats.start()
        self._start_smtp()
        self.start(*SERVICES)
        return self

    def stop(self) -> None:
        """SIGTERM every service, SIGKILL those still running after a while; then the rest."""
        self.terminate(*self._processes)
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        self.nats.stop()

    def __enter__(self) -> System:
        try:
            return self.up()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- one service --------------------------------------------------------------------------

    def start(self, *names: str) -> None:
        """Start services (again: same port and database) and wait until each is ready."""
        for name in names:
            if self.alive(name):
                raise RuntimeError(f"{name} is already running")
            self._processes[name] = self._spawn(name)
        self.wait_ready(*names)

    def terminate(self, *names: str) -> None:
        """SIGTERM services, and SIGKILL those still running after a while."""
        for name in names:
            self._signal(name, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name in names:
            try:
                self._processes[name].wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.kill(name)

    def kill(self, *names: str) -> None:
        """SIGKILL services, as a crash would, and reap them."""
        for name in names:
            self._signal(name, signal.SIGKILL)
            self._processes[name].wait(STOP_TIMEOUT_SECONDS)

    def add_instance(self, service: str, instance_id: str) -> str:
        """Register another instance of `service` (own port, same database); returns its name,
        `<service>-<instance id>`, for start/kill/url."""
        name = f"{service}-{instance_id}"
        taken = {self.nats.port, self.nats.monitor_port, 4222, self.smtp_port, *self.ports.values()}
        self.ports[name] = _distinct_free_ports(1, avoid=taken)[0]
        return name

    def alive(self, name: str) -> bool:
        process = self._processes.get(name)
        return process is not None and process.poll() is None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def pid(self, name: str) -> int:
        """Process id of a service (for a profiler to attach to)."""
        return self._processes[name].pid

    def wait_ready(self, *names: str, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Wait until every named service answers GET /readyz with 200."""
        deadline = time.monotonic() + timeout
        for name in names:
            while not self._ready(name):
                if not self.alive(name):
                    raise AssertionError(f"{name} exited during start-up\n{self.explain(name)}")
                if time.monotonic() > deadline:
                    what = f"{name} did not answer /readyz with 200 within {timeout:.0f} s"
                    raise AssertionError(f"{what}\n{self.explain(name)}")
                time.sleep(0.2)

    # --- nats-server --------------------------------------------------------------------------

    def kill_nats(self) -> None:
        """SIGKILL nats-server."""
        self.nats.kill()

    def restart_nats(self) -> None:
        """Start nats-server again on the same port and store."""
        self.nats.restart()

    # --- what happened ------------------------------------------------------------------------

    @property
    def mails(self) -> list[Mail]:
        """Every message the SMTP server received so far."""
        return self.catcher.snapshot()

    def log_path(self, name: str) -> Path:
        return self.root / "log" / f"{name}.log"

    def log_tail(self, name: str, lines: int = TAIL_LINES) -> str:
        path = self.nats.log_path if name == "nats" else self.log_path(name)
        if not path.exists():
            return "(no log)"
        text = path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def explain(self, *names: str) -> str:
        """For an assertion message: each named process's state and the tail of its log."""
        parts = []
        for name in names or SERVICES:
            if name == "nats":
                state = "running" if self.nats.running else "not running"
                where = self.nats.log_path
            else:
                process = self._processes.get(name)
                code = process.poll() if process else "never started"
                state = "running" if code is None else f"exited ({code})"
                where = self.log_path(name)
            parts.append(f"--- {name}: {state}; last lines of {where}:\n{self.log_tail(name)}")
        return "\n".join(parts)

    def consumers(self) -> list[dict[str, Any]]:
        """The durable consumers of every stream, from nats-server's monitoring endpoint."""
        url = f"{self.nats.monitor_url}/jsz?consumers=true"
        with urllib.request.urlopen(url, timeout=5) as response:
            report = json.load(response)
        return [
            consumer
            for account in report.get("account_details", [])
            for stream in account.get("stream_detail", [])
            for consumer in stream.get("consumer_detail", [])
        ]

    # --- internals ----------------------------------------------------------------------------

    def _start_smtp(self) -> None:
        from aiosmtpd.controller import Controller

        self._smtp = Controller(
            self.catcher,
            hostname="127.0.0.1",
            port=self.smtp_port,
            server_hostname="localhost",
            enable_SMTPUTF8=True,
            decode_data=False,
        )
        self._smtp.start()

    def _spawn(self, name: str) -> subprocess.Popen[bytes]:
        self.log_path(name).parent.mkdir(parents=True, exist_ok=True)
        with self.log_path(name).open("ab") as log:
            # cwd is the temporary directory, so no `.env` of the repository is read.
            return subprocess.Popen(
                [sys.executable, "-m", f"xinfang.{name.partition('-')[0]}", "serve"],
                cwd=self.root,
                env=self._env(name),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _env(self, name: str) -> dict[str, str]:
        name, _, instance_id = name.partition("-")
        prefix = f"XINFANG_{name.upper()}_"
        env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")}
        env |= {
            f"{prefix}PORT": str(self.ports[f"{name}-{instance_id}" if instance_id else name]),
            f"{prefix}INSTANCE_ID": instance_id or "1",
            f"{prefix}HOST": "127.0.0.1",
            f"{prefix}NATS_URL": self.nats.url,
            f"{prefix}DATABASE_URL": f"sqlite+aiosqlite:///{self.root / f'{name}.db'}",
            f"{prefix}ENVIRONMENT": "test",
            f"{prefix}LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        if name == "intake":
            # The tests read every case's public view many times a second from one address;
            # the per-client limit on query-code lookups is intake's own tests' business.
            env["XINFANG_INTAKE_LOOKUPS_PER_MINUTE"] = "1000000"
        if name == "notify":
            env["XINFANG_NOTIFY_SMTP_HOST"] = "127.0.0.1"
            env["XINFANG_NOTIFY_SMTP_PORT"] = str(self.smtp_port)
            env["XINFANG_NOTIFY_LETTERS_DIR"] = str(self.root / "letters")
        return env | self.extra_env.get(name, {})

    def _signal(self, name: str, signum: signal.Signals) -> None:
        if self.alive(name):
            try:
                os.killpg(self._processes[name].pid, signum)
            except ProcessLookupError:
                pass

    def _ready(self, name: str) -> bool:
        try:
            return httpx.get(f"{self.url(name)}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def _distinct_free_ports(count: int, *, avoid: set[int]) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports and port not in avoid:
            ports.append(port)
    return ports


def token(*roles: Role, department: str | None = None) -> str:
    """A bearer token every service accepts in test (they share the default secret); a handler's
    names its department."""
    now = datetime.now(UTC)
    with warnings.catch_warnings():
        # The shared test secret is shorter than PyJWT recommends; that is the services' setting.
        warnings.simplefilter("ignore")
        return issue_token(
            secret=DEFAULT_JWT_SECRET, sub="e2e", roles=list(roles), now=now, department=department
        )
