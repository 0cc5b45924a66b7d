"""A 3-node NATS cluster with a 3-replica stream, two instances of each of the four services on
PostgreSQL, with the generated NATS users: petitions keep coming while the stream's leader node
is SIGKILLed and restarted, and every case is still routed once and notified once."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from natscluster import ClusterSystem
from petitions import ROUTED, Accepted, Api, Effects

pytestmark = pytest.mark.e2e

PETITIONS = 40
PACE_SECONDS = 0.25
NODE_DOWN_SECONDS = 2.0
ELECTION_SECONDS = 20.0
ACK_WAIT_SECONDS = 5.0
SETTLE_SECONDS = 60.0
PG_ADMIN = os.environ.get(
    "XINFANG_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
SERVICES = ("intake", "routing", "supervision", "notify")


async def _pg(statement: str) -> None:
    import asyncpg

    dsn = PG_ADMIN.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def databases() -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database per service, dropped afterwards."""
    try:
        asyncio.run(_pg("SELECT 1"))
    except Exception as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no PostgreSQL at {PG_ADMIN}: {error!r}")
    run = secrets.token_hex(4)
    names = {svc: f"xinfang_cluster_{run}_{svc}" for svc in SERVICES}
    for name in names.values():
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield {svc: f"{base}/{name}" for svc, name in names.items()}
    finally:
        for name in names.values():
            asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def system(tmp_path: Path, databases: dict[str, str]) -> Iterator[ClusterSystem]:
    with ClusterSystem(
        tmp_path / "system", databases=databases, ack_wait=ACK_WAIT_SECONDS
    ) as running:
        yield running


async def post_steadily(
    api: Api, petitions: list[dict[str, Any]], accepted: list[Accepted]
) -> None:
    for petition in petitions:
        started = time.monotonic()
        accepted.append(await api.register(petition))
        await asyncio.sleep(max(0.0, PACE_SECONDS - (time.monotonic() - started)))


async def until(predicate: Any, *, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def settle(api: Api, cases: list[Accepted]) -> tuple[dict[str, Effects], set[str]]:
    """Wait until every case is assigned, routed in intake's timeline and e-mailed, and every
    consumer has nothing pending or unacknowledged (so late duplicates would have shown)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        effects = {a.case_no: await api.effects(a) for a in cases}
        assigned = {c for c in effects if await api.assignment(c)}
        unfinished = {
            case_no: found.timeline
            for case_no, found in effects.items()
            if case_no not in assigned or ROUTED not in found.timeline or not found.mails
        }
        busy = api.busy_consumers()
        if not unfinished and not busy:
            return effects, assigned
        if time.monotonic() > deadline:
            details = "\n".join(f"  {c}: {t}" for c, t in list(unfinished.items())[:10])
            raise AssertionError(
                f"after {SETTLE_SECONDS:.0f} s: {len(unfinished)} cases unfinished, "
                f"consumers busy: {busy}\n{details}\n"
                + api.system.explain("intake", "routing", "notify")
            )
        await asyncio.sleep(0.5)


def duplicates_and_losses(effects: dict[str, Effects], assigned: set[str]) -> dict[str, str]:
    """Per case: routed exactly once (assignment + one routed entry) and each notice sent as
    exactly one distinct message (resends of the same Message-ID are the same e-mail)."""
    problems = {}
    for case_no, found in effects.items():
        notices: dict[str, set[str]] = defaultdict(set)
        for mail in found.mails:
            notices[mail.notice or mail.subject].add(mail.message_id)
        counts = {
            "assignment": int(case_no in assigned),
            "routed": found.count(ROUTED),
            "notices": len(notices),
            **{f"e-mail {kind}": len(ids) for kind, ids in notices.items()},
        }
        if any(n != 1 for n in counts.values()):
            problems[case_no] = str(counts)
    return problems


async def test_killing_the_stream_leader_node_mid_flow_loses_and_duplicates_no_petition(
    system: ClusterSystem,
) -> None:
    cluster = system.cluster
    leader = cluster.stream_leader()
    assert leader, "the 3-replica stream has no leader"
    assert len(cluster.stream_replicas()) == 2, "the stream is not replicated on 3 nodes"
    async with Api(system) as api:
        petitions = await api.varied_petitions(PETITIONS, seed=3)
        accepted: list[Accepted] = []
        poster = asyncio.create_task(post_steadily(api, petitions, accepted))
        await until(lambda: len(accepted) >= 10)
        cluster.node(leader).kill()
        posted_at_kill = len(accepted)
        # The survivors elect a new leader once the old one's heartbeats stop (a few seconds).
        await until(lambda: cluster.stream_leader() not in (None, leader), within=ELECTION_SECONDS)
        new_leader = cluster.stream_leader()
        await asyncio.sleep(NODE_DOWN_SECONDS)
        posted_while_down = len(accepted) - posted_at_kill
        await asyncio.to_thread(cluster.node(leader).restart)
        await poster
        effects, assigned = await settle(api, accepted)
        dead_letters = {svc: await api.dead_letters(svc) for svc in SERVICES}
    problems = duplicates_and_losses(effects, assigned)
    mails = Counter(m.case_no for m in system.mails)
    print(
        f"cluster: killed {leader} (new leader {new_leader}); {len(accepted)} accepted, "
        f"{posted_while_down} while it was down; {sum(mails.values())} e-mails received"
    )
    assert posted_while_down > 0
    assert len(cluster.stream_replicas()) == 2, "the restarted node did not rejoin the stream"
    assert not problems, problems
    assert not any(dead_letters.values()), dead_letters
    assert len(effects) == PETITIONS
