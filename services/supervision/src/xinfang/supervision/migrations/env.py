"""Alembic's environment for supervision's database (`python -m xinfang.supervision migrate`): the
library's, over the tables supervision's app module defines."""

import xinfang.supervision.main  # noqa: F401
from xinfang.common.migrations import run_environment

run_environment("supervision")
