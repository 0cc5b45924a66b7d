"""Case numbers and group commit on a real database: concurrent registrations share commits yet
each gets its own case number — across two instances and a restart — its own rows and events,
and the repeat rules see a petition registered in the same batch."""

import asyncio

import httpx
from sqlalchemy import event
from sqlmodel import func, select

from xinfang.common.messaging.tables import OutboxEvent
from xinfang.intake import handlers
from xinfang.intake.main import create_app
from xinfang.intake.models import Petition, PetitionCreate, Petitioner, TimelineEntry
from xinfang.intake.testing import a_full_petition, a_petitioner


def _varied(n: int) -> dict:
    return a_full_petition(
        petitioners=[a_petitioner(name=f"王{n}号", phone=f"139{n:08d}")],
        facts=f"第{n}号：小区电梯停运{n}天无人维修，老人上下楼十分困难。",
    )


async def _count(app, table) -> int:
    async with app.state.intake.db.reading() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


def _statements(app, prefix: str) -> list[str]:
    """Records the statements starting with `prefix` that the app's engine runs from now on."""
    seen: list[str] = []

    @event.listens_for(app.state.intake.db.engine.sync_engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith(prefix):
            seen.append(statement)

    return seen


async def test_concurrent_registrations_share_commits_and_each_gets_its_own_number(
    client, app, counts
):
    counter_updates = _statements(app, "INSERT INTO casecounter")

    responses = await asyncio.gather(
        *(client.post("/api/v1/petitions", json=_varied(n)) for n in range(24))
    )

    assert {r.status_code for r in responses} == {201}
    numbers = [r.json()["case_no"] for r in responses]
    assert len(set(numbers)) == 24
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, 25))
    assert await counts() == (24, 24, 24)  # petitions, petitioners, petition.received events
    assert await _count(app, TimelineEntry) == 24
    assert len(counter_updates) < 24  # batched: one counter statement per shared transaction


async def test_two_instances_and_a_restart_never_give_out_a_number_twice(settings, clock):
    first, second = create_app(settings, clock=clock), create_app(settings, clock=clock)
    numbers: list[str] = []
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://intake")
            for a in (first, second)
        ]
        responses = await asyncio.gather(
            *(clients[n % 2].post("/api/v1/petitions", json=_varied(n)) for n in range(20))
        )
        numbers += [r.json()["case_no"] for r in responses]
        for c in clients:
            await c.aclose()
    restarted = create_app(settings, clock=clock)
    async with restarted.router.lifespan_context(restarted):
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as c:
            numbers.append((await c.post("/api/v1/petitions", json=_varied(99))).json()["case_no"])
        assert await _count(restarted, Petition) == 21
        assert await _count(restarted, OutboxEvent) == 21

    assert len(set(numbers)) == 21
    assert max(numbers[:20]) < numbers[20]  # the restarted instance carries on the day's count


async def test_the_same_petitioner_twice_in_one_batch_is_flagged_as_a_repeat(app):
    intake = app.state.intake
    body = PetitionCreate.model_validate(a_full_petition())

    first, second = await asyncio.gather(
        handlers.register_petition(intake, body), handlers.register_petition(intake, body)
    )

    assert "repeat" not in first.flags and "repeat" in second.flags
    async with intake.db.reading() as session:
        later = await session.get(Petition, second.case_no)
        people = (await session.exec(select(func.count()).select_from(Petitioner))).one()
    assert later is not None and later.repeat_of == first.case_no and people == 2


async def test_each_registration_of_a_batch_carries_its_own_requests_trace(client, app):
    traces = [f"{n:032x}" for n in range(1, 9)]
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/petitions",
                json=_varied(n),
                headers={"traceparent": f"00-{trace}-{n:016x}-01"},
            )
            for n, trace in enumerate(traces)
        )
    )

    async with app.state.intake.db.reading() as session:
        rows = (await session.exec(select(OutboxEvent))).all()
    trace_of = {row.case_no: (row.traceparent or "").split("-")[1] for row in rows}
    assert [trace_of[r.json()["case_no"]] for r in responses] == traces
