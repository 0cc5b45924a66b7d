"""Notify's throughput: notices rendered per second, and notices rendered and delivered per
second to a local SMTP server (aiosmtpd, in this process), through the real dispatcher, the real
e-mail channel and a SQLite database. No NATS: the steps go through the real consumer runner, one
transaction per batch with the inbox. SQL statements are counted too (unlike time, they do not
depend on how loaded the machine is).

    uv run python services/notify/bench.py [--count 500] [--batch 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from xinfang.common.clock import SystemClock
from xinfang.common.crypto import Sealer
from xinfang.common.events import AssignmentAccepted, PetitionerRef, PetitionReceived
from xinfang.common.logging import configure_logging
from xinfang.common.testing import benching
from xinfang.common.testing.nats_server import free_port
from xinfang.notify import templates
from xinfang.notify.bootstrap import Notify, bootstrap
from xinfang.notify.settings import NotifySettings


class Counter:
    """An SMTP server's handler that only counts."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        return "250 OK"


def steps(sealer: Sealer, count: int) -> list[Any]:
    """A received petition and its acceptance, for `count` cases."""
    now = datetime.now(UTC)
    events: list[Any] = []
    for n in range(count):
        case_no = f"XF2026{secrets.randbelow(10**10):010d}"
        contacts = {
            "query_code": "QRSTUV2345",
            "contacts": [{"name": "张三丰", "email": f"p{n}@example.cn"}],
        }
        events.append(
            PetitionReceived(
                case_no=case_no,
                channel="web",
                received_at=now,
                region_code="320115",
                category_code="110100",
                title="小区门口道路长期积水",
                content="雨后积水没过脚踝。",
                petitioners=[PetitionerRef(ref="r", name_masked="张*丰")],
                contact_sealed=sealer.seal(json.dumps(contacts, ensure_ascii=False)),
            )
        )
        events.append(
            AssignmentAccepted(case_no=case_no, department_code="C_HOUSING", accepted_at=now)
        )
    return events


async def apply_all(notify: Notify, events: list[Any], batch: int) -> float:
    """Apply the steps through the consumer runner (inbox included); SQL statements per step."""
    [subscription] = notify.runtime.subscriptions
    with benching.statements(notify.db) as seen:
        await benching.apply_through_runner(
            subscription, notify.db, benching.messages(events), batch=batch
        )
    return len(seen) / len(events)


def render_rate(count: int) -> float:
    fields = {
        "case_no": "XF20261122000001",
        "title": "小区门口道路长期积水",
        "received_date": "2026-11-22T01:30:00+00:00",
        "name": "张三丰",
        "query_code": "Q",
        "authority": "江宁市信访局",
        "portal_url": "http://x/",
        "date": "2026-11-23T03:00:00+00:00",
        "channel": "email",
        "department_name": "江宁市住房和城乡建设局",
        "accepted_date": "2026-11-23T03:00:00+00:00",
    }
    started = time.perf_counter()
    for _ in range(count):
        templates.render("acceptance.v1", fields)
    return count / (time.perf_counter() - started)


async def main(count: int, batch: int) -> None:
    configure_logging(service="notify-bench", level="WARNING", json=False)
    counter, port = Counter(), free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = NotifySettings(
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'notify.db'}",
            environment="test",
            smtp_port=port,
            dispatch_batch=batch,
            letters_dir=str(Path(tmp) / "letters"),
        )
        notify = bootstrap(settings, clock=SystemClock())
        await notify.db.create_all()
        events = steps(Sealer([settings.notice_key]), count)
        started = time.perf_counter()
        per_step = await apply_all(notify, events, batch)
        planned = time.perf_counter()
        with benching.statements(notify.db) as seen:
            while counter.received < count:
                await notify.dispatcher.run_once()
        finished = time.perf_counter()
        await notify.db.dispose()
    controller.stop()
    print(f"notify bench on {platform.python_implementation()} {platform.python_version()}")
    print(f"  templates rendered        {render_rate(5000):10.0f} notices/s")
    print(
        f"  steps planned (SQLite)    {count / (planned - started):10.0f} cases/s (e-mail + portal,"
        f" {per_step:.1f} SQL statements per step)"
    )
    delivered_rate = count / (finished - planned)
    print(
        f"  rendered and delivered    {delivered_rate:10.0f} e-mails/s  ({count} e-mails,"
        f" {len(seen) / count:.1f} SQL statements each)"
    )
    print(f"  end to end                {count / (finished - started):10.0f} notices/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.count, args.batch))
