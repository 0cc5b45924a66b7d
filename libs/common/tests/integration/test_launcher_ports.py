"""scripts/up.py never talks to a NATS it did not start and names the variable to set when a
port is taken."""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from xinfang.common.testing.nats_server import free_port

UP_PY = Path(__file__).resolve().parents[4] / "scripts" / "up.py"


@pytest.fixture(scope="module")
def up() -> ModuleType:
    """The launcher script, imported as a module."""
    spec = importlib.util.spec_from_file_location("xinfang_up", UP_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is being built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_free_nats_port_is_kept_without_a_message(up: ModuleType) -> None:
    port = free_port()
    assert up.choose_nats_port(port) == (port, None)


def test_a_taken_nats_port_is_replaced_by_a_free_one_and_said_so(
    up: ModuleType, taken_port: int
) -> None:
    port, message = up.choose_nats_port(taken_port)
    assert port != taken_port
    assert up.port_is_free(port)
    assert str(taken_port) in message and str(port) in message
    assert "XINFANG_NATS_PORT" in message


def test_a_taken_http_port_is_reported_with_the_variable_to_set(
    up: ModuleType, taken_port: int
) -> None:
    config = up.read_config([], {"XINFANG_ROUTING_PORT": str(taken_port)})
    [routing] = [line for line in up.taken_ports(config) if "routing" in line]
    assert str(taken_port) in routing and "XINFANG_ROUTING_PORT=" in routing


def test_the_command_line_overrides_the_environment(up: ModuleType) -> None:
    config = up.read_config(
        ["--smtp-port", "2525", "--var-dir", "/tmp/xf"],
        {"XINFANG_SMTP_PORT": "1026", "XINFANG_INTAKE_PORT": "9001"},
    )
    assert config.ports["smtp"] == 2525
    assert config.ports["intake"] == 9001
    assert config.ports["routing"] == 8002
    assert config.var_dir == Path("/tmp/xf")


def test_each_service_gets_its_own_database_and_notify_gets_the_smtp_catcher(
    up: ModuleType,
) -> None:
    config = up.read_config(["--var-dir", "/tmp/xf"], {})
    intake = up.service_env("intake", config=config, nats_url="nats://127.0.0.1:1", base={})
    notify = up.service_env("notify", config=config, nats_url="nats://127.0.0.1:1", base={})
    assert intake["XINFANG_INTAKE_DATABASE_URL"] == "sqlite+aiosqlite:////tmp/xf/intake.db"
    assert intake["XINFANG_INTAKE_NATS_URL"] == "nats://127.0.0.1:1"
    assert intake["XINFANG_INTAKE_ENVIRONMENT"] == "development"
    assert "XINFANG_NOTIFY_SMTP_PORT" not in intake
    assert notify["XINFANG_NOTIFY_SMTP_HOST"] == "127.0.0.1"
    assert notify["XINFANG_NOTIFY_SMTP_PORT"] == "1025"
