"""The migration commands in every service's command line:

python -m xinfang.<service> migrate [--sql]      upgrade the database to head (as at start)
python -m xinfang.<service> revision -m MESSAGE  write a revision from what the models changed
python -m xinfang.<service> db ALEMBIC-ARGS...   any Alembic command on the service's database,
                                                 e.g. `db current`, `db history`, `db downgrade -1`
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from alembic import command
from alembic.config import CommandLine

from xinfang.common.db import Database
from xinfang.common.migrations import (
    alembic_config,
    current_revision,
    generate_revision,
    heads,
    prepare_schema,
)


def add_migration_commands(commands: Any) -> None:
    """Add `migrate`, `revision` and `db` to a service's argparse subcommands."""
    migrate = commands.add_parser(
        "migrate",
        help="upgrade the database to the newest revision; adopts a database the old create_all "
        "start-up made",
    )
    migrate.add_argument(
        "--sql", action="store_true", help="print the SQL from an empty database to head instead"
    )
    revision = commands.add_parser(
        "revision", help="write a revision with what the models changed since the newest one"
    )
    revision.add_argument("-m", "--message", required=True, help="what changed, in a few words")
    db = commands.add_parser(
        "db", help="an Alembic command on this service's database", add_help=False
    )
    db.add_argument("alembic_args", nargs=argparse.REMAINDER)


def run_migration_command(args: argparse.Namespace, *, service: str, database_url: str) -> None:
    """Run the migration command `args` names against `database_url`."""
    if args.command == "migrate" and args.sql:
        command.upgrade(alembic_config(service, url=database_url), "head", sql=True)
    elif args.command == "migrate":
        revision = asyncio.run(_migrate(database_url, service))
        print(
            f"{service}: database at revision {revision} (head {heads(service)[0]})",
            file=sys.stderr,
        )
    elif args.command == "revision":
        path = generate_revision(service, args.message)
        print(path or f"{service}: the models match the migrations, nothing to write")
    elif args.command == "db":
        _alembic(service, database_url, args.alembic_args)


async def _migrate(database_url: str, service: str) -> str | None:
    db = Database(database_url)
    try:
        await prepare_schema(db, service=service)
        return await current_revision(db, service=service)
    finally:
        await db.dispose()


def _alembic(service: str, database_url: str, argv: list[str]) -> None:
    cli = CommandLine(prog=f"python -m xinfang.{service} db")
    options = cli.parser.parse_args(argv or ["--help"])
    config = alembic_config(service, url=database_url)
    config.cmd_opts = options
    cli.run_cmd(config, options)
