"""`make chaos` in short: under load, with departments answering, intake, routing, supervision,
notify, nats-server and PostgreSQL are each killed and restarted; every petition still has each
of its effects exactly once, supervision's KPIs agree with the cases, and no petitioner's name,
phone or ID number shows in clear anywhere staff, departments or operators could read it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from audit import Audit
from chaos import ChaosSettings, ChaosSystem
from proof import Outcome, prove

pytestmark = pytest.mark.e2e

# Fewer petitions, each service killed while the one before is still starting again, no waiting
# for the flow between faults (the counts at the end prove it resumed): `make chaos` measures
# each recovery on its own.
SHORT = ChaosSettings(
    petitions=20, pace=1.0, down=1.0, calm=0.0, settle=180.0, measure_flow=False, overlap=True
)
SOURCES = (
    "stream XINFANG",
    "service logs (lines)",
    "department responses (API, pages)",
    "department feeds dept-<CODE>",
    "webhook bodies (routing)",
    "webhook bodies (notify)",
    "database intake (values)",
)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    with ChaosSystem(Path(tmp_path_factory.mktemp("chaos")), progress=print) as chaos:
        result = asyncio.run(prove(chaos, SHORT))
    print(result.report())
    return result


def test_every_fault_under_load_leaves_each_effect_of_each_petition_exactly_once(
    outcome: Outcome,
) -> None:
    assert [r.fault for r in outcome.run.recoveries] == list(outcome.run.faults)
    assert len(outcome.run.load.accepted) >= SHORT.petitions
    assert outcome.run.departments.done, "no department answered anything"
    assert not outcome.tally.failed, outcome.report()


def test_no_name_phone_or_id_number_in_clear_in_streams_logs_department_views_webhooks_or_db(
    outcome: Outcome,
) -> None:
    assert set(SOURCES) <= {s for s, n in outcome.audit.scanned.items() if n > 0}, outcome.report()
    assert outcome.audit.hits == [], outcome.audit.table()


def test_the_audit_finds_a_petitioner_it_is_shown(outcome: Outcome) -> None:
    """The scanner itself works: the petition as posted (JSON with escaped Chinese) is caught."""
    petition = outcome.run.load.petitions[0]
    probe = Audit(outcome.audit.secrets)
    probe.scan("probe", "the POST body", json.dumps(petition))
    found = {hit.what for hit in probe.hits}
    assert {
        "the name of petition 0",
        "the phone of petition 0",
        "the id_number of petition 0",
    } <= found
