"""The bench's tests import `scripts.bench` from the repository root, as `make bench` runs it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
