"""Print the metric names one service's app exports: `python scrape_metrics.py <service> <dir>`.

Run in a process of its own per service (each service's SQLModel tables live in one global
metadata). The app is built in-process on a SQLite file in <dir>, with no background tasks,
started through its lifespan, and asked for GET /metrics. Names come from the `# HELP` lines,
so a labelled metric counts even before its first sample."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from fastapi.testclient import TestClient

SETTINGS = {
    "intake": "IntakeSettings",
    "routing": "RoutingSettings",
    "supervision": "SupervisionSettings",
    "notify": "NotifySettings",
}


def main() -> None:
    service, workdir = sys.argv[1], Path(sys.argv[2])
    os.chdir(workdir)  # no .env of the repository; var/ lands here
    settings_cls = getattr(
        importlib.import_module(f"xinfang.{service}.settings"), SETTINGS[service]
    )
    create_app = importlib.import_module(f"xinfang.{service}.main").create_app
    settings = settings_cls(
        database_url=f"sqlite+aiosqlite:///{workdir / (service + '.db')}",
        environment="test",
        start_background=False,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/metrics")
        response.raise_for_status()
    for line in response.text.splitlines():
        if line.startswith("# HELP "):
            print(line.split()[2])


if __name__ == "__main__":
    main()
