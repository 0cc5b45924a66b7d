"""Alembic's environment for intake's database (`python -m xinfang.intake migrate`): the
library's, over the tables intake's app module defines."""

import xinfang.intake.main  # noqa: F401
from xinfang.common.migrations import run_environment

run_environment("intake")
