"""Grafana provisioning: the dashboards are valid JSON generated from build_dashboards.py, with
unique ids, every panel querying the provisioned Prometheus datasource."""

from __future__ import annotations

import json

from natsauth import DEPLOY, load_deploy_module

GRAFANA = DEPLOY / "grafana"
build = load_deploy_module("grafana/build_dashboards.py", "xinfang_deploy_grafana_build")


def test_the_dashboards_are_up_to_date_with_their_builder() -> None:
    assert build.main(["--check"]) == 0, "run: uv run python deploy/grafana/build_dashboards.py"


def test_the_dashboards_are_valid_json_with_unique_uids_and_panel_ids() -> None:
    uids = []
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        uids.append(dashboard["uid"])
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in dashboard["panels"]:
            assert panel["targets"], f"{path.name}: {panel['title']} queries nothing"
            assert panel["datasource"]["uid"] == "xinfang-prometheus"
            assert 0 < panel["gridPos"]["w"] <= 24
    assert sorted(uids) == ["xinfang-bureau", "xinfang-ops"]


def test_the_provisioned_datasource_is_the_one_the_panels_use() -> None:
    datasource = (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    assert "uid: xinfang-prometheus" in datasource
    assert "url: http://prometheus:9090" in datasource
    provider = (GRAFANA / "provisioning" / "dashboards" / "xinfang.yml").read_text()
    compose = (DEPLOY / "compose.yml").read_text(encoding="utf-8")
    assert "path: /var/lib/grafana/dashboards" in provider
    assert "./grafana/dashboards:/var/lib/grafana/dashboards:ro" in compose
