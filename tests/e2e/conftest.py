"""Fixtures of the end-to-end tests: the whole system, started once per test module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The harness is shared with scripts/bench/, which imports it by path too.
sys.path.insert(0, str(Path(__file__).parent))

from harness import System


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """nats-server, an SMTP server and the four services, shared by the tests of a module."""
    with System(tmp_path_factory.mktemp("system")) as running:
        yield running
