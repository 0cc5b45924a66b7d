"""`tail --dept CODE` prints a department's live feed from a real nats-server, and nothing else."""

from __future__ import annotations

import asyncio

import nats

from xinfang.common.testing.builders import a_petition_routed, envelope_of, eventually
from xinfang.routing.tail import tail


async def test_tail_prints_the_departments_events_and_not_another_departments(
    nats_url: str,
) -> None:
    lines: list[str] = []
    stop = asyncio.Event()
    task = asyncio.create_task(tail(dept="C_URBAN", nats_url=nats_url, out=lines.append, stop=stop))
    await eventually(lambda: _ready(lines))
    nc = await nats.connect(nats_url)
    mine = a_petition_routed(department_code="C_URBAN", department_name="江宁市城市管理局")
    other = a_petition_routed(department_code="C_EDU")
    for event in (other, mine):
        await nc.publish(event.nats_subject(), envelope_of(event).model_dump_json().encode())
    await nc.flush()

    await eventually(lambda: _ready([line for line in lines if mine.case_no in line]))
    stop.set()
    await task
    await nc.close()

    printed = "\n".join(lines)
    assert "xinfang.petition.routed.v1" in printed and "江宁市城市管理局" in printed
    assert other.case_no not in printed


async def _ready(lines: list[str]) -> bool:
    return bool(lines)
