"""The Prometheus configuration and alert rules pass promtool (Debian's `prometheus` package):
the config and rules are valid, and the alert unit tests (alerts.test.yml) pass."""

from __future__ import annotations

import subprocess

from natsauth import DEPLOY
from tools import require_tool

PROMETHEUS = DEPLOY / "prometheus"
MAIN_ALERTS = {
    "ServiceDown",
    "ConsumerLagGrowing",
    "OutboxBacklog",
    "DeadLetters",
    "DeliveryFailures",
    "OverdueCasesRising",
    "ZeroReportsMissing",
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = require_tool("promtool", install="apt-get install -y prometheus")
    return subprocess.run(
        [binary, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )


def test_the_alert_rules_are_valid() -> None:
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_scrape_config_is_valid_and_scrapes_the_four_services_and_nats() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    text = (PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8")
    for target in ("intake:8001", "routing:8002", "supervision:8003", "notify:8004"):
        assert target in text
    assert "nats-exporter:7777" in text


def test_the_alert_unit_tests_pass() -> None:
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_main_alert_has_a_unit_test() -> None:
    tests = (PROMETHEUS / "alerts.test.yml").read_text(encoding="utf-8")
    untested = sorted(a for a in MAIN_ALERTS if f"alertname: {a}\n" not in tests)
    assert not untested, untested
