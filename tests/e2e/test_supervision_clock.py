"""Supervision's timers across processes: time moves forward (a clock file both supervision
instances read) and every warning, missed deadline, supervision order and escalation is emitted
once and notified once, with two supervision instances sharing the database."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from harness import System
from petitions import a_petition

pytestmark = pytest.mark.e2e

TIMER_EVENTS = (
    "xinfang.deadline.warned.v1",
    "xinfang.deadline.missed.v1",
    "xinfang.supervision.order_issued.v1",
    "xinfang.supervision.escalated.v1",
)
NOTICE_OF = {
    "xinfang.deadline.warned.v1": "deadline_warning",
    "xinfang.deadline.missed.v1": "deadline_missed",
    "xinfang.supervision.order_issued.v1": "supervision_order",
}
RECIPIENTS = (
    Path(__file__).parents[2] / "services/notify/src/xinfang/notify/reference/recipients.json"
)


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "now"
    path.write_text(datetime.now(UTC).isoformat())
    return path


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, clock_file: Path) -> Iterator[System]:
    env = {
        "supervision": {
            "XINFANG_SUPERVISION_CLOCK_FILE": str(clock_file),
            "XINFANG_SUPERVISION_SCHEDULER_INTERVAL_SECONDS": "0.3",
        }
    }
    with System(tmp_path_factory.mktemp("system"), env=env) as running:
        running.start(running.add_instance("supervision", "2"))
        yield running


def move_clock(clock_file: Path, to: datetime) -> None:
    clock_file.write_text(to.isoformat())


async def _case_events(url: str, case_no: str) -> list[dict[str, Any]]:
    nc = await nats.connect(url)
    sub = await nc.jetstream().subscribe("xinfang.>", ordered_consumer=True)
    events = []
    while True:
        try:
            msg = await sub.next_msg(timeout=1.0)
        except (TimeoutError, nats.errors.TimeoutError):
            break
        envelope = json.loads(msg.data)
        if envelope.get("subject") == case_no:
            events.append(envelope)
    await nc.close()
    return events


def case_events(system: System, case_no: str) -> list[dict[str, Any]]:
    return asyncio.run(_case_events(system.nats.url, case_no))


def key_of(envelope: dict[str, Any]) -> tuple[str, ...]:
    """What makes a timer event one and the same: a second one with this key is a duplicate."""
    data = envelope["data"]
    parts = [envelope["type"], data.get("kind", ""), data.get("level", "")]
    return (*parts, data.get("order_id", ""), data.get("step", ""))


def wait_for(probe: Any, *, timeout: float = 40.0) -> Any:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while True:
        value = probe()
        if value or datetime.now(UTC) > deadline:
            return value


def test_timers_fire_once_across_two_instances_and_each_is_notified(
    system: System, clock_file: Path
) -> None:
    created = httpx.post(
        f"{system.url('intake')}/api/v1/petitions", json=a_petition(1), timeout=10
    ).json()
    case_no = created["case_no"]
    routed = wait_for(
        lambda: [
            e for e in case_events(system, case_no) if e["type"] == "xinfang.petition.routed.v1"
        ]
    )
    assert routed, system.explain("routing", "supervision")
    department = routed[0]["data"]["department_code"]
    start = datetime.fromisoformat(routed[0]["data"]["routed_at"])

    # Past half, past 80 %, the day before, then past the acceptance notice's end, past the
    # order's feedback period, and along the whole escalation ladder.
    for days in (9, 13, 14, 17, 33, 39, 45, 51):
        move_clock(clock_file, start + timedelta(days=days))
        wait_for(lambda: False, timeout=2.0)  # several scheduler ticks on both instances

    def settled() -> list[dict[str, Any]] | None:
        events = [e for e in case_events(system, case_no) if e["type"] in TIMER_EVENTS]
        steps = {e["data"].get("step") for e in events}
        return (
            events if {"department_head", "responsible_leader", "public_notice"} <= steps else None
        )

    events = wait_for(settled)
    assert events, f"escalation ladder not completed\n{system.explain('supervision')}"
    counts = Counter(key_of(e) for e in events)
    assert {k: n for k, n in counts.items() if n > 1} == {}, "a timer fired twice"
    types = Counter(e["type"] for e in events)
    assert types["xinfang.deadline.warned.v1"] >= 2
    assert types["xinfang.deadline.missed.v1"] >= 1
    assert types["xinfang.supervision.order_issued.v1"] >= 1
    assert types["xinfang.supervision.escalated.v1"] == 3

    address = json.loads(RECIPIENTS.read_text(encoding="utf-8"))["departments"][department]["email"]
    expected = Counter(
        NOTICE_OF[e["type"]]
        for e in events
        if e["type"] in NOTICE_OF and e["data"].get("department_code") == department
    )
    expected["escalation"] = 3

    def notified() -> Counter[str] | None:
        mails = [
            m
            for m in system.mails
            if m.case_no == case_no and m.notice in expected and address in m.rcpt_tos
        ]
        got = Counter(m.notice for m in mails)
        return got if got == expected else None

    got = wait_for(notified)
    assert got == expected, (
        f"notices {Counter(m.notice for m in system.mails if m.case_no == case_no)} "
        f"for events {expected}\n{system.explain('notify')}"
    )
    print(f"timers: {dict(types)}; department notices: {dict(got)}")
    message_ids = [m.message["Message-ID"] for m in system.mails if m.case_no == case_no]
    assert len(message_ids) == len(set(message_ids)), "a notice was sent twice"
