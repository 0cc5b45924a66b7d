"""The consumer runner tells its handlers which cases the batch is about, so a handler can read
them all with its first query."""

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.clock import SystemClock
from xinfang.common.db import Database
from xinfang.common.events import Envelope, Event, PetitionRouted
from xinfang.common.messaging.consumer import ConsumerRunner, Subscription, batch_cases
from xinfang.common.messaging.provision import ConsumerSpec
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.testing.benching import StoredMessage, messages
from xinfang.common.testing.builders import a_petition_routed


def a_runner(db: Database, told: list[set[str]]) -> ConsumerRunner:
    async def record(session: AsyncSession, event: Event, envelope: Envelope) -> None:
        told.append(set(batch_cases(session)))

    subscription = Subscription(
        spec=ConsumerSpec(durable="test-batch-cases", subjects=["xinfang.petition.routed.>"]),
        handlers={PetitionRouted.TYPE: record},
    )
    return ConsumerRunner(
        subscription=subscription,
        db=db,
        js=None,
        clock=SystemClock(),
        metrics=ServiceMetrics("test_batch_cases"),
    )


async def test_handlers_are_told_the_cases_of_the_batch_they_have_not_applied_yet(db) -> None:
    told: list[set[str]] = []
    runner = a_runner(db, told)
    first, second, applied = (a_petition_routed() for _ in range(3))
    [again] = messages([applied])
    await runner.apply_batch([again])
    repeated = StoredMessage(subject=again.subject, data=again.data, headers=again.headers)

    await runner.apply_batch([*messages([first, second]), repeated])

    assert told[-2:] == [{first.case_no, second.case_no}] * 2


async def test_outside_a_consumer_no_batch_is_told(db) -> None:
    async with db.transaction() as session:
        assert batch_cases(session) == set()
