"""System-level tests of the deployment (deploy/): NATS permissions and cluster, compose files,
Prometheus rules, Grafana dashboards, Kubernetes manifests."""

from __future__ import annotations

import sys
from pathlib import Path

# Helpers here and the e2e harness are imported by path, as tests/e2e does.
HERE = Path(__file__).parent
for path in (HERE, HERE.parent / "e2e"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
