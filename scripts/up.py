"""Start xinfang for development: nats-server, an SMTP catcher and the four services.

Run by `make up` (`uv run python scripts/up.py`). Ports come from the command line, then the
environment, then `.env`: XINFANG_NATS_PORT, XINFANG_<SERVICE>_PORT, XINFANG_SMTP_PORT and
XINFANG_VAR_DIR. Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

from xinfang.common.testing.nats_server import NatsServer, NatsServerError, free_port, port_is_free

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "routing", "supervision", "notify")
DEFAULT_PORTS = {
    "nats": 4222,
    "intake": 8001,
    "routing": 8002,
    "supervision": 8003,
    "notify": 8004,
    "smtp": 1025,
    "sms": 8025,
}
NATS_MONITOR_PORT = 8222
READY_TIMEOUT_SECONDS = 60.0
HELPER_READY_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
TAIL_LINES = 30

_echo_lock = threading.Lock()


def say(line: str, *, stream: IO[str] | None = None) -> None:
    """Print one line; output threads of the children share the terminal."""
    with _echo_lock:
        print(line, file=stream or sys.stdout, flush=True)


@dataclass(frozen=True)
class Config:
    """What the launcher starts, and where."""

    var_dir: Path
    ports: dict[str, int]

    @property
    def service_ports(self) -> dict[str, int]:
        """HTTP port of each service."""
        return {name: self.ports[name] for name in SERVICES}


def port_env_var(name: str) -> str:
    """Environment variable that sets the port of `name` (a service, "nats" or "smtp")."""
    return f"XINFANG_{name.upper()}_PORT"


def read_config(argv: list[str] | None, environ: Mapping[str, str]) -> Config:
    """Build the configuration from the command line over the environment over the defaults."""
    parser = argparse.ArgumentParser(prog="scripts/up.py", description=__doc__)
    parser.add_argument("--var-dir", default=environ.get("XINFANG_VAR_DIR", "var"))
    for name, default in DEFAULT_PORTS.items():
        env_var = port_env_var(name)
        parser.add_argument(
            f"--{name}-port",
            type=int,
            default=_env_port(parser, environ, env_var, default),
            help=f"default: ${env_var} or {default}",
        )
    args = parser.parse_args(argv)
    var_dir = Path(args.var_dir)
    ports = {name: int(getattr(args, f"{name}_port")) for name in DEFAULT_PORTS}
    return Config(var_dir=var_dir if var_dir.is_absolute() else ROOT / var_dir, ports=ports)


def _env_port(
    parser: argparse.ArgumentParser, environ: Mapping[str, str], env_var: str, default: int
) -> int:
    value = environ.get(env_var, "").strip()
    if not value:
        return default
    if not value.isdigit():
        parser.error(f"{env_var}={value!r} is not a port number")
    return int(value)


def load_environment() -> dict[str, str]:
    """The process environment over the values in `.env`, if there is one."""
    from dotenv import dotenv_values

    values = {k: v for k, v in dotenv_values(ROOT / ".env").items() if v is not None}
    return values | dict(os.environ)


def choose_nats_port(requested: int) -> tuple[int, str | None]:
    """Keep `requested` if it is free, else pick a free port and say why.

    Whatever listens there is not ours (an old shared NATS on 4222, on some machines), and the
    launcher never talks to a server it did not start.
    """
    if port_is_free(requested):
        return requested, None
    port = free_port()
    message = (
        f"port {requested} is taken by another process (not our nats-server); "
        f"starting ours on {port} instead (set {port_env_var('nats')} to choose)"
    )
    return port, message


def taken_ports(config: Config) -> list[str]:
    """One line per HTTP or SMTP port already in use, naming the variable to change."""
    problems = []
    for name in (*SERVICES, "smtp", "sms"):
        port = config.ports[name]
        if not port_is_free(port):
            env_var = port_env_var(name)
            problems.append(
                f"port {port} for {name} is already in use; free it or choose another port, "
                f"e.g. {env_var}={free_port()} make up"
            )
    return problems


def service_env(
    name: str, *, config: Config, nats_url: str, base: Mapping[str, str]
) -> dict[str, str]:
    """Environment of one service process."""
    prefix = f"XINFANG_{name.upper()}_"
    env = dict(base)
    env.update(
        {
            f"{prefix}PORT": str(config.ports[name]),
            f"{prefix}NATS_URL": nats_url,
            f"{prefix}DATABASE_URL": f"sqlite+aiosqlite:///{config.var_dir / f'{name}.db'}",
            f"{prefix}ENVIRONMENT": "development",
            # Log lines must reach the terminal as they happen, not when a buffer fills.
            "PYTHONUNBUFFERED": "1",
        }
    )
    if name == "notify":
        env["XINFANG_NOTIFY_SMTP_HOST"] = "127.0.0.1"
        env["XINFANG_NOTIFY_SMTP_PORT"] = str(config.ports["smtp"])
        env["XINFANG_NOTIFY_SMS_GATEWAY_URL"] = f"http://127.0.0.1:{config.ports['sms']}/sms"
        env["XINFANG_NOTIFY_LETTERS_DIR"] = str(config.var_dir / "letters")
    return env


class Child:
    """A subprocess whose output is echoed with its name in front and kept in a log file."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        # A session of its own: Ctrl-C reaches only the launcher, which stops children in order.
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._pump = threading.Thread(target=self._copy_output, daemon=True)
        self._pump.start()

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def signal(self, signum: signal.Signals) -> None:
        """Send `signum` to the child's process group (it may have started processes of its own)."""
        if self.alive:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the process to exit; tell whether it did."""
        try:
            self.process.wait(max(timeout, 0))
        except subprocess.TimeoutExpired:
            return False
        return True

    def close(self) -> None:
        """Finish copying output and close the log file."""
        self._pump.join(timeout=2)
        # A grandchild may still hold the pipe open; the copying thread then keeps the file.
        if not self._pump.is_alive():
            self._log.close()

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines of the log file."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _copy_output(self) -> None:
        assert self.process.stdout is not None
        prefix = f"{self.name:<12}| "
        for raw in self.process.stdout:
            self._log.write(raw)
            self._log.flush()
            say(prefix + raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def stop_children(children: list[Child], timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM every child, then SIGKILL those still running after `timeout` seconds."""
    for child in children:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        if not child.wait(deadline - time.monotonic()):
            say(f"{child.name} did not stop within {timeout:.0f} s; killing it")
            child.signal(signal.SIGKILL)
            child.wait(5)
        child.close()


