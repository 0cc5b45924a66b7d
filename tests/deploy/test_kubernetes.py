"""The Kubernetes manifests validate against the API schemas (kubernetes-validate, offline) and
give every service its probes, resources, autoscaler and disruption budget."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from natsauth import DEPLOY
from tools import require_tool, require_yaml

K8S = DEPLOY / "k8s"
NOT_RESOURCES = {"kustomization.yaml", "nats-values.yaml"}
SERVICES = {"intake": 8001, "routing": 8002, "supervision": 8003, "notify": 8004}


def manifests() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name not in NOT_RESOURCES)


def documents() -> list[dict[str, Any]]:
    yaml: Any = require_yaml()
    return [
        doc
        for path in manifests()
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def test_every_manifest_validates_against_the_kubernetes_schemas() -> None:
    binary = require_tool("kubernetes-validate", install="a dev dependency: uv sync")
    result = subprocess.run(
        [binary, "--strict", *map(str, manifests())], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout + result.stderr


def test_the_kustomization_lists_every_manifest_but_the_example_secret() -> None:
    yaml: Any = require_yaml()
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in manifests()} - {"secret.example.yaml"}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_probes_resources_several_replicas_and_an_autoscaler(
    service: str,
) -> None:
    deployment = of_kind("Deployment")[service]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["ports"][0]["containerPort"] == SERVICES[service]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    env = {e["name"]: e for e in container["env"]}
    prefix = f"XINFANG_{service.upper()}_"
    assert env[f"{prefix}INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env[f"{prefix}NATS_USER"]["value"] == service
    for secret in ("NATS_PASSWORD", "DATABASE_URL", "JWT_SECRET"):
        assert env[f"{prefix}{secret}"]["valueFrom"]["secretKeyRef"]["name"] == "xinfang-secrets"
    assert deployment["spec"]["replicas"] >= 2
    hpa = of_kind("HorizontalPodAutoscaler")[service]
    assert hpa["spec"]["scaleTargetRef"]["name"] == service
    assert hpa["spec"]["minReplicas"] >= 2
    assert of_kind("PodDisruptionBudget")[service]["spec"]["minAvailable"] == 1
    assert of_kind("Service")[service]["spec"]["ports"][0]["port"] == SERVICES[service]


def test_a_job_provisions_the_stream_with_three_replicas() -> None:
    job = of_kind("Job")["xinfang-provision"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-1] == "xinfang.common.messaging.provision"
    assert of_kind("ConfigMap")["xinfang-config"]["data"]["STREAM_REPLICAS"] == "3"


def test_the_nats_chart_values_pin_2_15_cluster_of_three_and_fsync_always() -> None:
    yaml: Any = require_yaml()
    values = yaml.safe_load((K8S / "nats-values.yaml").read_text(encoding="utf-8"))
    assert values["container"]["image"]["tag"].startswith("2.15.")
    assert values["config"]["cluster"] == {"enabled": True, "replicas": 3}
    assert values["config"]["jetstream"]["merge"]["sync_interval"] == "always"
    assert values["config"]["merge"]["$include"].endswith("auth.conf")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_migrates_its_database_first_in_an_init_container_of_its_image(
    service: str,
) -> None:
    pod = of_kind("Deployment")[service]["spec"]["template"]["spec"]
    migrate = {c["name"]: c for c in pod["initContainers"]}["migrate"]
    assert migrate["image"] == pod["containers"][0]["image"]
    assert migrate["command"] == ["python", "-m", f"xinfang.{service}", "migrate"]
    url = f"XINFANG_{service.upper()}_DATABASE_URL"
    env = {e["name"]: e for e in migrate["env"]}
    assert env[url]["valueFrom"]["secretKeyRef"] == {"name": "xinfang-secrets", "key": url}
