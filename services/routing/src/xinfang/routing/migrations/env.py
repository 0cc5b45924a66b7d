"""Alembic's environment for routing's database (`python -m xinfang.routing migrate`): the
library's, over the tables routing's app module defines."""

import xinfang.routing.main  # noqa: F401
from xinfang.common.migrations import run_environment

run_environment("routing")
