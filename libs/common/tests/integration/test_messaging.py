"""The outbox relay, consumer runner and provisioning on a real nats-server and database."""

import asyncio
import json
from datetime import UTC, datetime

import nats
import pytest
import structlog.testing
from nats.js.api import DeliverPolicy
from sqlalchemy import update
from sqlmodel import Field, SQLModel, col, select

from xinfang.common.clock import SystemClock
from xinfang.common.db import Database
from xinfang.common.events import Envelope, Event, PetitionReceived, PoisonMessage
from xinfang.common.messaging.consumer import ConsumerRunner, Subscription
from xinfang.common.messaging.outbox import OutboxRelay, add_event
from xinfang.common.messaging.provision import (
    MAX_EVENT_BYTES,
    ConsumerSpec,
    StreamSpec,
    ensure_consumer,
    ensure_stream,
)
from xinfang.common.messaging.tables import DeadLetter, OutboxEvent
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.testing.builders import (
    a_petition_received,
    a_petition_routed,
    envelope_of,
    eventually,
    publish,
)


class Effect(SQLModel, table=True):
    """What the test handler does: one row per applied event."""

    __tablename__ = "test_effect"
    id: int | None = Field(default=None, primary_key=True)
    case_no: str
    title: str


@pytest.fixture
async def js(nats_url: str):
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, StreamSpec())
    yield js
    await nc.close()


async def effects(db: Database, case_no: str) -> list[Effect]:
    async with db.reading() as session:
        return list((await session.exec(select(Effect).where(Effect.case_no == case_no))).all())


async def record_effect(session, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, PetitionReceived)
    if event.title == "poison":
        raise PoisonMessage("this petition can never be applied")
    session.add(Effect(case_no=event.case_no, title=event.title))


def a_runner(
    db, js, *, durable: str, handler=record_effect, max_deliver: int = 4
) -> ConsumerRunner:
    spec = ConsumerSpec(  # only what is published after it starts: the tests share the stream
        durable=durable,
        subjects=["xinfang.petition.received"],
        max_deliver=max_deliver,
        ack_wait_seconds=5,
        deliver_policy=DeliverPolicy.NEW,
    )
    subscription = Subscription(spec=spec, handlers={PetitionReceived.TYPE: handler})
    return ConsumerRunner(
        subscription=subscription,
        db=db,
        js=js,
        clock=SystemClock(),
        metrics=ServiceMetrics("test"),
        batch=20,
    )


async def start(runner: ConsumerRunner) -> asyncio.Task[None]:
    await ensure_consumer(runner.js, runner.sub_spec)
    task = asyncio.create_task(runner.run())
    await eventually(lambda: _ready(runner))
    return task


async def _ready(runner: ConsumerRunner) -> bool:
    return runner.ready


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def a_durable() -> str:
    return f"test-{datetime.now(UTC).strftime('%H%M%S%f')}"


# --- outbox -----------------------------------------------------------------------------------


async def test_the_relay_publishes_committed_events_with_their_id_as_nats_msg_id(db, js):
    event = a_petition_received()
    async with db.transaction() as session:
        envelope = add_event(session, event, source="/t", now=datetime.now(UTC))
    relay = OutboxRelay(db=db, js=js, clock=SystemClock(), metrics=ServiceMetrics("t1"))
    sub = await js.subscribe("xinfang.petition.received", ordered_consumer=True)

    assert await relay.publish_pending() == 1

    msg = await eventually(lambda: _next_for(sub, event.case_no))
    assert msg.headers["Nats-Msg-Id"] == envelope.id
    assert Envelope.model_validate_json(msg.data).id == envelope.id
    async with db.reading() as session:
        row = (await session.exec(select(OutboxEvent))).one()
    assert row.published_at is not None
    assert await relay.publish_pending() == 0
    await sub.unsubscribe()


async def _next_for(sub, case_no: str):
    try:
        msg = await sub.next_msg(timeout=0.2)
    except (TimeoutError, nats.errors.TimeoutError):
        return None
    return msg if json.loads(msg.data)["subject"] == case_no else None


