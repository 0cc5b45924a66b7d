"""The compose files validate with docker-compose (Debian's 1.29) and say what we promise:
every secret is required, nats is pinned to 2.15.x with fsync always, each service waits for
healthy dependencies and is healthy only when /readyz answers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from natsauth import DEPLOY, generate
from tools import require_tool, require_yaml

FILES = {
    "single": ["compose.yml"],
    "development": ["compose.yml", "compose.override.yml"],
    "cluster": ["compose.cluster.yml"],
}
SERVICES = ("intake", "routing", "supervision", "notify")
REQUIRED = re.compile(r"\$\{([A-Z0-9_]+):\?")
SECRETS_EXAMPLE = {
    "XINFANG_INTAKE_PII_KEYS": '["k1"]',
    "XINFANG_JWT_SECRET": "0123456789abcdef0123456789abcdef",
}


def required_variables(*names: str) -> set[str]:
    return {v for n in names for v in REQUIRED.findall((DEPLOY / n).read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete deploy/.env as an operator makes it: example secrets plus NATS passwords."""
    path = tmp_path_factory.mktemp("compose") / "env"
    variables = required_variables(*{f for files in FILES.values() for f in files})
    lines = [f"{v}={SECRETS_EXAMPLE.get(v, 'x' + v.lower())}" for v in sorted(variables)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.with_name("empty.env").write_text("", encoding="utf-8")
    generate.add_missing_secrets(path, generate.plan(generate.load_departments()))
    return path


def environment(env_file: Path, *, without: str | None = None) -> dict[str, str]:
    values = dict(
        line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines() if line
    )
    values.pop(without or "", None)
    # Nothing of this process's environment: a developer's exported XINFANG_* must not help.
    return {"PATH": "/usr/bin:/bin", "XINFANG_ENV_FILE": str(env_file), **values}


def compose(files: list[str], env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    binary = require_tool("docker-compose", install="apt-get install -y docker-compose")
    empty = str(Path(env["XINFANG_ENV_FILE"]).with_name("empty.env"))
    # --env-file: an operator's deploy/.env must not fill in what the test leaves out.
    command = [binary, "--project-directory", str(DEPLOY), "--env-file", empty]
    for name in files:
        command += ["-f", str(DEPLOY / name)]
    return subprocess.run(
        [*command, "config", *args], env=env, capture_output=True, text=True, timeout=60
    )


def config(files: list[str], env_file: Path) -> dict[str, Any]:
    yaml: Any = require_yaml()
    result = compose(files, environment(env_file))
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


@pytest.mark.parametrize("kind", FILES)
def test_each_compose_setup_validates_with_every_variable_set(kind: str, env_file: Path) -> None:
    result = compose(FILES[kind], environment(env_file), "-q")
    assert result.returncode == 0, result.stderr


def test_every_secret_of_every_compose_file_is_required_not_defaulted() -> None:
    for name in ("compose.yml", "compose.cluster.yml"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        secrets = set(re.findall(r"\$\{([A-Z0-9_]*(?:PASSWORD|SECRET|KEYS?))\b[^}]*\}", text))
        assert secrets, name
        assert secrets <= required_variables(name), sorted(secrets - required_variables(name))


# One of each kind (docker-compose takes a second or two per run).
@pytest.mark.parametrize(
    "variable",
    [
        "XINFANG_POSTGRES_PASSWORD",
        "XINFANG_DB_ROUTING_PASSWORD",
        "XINFANG_NATS_NOTIFY_PASSWORD",
        "XINFANG_JWT_SECRET",
        "XINFANG_INTAKE_PII_KEYS",
        "XINFANG_GRAFANA_ADMIN_PASSWORD",
    ],
)
def test_compose_refuses_to_start_without_a_required_secret(variable: str, env_file: Path) -> None:
    assert variable in required_variables("compose.yml")
    result = compose(FILES["single"], environment(env_file, without=variable), "-q")
    assert result.returncode != 0
    assert variable in result.stderr or "mandatory" in result.stderr.lower(), result.stderr


def test_the_example_env_file_lists_every_variable_the_compose_files_use() -> None:
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    used = {
        v
        for name in ("compose.yml", "compose.override.yml", "compose.cluster.yml")
        for v in re.findall(r"\$\{([A-Z0-9_]+)", (DEPLOY / name).read_text(encoding="utf-8"))
    }
    missing = sorted(v for v in used if v not in example)
    assert not missing, f"add to deploy/.env.example: {missing}"


@pytest.mark.parametrize("kind", ["single", "cluster"])
def test_nats_is_pinned_to_2_15_and_fsyncs_before_every_ack(kind: str, env_file: Path) -> None:
    services = config(FILES[kind], env_file)["services"]
    nats = [s for name, s in services.items() if name.startswith("nats") and "image" in s]
    nats = [s for s in nats if s["image"].startswith("nats:")]
    assert len(nats) == (1 if kind == "single" else 3)
    for node in nats:
        assert re.fullmatch(r"nats:2\.15\.\d+(-alpine)?", node["image"]), node["image"]
        assert "healthz" in " ".join(node["healthcheck"]["test"])
        conf = node["command"][-1].rsplit("/", 1)[-1]
        assert re.search(r"sync_interval:\s*always", (DEPLOY / "nats" / conf).read_text())


@pytest.mark.parametrize("kind", ["single", "cluster"])
def test_every_service_is_healthy_on_readyz_and_waits_for_healthy_dependencies(
    kind: str, env_file: Path
) -> None:
    services = config(FILES[kind], env_file)["services"]
    instances = {name: s for name, s in services.items() if name.split("-")[0] in SERVICES}
    assert len(instances) == (4 if kind == "single" else 8)
    for name, service in instances.items():
        assert "/readyz" in " ".join(service["healthcheck"]["test"]), name
        conditions = {dep: d["condition"] for dep, d in service["depends_on"].items()}
        assert conditions.pop("provision") == "service_completed_successfully", name
        assert set(conditions.values()) == {"service_healthy"}, name
        assert "postgres" in conditions and any(d.startswith("nats") for d in conditions)


def test_the_cluster_runs_two_instances_of_each_service_on_three_replicas(env_file: Path) -> None:
    services = config(FILES["cluster"], env_file)["services"]
    for svc in SERVICES:
        prefix = f"XINFANG_{svc.upper()}_"
        envs = [services[f"{svc}-{i}"]["environment"] for i in (1, 2)]
        assert {e[f"{prefix}INSTANCE_ID"] for e in envs} == {"1", "2"}
        for env in envs:
            assert env[f"{prefix}STREAM_REPLICAS"] == "3"
            assert env[f"{prefix}NATS_URL"].count("nats://") == 3
            assert env[f"{prefix}NATS_USER"] == svc
    assert services["provision"]["environment"]["XINFANG_STREAM_REPLICAS"] == "3"


def test_each_service_has_its_own_database_and_nats_user(env_file: Path) -> None:
    services = config(FILES["single"], env_file)["services"]
    for svc in SERVICES:
        env = services[svc]["environment"]
        prefix = f"XINFANG_{svc.upper()}_"
        assert env[f"{prefix}DATABASE_URL"].endswith(f"@postgres:5432/{svc}")
        assert env[f"{prefix}DATABASE_URL"].startswith(f"postgresql+asyncpg://{svc}:")
        assert env[f"{prefix}NATS_USER"] == svc
        assert env[f"{prefix}ENVIRONMENT"] == "production"
    init = (DEPLOY / "postgres" / "init-databases.sh").read_text(encoding="utf-8")
    assert "for service in intake routing supervision notify" in init
