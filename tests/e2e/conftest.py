"""Fixtures of the end-to-end tests: the whole system, started once per test module."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The harness is shared with scripts/bench/, which imports it by path too.
sys.path.insert(0, str(Path(__file__).parent))

from databases import PG_URL_ENV, SERVICES, Databases
from harness import System


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """nats-server, an SMTP server and the four services, shared by the tests of a module."""
    with System(tmp_path_factory.mktemp("system")) as running:
        yield running


def _databases() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_URL_ENV) else ["sqlite"]


@pytest.fixture(scope="module", params=_databases())
def system_on_each_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """The whole system on SQLite files, and again on PostgreSQL (a database per service on
    the server XINFANG_TEST_PG_URL names, dropped afterwards) when one is given."""
    root = tmp_path_factory.mktemp(f"system-{request.param}")
    databases = Databases(request.param, root / "db", os.environ.get(PG_URL_ENV))
    with databases.created_for(list(SERVICES)):
        with System(root, env=databases.service_env()) as running:
            yield running