async def test_a_rolled_back_transaction_leaves_no_event(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            add_event(session, a_petition_received(), source="/t", now=datetime.now(UTC))
            raise RuntimeError("the state change failed")
    async with db.reading() as session:
        assert (await session.exec(select(OutboxEvent))).all() == []


async def test_an_event_published_twice_is_stored_once_by_the_stream(db, js):
    async with db.transaction() as session:
        add_event(session, a_petition_received(), source="/t", now=datetime.now(UTC))
    metrics = ServiceMetrics("t2")
    relay = OutboxRelay(db=db, js=js, clock=SystemClock(), metrics=metrics)
    await relay.publish_pending()
    # As if the relay died after publishing and before marking the row.
    async with db.transaction() as session:
        await session.exec(update(OutboxEvent).values(published_at=None))

    await relay.publish_pending()

    assert metrics.outbox_published.labels("duplicate")._value.get() == 1


async def test_relays_of_two_instances_never_publish_the_same_row_on_postgresql(
    database_url, db, js
):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite: a relay cannot hold the write lock while it publishes")
    async with db.transaction() as session:
        for _ in range(120):
            add_event(session, a_petition_received(), source="/t", now=datetime.now(UTC))
    other = Database(database_url)  # the second instance: its own engine and connections
    metrics = ServiceMetrics("t4")
    relays = [
        OutboxRelay(db=database, js=js, clock=SystemClock(), metrics=metrics, batch=50)
        for database in (db, other)
    ]

    rounds = []
    while not rounds or sum(rounds[-1]) > 0:
        rounds.append(await asyncio.gather(*(relay.publish_pending() for relay in relays)))
    await other.dispose()

    assert sum(map(sum, rounds)) == 120  # without the lock both relays publish every row
    assert metrics.outbox_published.labels("published")._value.get() == 120
    assert metrics.outbox_published.labels("duplicate")._value.get() == 0


async def test_events_wait_in_the_outbox_while_nats_is_down_and_go_out_after(
    db, nats_server, nats_url
):
    nc = await nats.connect(nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = nc.jetstream()
    await ensure_stream(js, StreamSpec())
    relay = OutboxRelay(db=db, js=js, clock=SystemClock(), metrics=ServiceMetrics("t3"))
    nats_server.kill()
    event = a_petition_received()
    async with db.transaction() as session:
        add_event(session, event, source="/t", now=datetime.now(UTC))
    with pytest.raises(Exception):  # noqa: B017 - any publish failure will do
        await asyncio.wait_for(relay.publish_pending(), timeout=3)

    nats_server.restart()
    await eventually(lambda: _published(relay), within=20)

    message = await js.get_last_msg("XINFANG", "xinfang.petition.received")
    assert json.loads(message.data)["subject"] == event.case_no
    await nc.close()


async def _published(relay: OutboxRelay) -> bool:
    try:
        return await relay.publish_pending() > 0
    except Exception:
        return False


# --- consumer runner --------------------------------------------------------------------------


async def test_a_redelivered_event_is_applied_once(db, js):
    runner = a_runner(db, js, durable=a_durable())
    task = await start(runner)
    envelope = envelope_of(a_petition_received())
    for _ in range(3):
        await js.publish(
            "xinfang.petition.received",
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": f"{envelope.id}-{_}"},  # past the stream's de-duplication
        )
    await eventually(lambda: effects(db, envelope.subject))
    await asyncio.sleep(0.5)
    assert len(await effects(db, envelope.subject)) == 1
    assert runner.metrics.messages.labels(runner.name, "duplicate")._value.get() == 2
    await stop(task)


async def test_an_event_without_a_handler_is_acked_as_ignored_with_a_log_line(db, js):
    runner = a_runner(db, js, durable=a_durable())
    runner.handlers = {}  # subscribed to the subject, but no use for its type
    task = await start(runner)
    envelope = envelope_of(a_petition_received())
    with structlog.testing.capture_logs() as logs:
        await publish(js, envelope)
        ignored = runner.metrics.messages.labels(runner.name, "ignored")
        await eventually(lambda: _at_least(ignored, 1))
    await stop(task)
    assert await effects(db, envelope.subject) == []
    [line] = [x for x in logs if x["event"] == "event_ignored"]
    assert line["event_type"] == envelope.type and line["reason"] == "no handler"


async def _at_least(counter, n: int) -> bool:
    return counter._value.get() >= n


async def test_a_malformed_message_is_dead_lettered_and_the_consumer_goes_on(db, js):
    runner = a_runner(db, js, durable=a_durable())
    task = await start(runner)
    await js.publish("xinfang.petition.received", b"{not json")
    await js.publish("xinfang.petition.received", b'{"id": "nul\x00"}')  # PostgreSQL refuses NUL
    bad_data = envelope_of(a_petition_received())
    bad_data.data.pop("category_code")
    await js.publish("xinfang.petition.received", bad_data.model_dump_json().encode())
    poison = envelope_of(a_petition_received(title="poison"))
    await publish(js, poison)
    forged = envelope_of(a_petition_routed())  # a type on another type's subject
    await publish(js, forged, subject="xinfang.petition.received")
    misfiled = envelope_of(a_petition_received())
    misfiled.subject = "XF-ANOTHER-CASE"  # the envelope names another case than its data
    await publish(js, misfiled)
    good = envelope_of(a_petition_received())
    await publish(js, good)

    await eventually(lambda: effects(db, good.subject))
    letters = await eventually(lambda: _dead_letters(db, runner.name, 6))
    assert {d.event_id for d in letters} >= {bad_data.id, poison.id, forged.id, misfiled.id}
    assert any("category_code" in d.error for d in letters)
    assert any("arrived on xinfang.petition.received" in d.error for d in letters)
    assert await effects(db, poison.subject) == []
    assert await effects(db, misfiled.data["case_no"]) == []
    await stop(task)


async def _dead_letters(db: Database, consumer: str, at_least: int) -> list[DeadLetter]:
    async with db.reading() as session:
        rows = (await session.exec(select(DeadLetter).where(DeadLetter.consumer == consumer))).all()
    return list(rows) if len(rows) >= at_least else []


async def test_a_transient_failure_is_retried_until_it_succeeds(db, js):
    failures = {"left": 2}
    envelope = envelope_of(a_petition_received())

    async def flaky(session, event, envelope_seen):
        if event.case_no == envelope.subject and failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("database hiccup")
        await record_effect(session, event, envelope_seen)

    runner = a_runner(db, js, durable=a_durable(), handler=flaky)
    task = await start(runner)
    await publish(js, envelope)

    await eventually(lambda: effects(db, envelope.subject), within=15)
    assert failures["left"] == 0
    assert runner.metrics.messages.labels(runner.name, "nak")._value.get() >= 1
    assert len(await effects(db, envelope.subject)) == 1
    await stop(task)


async def test_a_message_failing_at_every_delivery_is_dead_lettered_at_the_last(db, js):
    envelope = envelope_of(a_petition_received())

    async def broken(session, event, envelope_seen):
        if event.case_no == envelope.subject:
            raise ConnectionError("never works")

    runner = a_runner(db, js, durable=a_durable(), handler=broken, max_deliver=3)
    task = await start(runner)
    await publish(js, envelope)

    letters = await eventually(lambda: _dead_letters_of(db, envelope.id), within=20)
    assert letters[0].deliveries == 3
    assert "never works" in letters[0].error
    await stop(task)


async def test_one_bad_message_in_a_batch_does_not_hold_back_the_others(db, js):
    runner = a_runner(db, js, durable=a_durable())
    await ensure_consumer(js, runner.sub_spec)
    runner._pull = await js.pull_subscribe_bind(durable=runner.name, stream="XINFANG")
    good = [envelope_of(a_petition_received()) for _ in range(5)]
    poison = envelope_of(a_petition_received(title="poison"))
    for envelope in [*good[:2], poison, *good[2:]]:
        await publish(js, envelope)

    await runner.run_once()  # the whole batch in one fetch

    for envelope in good:
        assert len(await effects(db, envelope.subject)) == 1
    assert [d.event_id for d in await _dead_letters(db, runner.name, 1)] == [poison.id]


async def _dead_letters_of(db: Database, event_id: str) -> list[DeadLetter]:
    async with db.reading() as session:
        query = select(DeadLetter).where(DeadLetter.event_id == event_id)
        return list((await session.exec(query)).all())


# --- provisioning -----------------------------------------------------------------------------


async def test_provisioning_is_idempotent_and_applies_a_changed_consumer_config(js):
    durable = a_durable()
    await ensure_stream(js, StreamSpec())
    await ensure_consumer(js, ConsumerSpec(durable=durable, subjects=["xinfang.a"], max_deliver=3))
    await ensure_consumer(
        js, ConsumerSpec(durable=durable, subjects=["xinfang.a", "xinfang.b"], max_deliver=7)
    )
    await ensure_stream(js, StreamSpec())

    info = await js.consumer_info("XINFANG", durable)
    assert info.config.max_deliver == 7
    assert info.config.filter_subjects == ["xinfang.a", "xinfang.b"]
    stream = await js.stream_info("XINFANG")
    assert getattr(stream.config.storage, "value", stream.config.storage) == "file"
    assert stream.config.duplicate_window == 600
    assert stream.config.max_msg_size == MAX_EVENT_BYTES


async def test_outbox_rows_are_written_in_commit_order(db):
    now = datetime.now(UTC)
    cases = []
    for _ in range(3):
        async with db.transaction() as session:
            cases.append(add_event(session, a_petition_received(), source="/t", now=now).subject)
    async with db.reading() as session:
        rows = (await session.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq)))).all()
    assert [r.case_no for r in rows] == cases
