"""The generated NATS authorization (deploy/nats/generate.py) holds on a real nats-server:
departments read only their own feed and publish nothing; a service publishes only its own
events; and each service can still do its job — provision, publish with acks, pull and ack."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.errors import TimeoutError as NatsTimeoutError
from natsauth import ConfiguredNatsServer, generate, password_env, passwords

from xinfang.common.messaging import provision
from xinfang.common.messaging.provision import (
    ConsumerSpec,
    StreamSpec,
    ensure_consumer,
    ensure_stream,
)

DEPARTMENTS = generate.load_departments()
OWN, OTHER = "C_EDU", "C_HOUSING"
VIOLATION_WAIT_SECONDS = 0.5


@pytest.fixture(scope="module")
def users() -> dict[str, str]:
    return passwords(DEPARTMENTS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, users: dict[str, str]) -> Iterator[Any]:
    store = tmp_path_factory.mktemp("nats-auth")
    (store / "auth.conf").write_text(generate.render(generate.plan(DEPARTMENTS)), encoding="utf-8")
    nats_server = ConfiguredNatsServer(
        store, extra_config="include ./auth.conf\n", env=password_env(users)
    )
    nats_server.start()
    asyncio.run(
        provision.provision(
            url=nats_server.url,
            user="provisioner",
            password=users["provisioner"],
            replicas=1,
            departments=[code for code, _ in DEPARTMENTS],
        )
    )
    yield nats_server
    nats_server.stop()


class Client:
    """A connection as one user, remembering the permission violations the server reported."""

    def __init__(self, nc: Any, errors: list[str]) -> None:
        self.nc, self.errors = nc, errors
        self.js = nc.jetstream(timeout=2)

    async def violations(self) -> list[str]:
        await asyncio.sleep(VIOLATION_WAIT_SECONDS)
        return [e.lower() for e in self.errors if "permissions violation" in e.lower()]


@pytest.fixture
def connect_as(server: Any, users: dict[str, str]) -> Any:
    @asynccontextmanager
    async def connect(user: str, **kwargs: Any) -> AsyncIterator[Client]:
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        kwargs.setdefault("inbox_prefix", inbox_of(user))
        nc = await nats.connect(
            server.url,
            user=user,
            password=users[user],
            error_cb=on_error,
            allow_reconnect=False,
            **kwargs,
        )
        try:
            yield Client(nc, errors)
        finally:
            await nc.close()

    return connect


def department_inbox(code: str) -> str:
    return generate.department_inbox(code)


def inbox_of(user: str) -> str:
    """The inbox prefix each kind of user connects with (what auth.conf lets it subscribe to)."""
    if user in generate.SERVICES:
        return generate.service_inbox(user)
    if user.startswith("dept_"):
        return department_inbox(user.removeprefix("dept_"))
    return "_INBOX"


async def publish_as_routing(connect_as: Any, *, department: str, case_no: str) -> None:
    async with connect_as("routing") as routing:
        ack = await routing.js.publish(
            f"xinfang.petition.routed.{department}",
            json.dumps({"case_no": case_no}).encode(),
            headers={"Nats-Msg-Id": f"routed-{case_no}"},
        )
        assert ack.stream == "XINFANG"


async def stream_messages(connect_as: Any) -> int:
    async with connect_as("provisioner") as admin:
        return int((await admin.js.stream_info("XINFANG")).state.messages)


async def test_a_department_reads_and_acks_its_own_feed_and_nothing_addressed_to_others(
    connect_as: Any,
) -> None:
    await publish_as_routing(connect_as, department=OTHER, case_no="XF20261122900001")
    await publish_as_routing(connect_as, department=OWN, case_no="XF20261122900002")
    async with connect_as(f"dept_{OWN}", inbox_prefix=department_inbox(OWN)) as dept:
        feed = await dept.js.pull_subscribe_bind(
            durable=generate.department_consumer(OWN), stream="XINFANG"
        )
        msgs = await feed.fetch(batch=10, timeout=2)
        assert [m.subject for m in msgs] == [f"xinfang.petition.routed.{OWN}"]
        await msgs[0].ack_sync()
        assert await dept.violations() == []


async def test_a_department_cannot_pull_from_another_departments_feed(connect_as: Any) -> None:
    await publish_as_routing(connect_as, department=OTHER, case_no="XF20261122900003")
    async with connect_as(f"dept_{OWN}", inbox_prefix=department_inbox(OWN)) as dept:
        other = await dept.js.pull_subscribe_bind(
            durable=generate.department_consumer(OTHER), stream="XINFANG"
        )
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await other.fetch(batch=10, timeout=1)
        violations = await dept.violations()
        assert any(f"dept-{OTHER}".lower() in v for v in violations), violations


async def test_a_department_cannot_read_the_stream_or_other_clients_replies_directly(
    connect_as: Any,
) -> None:
    async with connect_as(f"dept_{OWN}", inbox_prefix=department_inbox(OWN)) as dept:
        await dept.nc.subscribe("xinfang.>")
        await dept.nc.subscribe(f"xinfang.*.*.{OTHER}")
        await dept.nc.subscribe("_INBOX.>")  # where services' pull replies arrive
        await dept.nc.subscribe(f"{department_inbox(OTHER)}.>")
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await dept.nc.request("$JS.API.STREAM.MSG.GET.XINFANG", b'{"seq": 1}', timeout=1)
        violations = await dept.violations()
    assert sum("subscription" in v.lower() for v in violations) == 4, violations
    assert any("stream.msg.get" in v for v in violations), violations


async def test_a_department_cannot_publish_anything(connect_as: Any) -> None:
    before = await stream_messages(connect_as)
    async with connect_as(f"dept_{OWN}", inbox_prefix=department_inbox(OWN)) as dept:
        for subject in (
            "xinfang.petition.received",
            f"xinfang.case.answered.{OWN}",
            "$JS.API.STREAM.PURGE.XINFANG",
            f"$JS.API.CONSUMER.CREATE.XINFANG.dept-{OWN}",
        ):
            await dept.nc.publish(subject, b"{}")
        await dept.nc.flush()
        violations = await dept.violations()
    assert len(violations) == 4, violations
    assert await stream_messages(connect_as) == before


@pytest.mark.parametrize(
    ("service", "foreign_subject"),
    [
        ("intake", "xinfang.petition.routed.C_EDU"),
        ("routing", "xinfang.petition.received"),
        ("supervision", "xinfang.notice.delivered"),
        ("notify", "xinfang.deadline.scheduled"),
        ("notify", "xinfang.case.answered.C_EDU"),
    ],
)
async def test_a_service_cannot_publish_another_services_events(
    connect_as: Any, service: str, foreign_subject: str
) -> None:
    before = await stream_messages(connect_as)
    async with connect_as(service) as client:
        await client.nc.publish(foreign_subject, b"{}")
        await client.nc.publish("$JS.API.STREAM.DELETE.XINFANG", b"")
        await client.nc.flush()
        violations = await client.violations()
    assert len(violations) == 2, violations
    assert await stream_messages(connect_as) == before


async def test_a_service_provisions_publishes_with_acks_and_consumes_with_acks(
    connect_as: Any,
) -> None:
    async with connect_as("intake") as intake:
        await ensure_stream(intake.js, StreamSpec(replicas=1))
        ack = await intake.js.publish(
            "xinfang.petition.received",
            b'{"case_no": "XF20261122900009"}',
            headers={"Nats-Msg-Id": "received-XF20261122900009"},
        )
        again = await intake.js.publish(
            "xinfang.petition.received",
            b'{"case_no": "XF20261122900009"}',
            headers={"Nats-Msg-Id": "received-XF20261122900009"},
        )
        assert again.duplicate and again.seq == ack.seq
        assert await intake.violations() == []
    spec = ConsumerSpec(durable="routing-petitions", subjects=["xinfang.petition.received"])
    async with connect_as("routing") as routing:
        await ensure_consumer(routing.js, spec)
        await ensure_consumer(routing.js, spec)  # an update of an existing consumer is allowed
        pull = await routing.js.pull_subscribe_bind(durable=spec.durable, stream="XINFANG")
        msgs = await pull.fetch(batch=10, timeout=2)
        assert [m.metadata.sequence.stream for m in msgs] == [ack.seq]
        await msgs[0].ack_sync()
        info = await routing.js.consumer_info("XINFANG", spec.durable)
        assert info.num_ack_pending == 0 and info.num_pending == 0
        assert await routing.violations() == []


async def test_a_service_cannot_touch_another_services_consumer(connect_as: Any) -> None:
    async with connect_as("notify") as notify:
        foreign = ConsumerSpec(durable="routing-petitions", subjects=["xinfang.>"])
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await ensure_consumer(notify.js, foreign)
        assert any("routing-petitions" in v for v in await notify.violations()), notify.errors


def test_auth_conf_in_the_repository_is_generated_from_the_current_code_and_departments(
    tmp_path: Path,
) -> None:
    assert generate.main(["--check"]) == 0, "run: uv run python deploy/nats/generate.py"


def test_adding_a_department_is_one_command_that_adds_its_user_and_password(
    tmp_path: Path,
) -> None:
    departments = [{"code": "X_NEW", "name": "新设部门"}]
    listing = tmp_path / "departments.json"
    listing.write_text(json.dumps(departments, ensure_ascii=False), encoding="utf-8")
    secrets_env = tmp_path / "secrets.env"
    out = tmp_path / "auth.conf"
    args = ["--departments", str(listing), "--out", str(out), "--secrets", str(secrets_env)]
    assert generate.main(args) == 0
    assert '"dept_X_NEW"' in out.read_text(encoding="utf-8")
    assert "$JS.API.CONSUMER.MSG.NEXT.XINFANG.dept-X_NEW" in out.read_text(encoding="utf-8")
    first = secrets_env.read_text(encoding="utf-8")
    assert "XINFANG_NATS_DEPT_X_NEW_PASSWORD=" in first
    assert generate.main(args) == 0  # again: existing passwords are kept
    assert secrets_env.read_text(encoding="utf-8") == first


async def test_a_service_cannot_read_another_services_replies(connect_as: Any) -> None:
    routing_inbox = generate.service_inbox("routing")
    if routing_inbox == "_INBOX":
        pytest.skip("services share _INBOX until the shared library connects with their own")
    async with connect_as("notify") as notify:
        await notify.nc.subscribe(f"{routing_inbox}.>")
        violations = await notify.violations()
    assert any("subscription" in v for v in violations), violations
