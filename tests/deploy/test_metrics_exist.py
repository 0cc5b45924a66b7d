"""Every metric the Grafana dashboards and the Prometheus alerts query is one the services
really export: each service's app is built (SQLite, no background tasks) and its /metrics read."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from natsauth import DEPLOY, REPO

SERVICES = ("intake", "routing", "supervision", "notify")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
NAME = re.compile(r"\bxinfang_[a-z0-9_]*[a-z0-9]\b")
NAME_REGEX = re.compile(r'__name__=~"([^"]+)"')
AWAITED: set[str] = set()  # metrics dashboards may name before a service exports them


def queries() -> dict[str, list[str]]:
    """PromQL of every dashboard panel and alert rule, by file."""
    found: dict[str, list[str]] = {}
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        found[path.name] = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
        found[path.name] += [str(v.get("query", "")) for v in dashboard["templating"]["list"]]
    alerts = (DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8")
    found["alerts.yml"] = re.findall(
        r"^\s+expr: (?:\|\n)?((?:.*\n)*?)(?=^\s+(?:for|labels):)", alerts, flags=re.M
    )
    return found


def referenced() -> tuple[set[str], set[str]]:
    """Metric names and `__name__=~` patterns the queries use."""
    names, patterns = set(), set()
    for exprs in queries().values():
        for expr in exprs:
            for name in NAME.findall(expr):
                names.add(_base(name))
            patterns.update(NAME_REGEX.findall(expr))
    return names, patterns


def _base(name: str) -> str:
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    names: set[str] = set()
    for service in SERVICES:
        workdir = tmp_path_factory.mktemp(service)
        result = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("scrape_metrics.py")), service, workdir],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )
        assert result.returncode == 0, f"{service}: {result.stderr[-3000:]}"
        names |= set(result.stdout.split())
    return names


def test_the_queries_were_found_in_every_dashboard_and_the_alerts() -> None:
    found = queries()
    assert set(found) == {"ops.json", "bureau.json", "alerts.yml"}
    assert all(len(exprs) >= 5 for exprs in found.values()), found


def test_every_metric_the_dashboards_and_alerts_query_is_exported(exported: set[str]) -> None:
    names, patterns = referenced()
    missing = sorted(names - exported - AWAITED)
    assert not missing, f"queried but not exported by any service: {missing}"
    unmatched = sorted(p for p in patterns if not any(re.fullmatch(p, n) for n in exported))
    assert not unmatched, f"name patterns matching no exported metric: {unmatched}"


def test_every_common_metric_pattern_matches_all_four_services(exported: set[str]) -> None:
    _, patterns = referenced()
    for pattern in patterns:
        services = {n.split("_")[1] for n in exported if re.fullmatch(pattern, n)}
        assert services == set(SERVICES), (pattern, services)
