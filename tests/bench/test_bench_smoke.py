"""`make bench` in miniature: the benchmark suite runs end to end and reports every figure.

Benchmarks are not timed tests: nothing here judges a figure's size, only that each was measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = (
    "intake registrations",
    "routing decisions",
    "supervision events applied",
    "notices delivered",
)
SERVICES = ("intake", "routing", "supervision", "notify")
SMOKE_TIMEOUT_SECONDS = 600


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """The JSON report and the printed table of `python -m scripts.bench --smoke` on SQLite."""
    out = tmp_path_factory.mktemp("bench") / "report.json"
    command = [sys.executable, "-m", "scripts.bench", "--smoke", "--postgres", "never"]
    done = subprocess.run(
        [*command, "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, f"the bench failed:\n{done.stderr[-4000:]}"
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


def positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def latencies_measured(summary: dict[str, Any]) -> bool:
    return all(positive(summary[p]) for p in ("p50", "p95", "p99"))


@pytest.mark.e2e
def test_every_ceiling_is_measured(smoke: tuple[dict[str, Any], str]) -> None:
    ceilings = smoke[0]["ceilings"]
    names = (
        "fastapi_post_per_s",
        "jetstream_publish_per_s",
        "jetstream_publish_pipelined_per_s",
        "jetstream_consume_per_s",
    )
    assert all(positive(ceilings[name]) for name in names), ceilings


@pytest.mark.e2e
@pytest.mark.parametrize("phase", ["saturation", "moderate"])
def test_each_phase_brings_every_petition_through_and_measures_its_latencies(
    smoke: tuple[dict[str, Any], str], phase: str
) -> None:
    figures = smoke[0]["runs"]["sqlite"][phase]
    assert figures["posted"] > 0 and figures["errors"] == 0, figures["error_samples"]
    assert figures["delivered"] == figures["routed"] == figures["accepted"] == figures["posted"]
    assert positive(figures["post_per_s"]) and positive(figures["end_to_end_per_s"])
    for kind in ("post", "routed", "delivered"):
        assert latencies_measured(figures["latency_ms"][kind]), (kind, figures["latency_ms"])
    assert isinstance(figures["sustained"], bool)


@pytest.mark.e2e
def test_every_stage_has_a_rate_from_the_metrics_and_a_share_of_its_ceiling(
    smoke: tuple[dict[str, Any], str],
) -> None:
    stages = smoke[0]["runs"]["sqlite"]["saturation"]["stages"]
    assert set(stages) == set(STAGES)
    for stage, rate in stages.items():
        assert rate["count"] > 0 and positive(rate["per_s"]), (stage, rate)
        assert 0 < rate["ceiling_ratio"], (stage, rate)


@pytest.mark.e2e
def test_each_process_has_its_cpu_time_per_petition_and_intake_its_rate_alone(
    smoke: tuple[dict[str, Any], str],
) -> None:
    run = smoke[0]["runs"]["sqlite"]
    cpu = run["cpu_ms_per_petition"]
    assert cpu["petitions"] > 0
    assert all(positive(cpu[name]) for name in (*SERVICES, "nats", "total")), cpu
    assert cpu["total"] >= max(cpu[name] for name in SERVICES)
    alone = run["intake_alone"]
    assert positive(alone["registrations_per_s"]) and positive(alone["share_of_bare"]), alone


@pytest.mark.e2e
def test_the_replay_rebuilds_supervision_from_the_whole_stream(
    smoke: tuple[dict[str, Any], str],
) -> None:
    stream = smoke[0]["runs"]["sqlite"]["stream"]
    assert stream["events_per_petition"] > 1, stream  # received and routed at least
    replay = smoke[0]["runs"]["sqlite"]["replay"]
    assert replay["complete"] and replay["events"] >= replay["events_in_stream"] > 0, replay
    assert positive(replay["events_per_s"])


@pytest.mark.e2e
def test_the_tick_fires_the_due_deadlines_and_reports_its_time_and_memory(
    smoke: tuple[dict[str, Any], str],
) -> None:
    tick = smoke[0]["runs"]["sqlite"]["supervision_tick"]
    assert tick["deadlines"] == 1000
    assert tick["warned"] > 0 and tick["missed"] > 0, tick
    assert all(positive(tick[k]) for k in ("tick_s", "idle_tick_s", "peak_rss_mib")), tick


@pytest.mark.e2e
def test_each_aim_is_judged_and_the_services_are_profiled(
    smoke: tuple[dict[str, Any], str],
) -> None:
    report, printed = smoke
    checks = report["aims"]["checks"]
    assert len(checks) == 4 and all(isinstance(c["met"], bool) for c in checks), checks
    assert report["aims"]["bottleneck"]["service"] in SERVICES
    profiles = report["runs"]["sqlite"]["profile"]["services"]
    assert set(profiles) == set(SERVICES)
    for service, found in profiles.items():
        assert "error" not in found and found["self"] and found["total"], (service, found)
    assert "aims (issue 9)" in printed and "bare FastAPI POST" in printed


@pytest.mark.e2e
def test_what_was_not_run_says_why(smoke: tuple[dict[str, Any], str]) -> None:
    report = smoke[0]
    assert report["runs"]["postgresql"]["skipped"]
    assert report["scaling"]["skipped"]
