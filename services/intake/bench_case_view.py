"""Intake's case view: events applied per second and CPU per petition, through the real consumer
runner (one transaction per batch with the inbox) on a SQLite file, no NATS. Each petition gets
the eight events the flow brings it (three clocks, routed, a status, three notices), a few cases
interleaved as they arrive. SQL statements are counted too (unlike time, they do not depend on
how loaded the machine is).

    uv run python services/intake/bench_case_view.py [--count 1000] [--batch 50] [--together 10]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from xinfang.common.clock import SystemClock
from xinfang.common.events import CaseStatusChanged, DeadlineScheduled, Event, NoticeDelivered
from xinfang.common.logging import configure_logging
from xinfang.common.testing import benching
from xinfang.common.testing.builders import a_petition_routed
from xinfang.intake.bootstrap import bootstrap
from xinfang.intake.models import Petition
from xinfang.intake.settings import IntakeSettings


def petition_row(case_no: str, now: datetime) -> dict[str, Any]:
    return {
        "case_no": case_no,
        "query_code_hash": "h",
        "channel": "web",
        "region_code": "369901",
        "category_code": "140000",
        "title": "小区夜间施工噪音扰民",
        "content": "某工地连续多日夜间施工，噪音严重影响居民休息，请求依法处理。",
        "flags": "{}",
        "findings": "[]",
        "received_at": now,
    }


def steps_of(case_no: str, now: datetime) -> list[Event]:
    """What the other services tell intake about one petition, in the order it arrives."""

    def clock(kind: str) -> DeadlineScheduled:
        day = date(2026, 12, 1)
        return DeadlineScheduled(case_no=case_no, kind=kind, starts_on=day, due_on=day, basis="b")

    def notice(n: int, channel: str, audience: str) -> NoticeDelivered:
        return NoticeDelivered(
            case_no=case_no,
            notice_id=f"{case_no}-{n}",
            notice_type="registration",
            channel=channel,
            recipient_masked="p***@example.cn",
            delivered_at=now,
            audience=audience,  # type: ignore[arg-type]
        )

    return [
        clock("routing"),
        notice(1, "email", "petitioner"),
        notice(2, "portal", "portal"),
        a_petition_routed(case_no=case_no),
        clock("acceptance_notice"),
        clock("objection"),
        CaseStatusChanged(
            case_no=case_no, status="reviewing", status_zh="受理申请审查中", changed_at=now
        ),
        notice(3, "webhook", "department"),
    ]


def interleaved(cases: list[str], together: int, now: datetime) -> list[Event]:
    """Groups of `together` cases, each group's steps interleaved (step 1 of each, then 2 …)."""
    events: list[Event] = []
    for first in range(0, len(cases), together):
        steps = [steps_of(case_no, now) for case_no in cases[first : first + together]]
        events += [case_steps[n] for n in range(len(steps[0])) for case_steps in steps]
    return events


async def main(count: int, batch: int, together: int) -> None:
    configure_logging(service="intake-bench", level="WARNING", json=False)
    with tempfile.TemporaryDirectory() as tmp:
        settings = IntakeSettings(
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'intake.db'}",
            environment="test",
            attachments_dir=Path(tmp) / "files",
        )
        intake = bootstrap(settings, clock=SystemClock())
        await intake.db.create_all()
        now = datetime.now(UTC)
        cases = [f"XF2026{secrets.randbelow(10**10):010d}" for _ in range(count)]
        async with intake.db.transaction() as session:
            await session.exec(insert(Petition), params=[petition_row(c, now) for c in cases])  # type: ignore[call-overload]
        msgs = benching.messages(interleaved(cases, together, now))
        [subscription] = intake.runtime.subscriptions
        cpu = time.process_time()
        with benching.statements(intake.db) as seen:
            rate = await benching.apply_through_runner(subscription, intake.db, msgs, batch=batch)
        cpu = time.process_time() - cpu
        await intake.db.dispose()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"intake case-view bench on {python}")
    print(f"  {count} petitions, {len(msgs)} events, batches of {batch}, {together} cases at once")
    print(f"  events applied (SQLite)   {rate:10.0f} events/s")
    print(f"  CPU                       {1000 * cpu / count:10.2f} ms per petition")
    print(f"  SQL statements            {len(seen) / len(msgs):10.2f} per event")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--together", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.count, args.batch, args.together))
