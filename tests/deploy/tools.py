"""External tools the deployment checks use (Debian's docker-compose and promtool, PyPI's
kubernetes-validate): found on PATH or beside the interpreter. A missing tool skips its test on
a developer's machine, but fails it in CI (CI=true), where `make check-deploy` installs it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def require_tool(name: str, *, install: str) -> str:
    """The path of `name`; skip (outside CI) or fail (in CI) when it is missing."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found:
        return found
    message = f"{name} not found ({install}; `make check-deploy` installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_yaml() -> object:
    """PyYAML (comes with kubernetes-validate, a dev dependency)."""
    try:
        import yaml
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("PyYAML missing: it is a dev dependency (with kubernetes-validate)")
        pytest.skip("PyYAML missing: uv sync brings it with the dev dependencies")
    return yaml