def http_ok(url: str) -> bool:
    """True if GET `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def accepts_connections(port: int) -> bool:
    """True if something accepts TCP connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class StartError(Exception):
    """Something did not start; the message says what and shows its log."""


class Launcher:
    """Starts nats-server, the SMTP catcher and the services, watches them, stops them."""

    def __init__(self, config: Config, environ: Mapping[str, str]) -> None:
        self.config = config
        self.environ = environ
        self.nats: NatsServer | None = None
        self.helpers: list[Child] = []  # the SMTP catcher and the SMS gateway stand-in
        self.services: dict[str, Child] = {}

    def run(self, nats_port: int) -> int:
        """Start everything, print where it is, and wait until something exits."""
        try:
            self._start_nats(nats_port)
            self._start_helpers()
            self._start_services()
        except StartError as error:
            say(str(error), stream=sys.stderr)
            return 1
        self._announce()
        return self._watch()

    def stop(self) -> None:
        """Stop the services, then the catcher, then nats-server."""
        stop_children(list(self.services.values()))
        stop_children(self.helpers)
        if self.nats is not None:
            self.nats.stop()

    def _start_nats(self, port: int) -> None:
        monitor = NATS_MONITOR_PORT if port_is_free(NATS_MONITOR_PORT) else None
        self.nats = NatsServer(
            store_dir=self.config.var_dir / "nats", port=port, monitor_port=monitor
        )
        say(f"starting nats-server on {self.nats.url} (store {self.nats.store_dir})")
        try:
            self.nats.start()
        except NatsServerError as error:
            raise StartError(str(error)) from None

    def _start_helpers(self) -> None:
        var, ports = self.config.var_dir, self.config.ports
        mail = ["xinfang.common.devsmtp", "--port", str(ports["smtp"]), "--dir", str(var / "mail")]
        sms = [
            "xinfang.notify",
            "sms-gateway",
            "--port",
            str(ports["sms"]),
            "--dir",
            str(var / "sms"),
        ]
        self._start_helper("mail", mail, ports["smtp"])
        self._start_helper("sms", sms, ports["sms"])

    def _start_helper(self, name: str, module_args: list[str], port: int) -> None:
        child = self._child(name, [sys.executable, "-m", *module_args], self.environ)
        self.helpers.append(child)
        deadline = time.monotonic() + HELPER_READY_TIMEOUT_SECONDS
        while not accepts_connections(port):
            if not child.alive or time.monotonic() > deadline:
                raise StartError(self._failure(child, f"the {name} stand-in did not start"))
            time.sleep(0.1)

    def _start_services(self) -> None:
        nats_url = self.nats.url if self.nats else ""
        for name in SERVICES:
            env = service_env(name, config=self.config, nats_url=nats_url, base=self.environ)
            args = [sys.executable, "-m", f"xinfang.{name}", "serve"]
            self.services[name] = self._child(name, args, env)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        for name, child in self.services.items():
            self._wait_ready(child, self._base_url(name) + "/readyz", deadline)

    def _wait_ready(self, child: Child, url: str, deadline: float) -> None:
        while not http_ok(url):
            if not child.alive:
                code = child.process.returncode
                raise StartError(self._failure(child, f"{child.name} exited with code {code}"))
            if time.monotonic() > deadline:
                what = f"{child.name} did not answer {url} with 200 within "
                raise StartError(self._failure(child, what + f"{READY_TIMEOUT_SECONDS:.0f} s"))
            time.sleep(0.2)
        say(f"{child.name} is ready")

    def _watch(self) -> int:
        while True:
            for child in [*self.services.values(), *self.helpers]:
                if not child.alive:
                    code = child.process.returncode
                    what = f"{child.name} exited with code {code}; stopping everything"
                    say(self._failure(child, what), stream=sys.stderr)
                    return 1
            if self.nats is not None and not self.nats.running:
                tail = self.nats.log_tail()
                say(f"nats-server exited; stopping everything. Its log:\n{tail}", stream=sys.stderr)
                return 1
            time.sleep(0.5)

    def _announce(self) -> None:
        lines = ["", "xinfang is up:"]
        for name in SERVICES:
            base = self._base_url(name)
            label = "  (portal)" if name == "intake" else ""
            lines += [f"  {name:<12} {base}/{label}", f"  {'':<12} {base}/docs"]
            lines.append(f"  {'':<12} {base}/metrics")
        if self.nats is not None:
            lines.append(f"  {'nats':<12} {self.nats.url}")
            lines.append(f"  {'':<12} {self.nats.monitor_url}  (monitoring)")
        mail_dir = self.config.var_dir / "mail"
        lines.append(f"  {'mail':<12} {mail_dir}  (SMTP 127.0.0.1:{self.config.ports['smtp']})")
        sms_dir = self.config.var_dir / "sms"
        lines.append(f"  {'sms':<12} {sms_dir}  (gateway 127.0.0.1:{self.config.ports['sms']})")
        lines.append(f"  {'letters':<12} {self.config.var_dir / 'letters'}  (PDF print queue)")
        lines.append(f"  {'logs':<12} {self.config.var_dir / 'log'}")
        lines += ["", "Ctrl-C to stop", ""]
        say("\n".join(lines))

    def _child(self, name: str, args: list[str], env: Mapping[str, str]) -> Child:
        return Child(name, args, env, self.config.var_dir / "log" / f"{name}.log")

    def _base_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.config.ports[name]}"

    @staticmethod
    def _failure(child: Child, what: str) -> str:
        return f"{what}. Last lines of {child.log_path}:\n{child.tail()}"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same path as Ctrl-C.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Start everything, run until Ctrl-C or SIGTERM, stop everything."""
    environ = load_environment()
    config = read_config(argv, environ)
    problems = taken_ports(config)
    if problems:
        for line in problems:
            say(line, stream=sys.stderr)
        return 2
    nats_port, note = choose_nats_port(config.ports["nats"])
    if note:
        say(note)
    launcher = Launcher(config, environ)
    # Installed explicitly: a shell starts background jobs with SIGINT ignored, and Python then
    # never turns Ctrl-C into KeyboardInterrupt.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return launcher.run(nats_port)
    except KeyboardInterrupt:
        say("\nstopping xinfang ...")
        return 0
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        launcher.stop()
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
