"""Alembic's environment for notify's database (`python -m xinfang.notify migrate`): the
library's, over the tables notify's app module defines."""

import xinfang.notify.main  # noqa: F401
from xinfang.common.migrations import run_environment

run_environment("notify")
