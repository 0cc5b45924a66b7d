"""The command line every service shares: `python -m xinfang.<service> serve | migrate |
revision | db`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import uvicorn

from xinfang.common.logging import configure_logging
from xinfang.common.migrations.cli import add_migration_commands, run_migration_command
from xinfang.common.server import server_config
from xinfang.common.settings import BaseServiceSettings


def service_cli(
    *,
    name: str,
    settings_class: type[BaseServiceSettings],
    create_app: Callable[..., Any],
    argv: list[str] | None = None,
) -> None:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(
        prog=f"python -m xinfang.{name}", description=f"xinfang {name}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API, consumers and outbox relay")
    serve.add_argument("--host", help="interface to listen on (default from settings)")
    serve.add_argument("--port", type=int, help="port to listen on (default from settings)")
    add_migration_commands(commands)
    args = parser.parse_args(argv)
    settings = settings_class()
    if args.command != "serve":
        run_migration_command(args, service=name, database_url=settings.database_url)
    else:
        overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v}
        settings = settings.model_copy(update=overrides)
        configure_logging(service=name, level=settings.log_level, json=settings.log_json)
        # Header and keep-alive deadlines and the header size limit from the settings.
        uvicorn.Server(server_config(create_app(settings), settings)).run()
