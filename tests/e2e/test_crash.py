"""Crashes mid-flow: routing, notify and nats-server are SIGKILLed while petitions keep coming,
and every accepted petition still has each of its effects exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import System
from petitions import DEADLINE_KINDS, ROUTED, Accepted, Api, Effects

pytestmark = pytest.mark.e2e

PETITIONS = 60
PACE_SECONDS = 0.25
NATS_DOWN_SECONDS = 2.0
# Messages a killed service had fetched come back only after the consumers' ack_wait (30 s).
SETTLE_SECONDS = 150.0


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    """A system of this test's own: it is crashed on purpose."""
    with System(tmp_path / "system") as running:
        yield running


@dataclass
class Posting:
    """What the background poster has done so far."""

    accepted: list[Accepted] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def sent(self) -> int:
        return len(self.accepted) + len(self.refused)


async def post_steadily(api: Api, petitions: list[dict[str, Any]], posting: Posting) -> None:
    """POST one petition every PACE_SECONDS, whatever else is happening."""
    for n, petition in enumerate(petitions):
        started = time.monotonic()
        try:
            posting.accepted.append(await api.register(petition))
        except (AssertionError, httpx.HTTPError) as error:
            posting.refused.append(f"#{n}: {error!r}")
        async with posting.progress:
            posting.progress.notify_all()
        await asyncio.sleep(max(0.0, PACE_SECONDS - (time.monotonic() - started)))


async def until_sent(posting: Posting, count: int) -> None:
    async with posting.progress:
        await posting.progress.wait_for(lambda: posting.sent >= count)


async def test_killing_routing_notify_and_nats_mid_flow_loses_and_duplicates_nothing(
    system: System,
) -> None:
    async with Api(system) as api:
        petitions = await api.varied_petitions(PETITIONS, seed=60)
        posting = Posting()
        poster = asyncio.create_task(post_steadily(api, petitions, posting))
        await until_sent(posting, 10)
        system.kill("routing", "notify")
        await until_sent(posting, 25)
        system.kill_nats()
        sent_before_outage = posting.sent
        await asyncio.sleep(NATS_DOWN_SECONDS)  # intake keeps accepting, into its outbox
        await asyncio.to_thread(system.restart_nats)
        sent_during_outage = posting.sent - sent_before_outage
        await asyncio.to_thread(system.start, "routing", "notify")
        await poster
        assert not posting.refused, f"intake refused petitions: {posting.refused}"
        assert sent_during_outage > 0, "no petition was posted while nats-server was down"
        effects = await api.wait_for_effects(posting.accepted, within=SETTLE_SECONDS, drained=True)
        assigned = {case_no for case_no in effects if await api.assignment(case_no)}
        notices = {case_no: len(await api.notices(case_no)) for case_no in effects}
    tally = Tally.of(effects, assigned, notices)
    summary = f"{tally.summary(len(petitions))}\n({sent_during_outage} posted while nats was down)"
    print(summary)
    if tally.lost or tally.duplicated:
        pytest.fail(summary, pytrace=False)


@dataclass
class Tally:
    """Cases with an effect missing (lost) or repeated (duplicated), and why."""

    lost: dict[str, list[str]]
    duplicated: dict[str, list[str]]
    cases: int
    raw_mails: int
    distinct_mails: int

    @classmethod
    def of(
        cls,
        effects: dict[str, Effects],
        assigned: set[str],
        notices: dict[str, int],
    ) -> Tally:
        lost: dict[str, list[str]] = {}
        duplicated: dict[str, list[str]] = {}
        distinct = 0
        for case_no, found in effects.items():
            kinds = {*DEADLINE_KINDS, *found.deadline_kinds}
            counts = {
                "assignment": int(case_no in assigned),
                "routed in timeline": found.count(ROUTED),
                **{f"{kind} deadline": found.deadline_kinds.count(kind) for kind in kinds},
                "registration notice": notices[case_no],
                "e-mail": len(Counter(m.message_id for m in found.mails)),
            }
            distinct += counts["e-mail"]
            if missing := [what for what, n in counts.items() if n == 0]:
                lost[case_no] = missing
            if repeated := [f"{what} ×{n}" for what, n in counts.items() if n > 1]:
                duplicated[case_no] = repeated
        raw = sum(len(found.mails) for found in effects.values())
        return cls(lost, duplicated, len(effects), raw, distinct)

    def summary(self, posted: int) -> str:
        line = (
            f"crash: {posted} posted, {self.cases} accepted; "
            f"lost {len(self.lost)}, duplicated {len(self.duplicated)}; "
            f"registration e-mails {self.raw_mails} received, "
            f"{self.distinct_mails} distinct Message-IDs"
        )
        details = [f"  lost {c}: {w}" for c, w in self.lost.items()]
        details += [f"  duplicated {c}: {w}" for c, w in self.duplicated.items()]
        return "\n".join([line, *details])
