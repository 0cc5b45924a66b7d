"""Write the NATS authorization block (`deploy/nats/auth.conf`) from the code and departments.

    uv run python deploy/nats/generate.py                       # rewrite auth.conf
    uv run python deploy/nats/generate.py --secrets deploy/nats/secrets.env   # also add passwords
    uv run python deploy/nats/generate.py --check               # fail if auth.conf is stale

Who may do what is derived, not typed by hand:
- each service publishes exactly the events of its module in `xinfang.common.events`
  (petition → intake, routing → routing, supervision → supervision, notice → notify); a
  `DepartmentEvent` is published on `<subject>.<DEPT>`, so the service gets `<subject>.*`;
- each service consumes through the durable consumers its source declares (`durable="…"`):
  it may create/update and read those consumers, pull from them and ack their messages; it may
  read and create/update the `XINFANG` stream (the runtime provisions it at start);
- each department (from `departments.json`) gets a read-only user that may only pull from and
  ack its own durable consumer `dept-<CODE>` (created by
  `python -m xinfang.common.messaging.provision`, filtered on the subjects ending in `.<CODE>`);
  its replies arrive under its own inbox prefix `_INBOX_dept_<CODE>`, so no other client can
  subscribe to them and it cannot read other inboxes;
- the `provisioner` (the one-shot job and the operators) may call the whole JetStream API.

Passwords are never written here: each user's password is the environment variable named in
auth.conf (`$XINFANG_NATS_<USER>_PASSWORD`), which nats-server resolves at start and refuses to
start without. `--secrets FILE` appends a random password for every user missing from FILE
(an env file for docker-compose / a Kubernetes Secret), so adding a department is one command.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xinfang.common.events import DepartmentEvent, event_types, subject_for
from xinfang.common.messaging.connection import connect
from xinfang.common.messaging.provision import EVENTS_STREAM
from xinfang.common.settings import REFERENCE_DIR

HERE = Path(__file__).resolve().parent
SERVICES_DIR = HERE.parent.parent / "services"
DURABLE = re.compile(r"""durable\s*=\s*["']([A-Za-z0-9_-]+)["']""")
AUTH_CONF = HERE / "auth.conf"
DEPARTMENTS_JSON = REFERENCE_DIR / "departments.json"

SERVICES = ("intake", "routing", "supervision", "notify")
EVENTS_MODULE_OF = {
    "intake": "xinfang.common.events.petition",
    "routing": "xinfang.common.events.routing",
    "supervision": "xinfang.common.events.supervision",
    "notify": "xinfang.common.events.notice",
}
PROVISIONER = "provisioner"
API = "$JS.API"


@dataclass(frozen=True)
class User:
    """One NATS user: its name, the env var holding its password, what it may do."""

    name: str
    publish: list[str]
    subscribe: list[str]
    comment: str

    @property
    def password_var(self) -> str:
        return password_var(self.name)


@dataclass
class Plan:
    """Every user of the authorization block."""

    users: list[User] = field(default_factory=list)


def password_var(user: str) -> str:
    """`dept_C_GOV` → `XINFANG_NATS_DEPT_C_GOV_PASSWORD`."""
    return f"XINFANG_NATS_{re.sub(r'[^A-Za-z0-9]', '_', user).upper()}_PASSWORD"


def new_password() -> str:
    """A random password nats-server reads back as a string: it parses an environment
    variable's value as a config token, so a value starting with a digit or `-` would be read
    as a number. Letters first, then hex."""
    return f"xf{secrets.token_hex(20)}"


def department_consumer(code: str) -> str:
    """The durable consumer of a department's feed."""
    return f"dept-{code}"


def department_inbox(code: str) -> str:
    """The inbox prefix a department's client must connect with."""
    return f"_INBOX_dept_{code}"


def department_subjects(code: str) -> list[str]:
    """The subjects of a department's feed: every department event, ending in its code."""
    return sorted(
        f"{subject_for(name)}.{code}"
        for name, cls in event_types().items()
        if issubclass(cls, DepartmentEvent)
    )


def published_subjects(service: str) -> list[str]:
    """The subjects of the events `service` emits."""
    module = EVENTS_MODULE_OF[service]
    subjects = set()
    for name, cls in event_types().items():
        if cls.__module__ == module:
            tail = ".*" if issubclass(cls, DepartmentEvent) else ""
            subjects.add(subject_for(name) + tail)
    return sorted(subjects)


def service_durables(service: str) -> list[str]:
    """The durable consumers the service declares: every `ConsumerSpec(durable="…")` in its
    source (read, not imported, so the generator needs no service settings)."""
    source = SERVICES_DIR / service / "src"
    found = {
        name
        for path in source.rglob("*.py")
        for name in DURABLE.findall(path.read_text(encoding="utf-8"))
    }
    if not found:
        raise SystemExit(f"no durable consumer found in {source}")
    return sorted(found)


def consumer_api(durables: Iterable[str], *, manage: bool) -> list[str]:
    """JetStream API subjects to pull from (and, if `manage`, create/update) durables."""
    subjects = []
    for durable in durables:
        subjects += [
            f"{API}.CONSUMER.INFO.{EVENTS_STREAM}.{durable}",
            f"{API}.CONSUMER.MSG.NEXT.{EVENTS_STREAM}.{durable}",
            # Acks are published to the reply subject of each delivered message.
            f"$JS.ACK.{EVENTS_STREAM}.{durable}.>",
        ]
        if manage:
            subjects += [
                f"{API}.CONSUMER.CREATE.{EVENTS_STREAM}.{durable}",
                f"{API}.CONSUMER.CREATE.{EVENTS_STREAM}.{durable}.>",
                f"{API}.CONSUMER.DURABLE.CREATE.{EVENTS_STREAM}.{durable}",
            ]
    return subjects


def service_inbox(service: str) -> str:
    """Where a service's replies arrive: its own prefix once the shared library connects with
    one (`connect(inbox_prefix=…)`, runtime `_INBOX_<service>`), else the shared `_INBOX`."""
    if "inbox_prefix" in inspect.signature(connect).parameters:
        return f"_INBOX_{service}"
    return "_INBOX"


def service_user(service: str) -> User:
    stream = [f"{API}.STREAM.{verb}.{EVENTS_STREAM}" for verb in ("INFO", "CREATE", "UPDATE")]
    return User(
        name=service,
        publish=published_subjects(service)
        + stream
        + consumer_api(service_durables(service), manage=True),
        subscribe=[f"{service_inbox(service)}.>"],
        comment=f"service {service}: its own events, its consumers, the stream's info",
    )


def department_user(code: str, name: str) -> User:
    return User(
        name=f"dept_{code}",
        publish=consumer_api([department_consumer(code)], manage=False),
        subscribe=[f"{department_inbox(code)}.>"],
        comment=f"department {code} {name}: read-only, its own feed",
    )


def provisioner_user() -> User:
    return User(
        name=PROVISIONER,
        publish=[f"{API}.>", "$JS.ACK.>"],
        subscribe=["_INBOX.>"],
        comment="one-shot provisioning job and operators: the whole JetStream API",
    )


def load_departments(path: Path = DEPARTMENTS_JSON) -> list[tuple[str, str]]:
    """(code, name) of every department, in file order."""
    return [(d["code"], d["name"]) for d in json.loads(path.read_text(encoding="utf-8"))]


def plan(departments: list[tuple[str, str]]) -> Plan:
    users = [service_user(s) for s in SERVICES] + [provisioner_user()]
    users += [department_user(code, name) for code, name in departments]
    return Plan(users)


def render(p: Plan) -> str:
    """The `authorization { … }` block, included by every nats-server config we ship."""
    lines = [
        "# GENERATED by deploy/nats/generate.py from the event catalogue, the services'",
        "# consumers and departments.json. Do not edit: change those and run the generator.",
        "# Passwords come from the environment; nats-server refuses to start if one is missing.",
        "authorization {",
        "  users = [",
    ]
    for user in p.users:
        lines += [
            f"    # {user.comment}",
            f"    {{ user: {_quote(user.name)}, password: ${user.password_var}, permissions: {{",
            f"        publish: {{ allow: {_list(user.publish)} }}",
            f"        subscribe: {{ allow: {_list(user.subscribe)} }}",
            "    } }",
        ]
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def add_missing_secrets(path: Path, p: Plan) -> list[str]:
    """Append `VAR=<random>` for each user without a password in the env file `path`."""
    known = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                known.add(line.split("=", 1)[0].strip())
    added = [u.password_var for u in p.users if u.password_var not in known]
    if added:
        with path.open("a", encoding="utf-8") as out:
            for var in added:
                out.write(f"{var}={new_password()}\n")
        path.chmod(0o600)
    return added


def _quote(value: str) -> str:
    return json.dumps(value)


def _list(values: list[str]) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--departments", type=Path, default=DEPARTMENTS_JSON)
    parser.add_argument("--out", type=Path, default=AUTH_CONF)
    parser.add_argument("--secrets", type=Path, help="env file to add missing passwords to")
    parser.add_argument("--check", action="store_true", help="fail if --out is out of date")
    args = parser.parse_args(argv)
    text = render(plan(load_departments(args.departments)))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run deploy/nats/generate.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    if args.secrets:
        for var in add_missing_secrets(args.secrets, plan(load_departments(args.departments))):
            print(f"added {var} to {args.secrets}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
