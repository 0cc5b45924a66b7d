"""A service's schema as Alembic sees it: its tables, its version table, its revisions."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

VERSION_TABLE_PREFIX = "alembic_version_"


def version_table(service: str) -> str:
    """Alembic's version table of one service."""
    return f"{VERSION_TABLE_PREFIX}{service}"


def revision_command(service: str) -> str:
    """The command that writes a revision with what the models changed since head."""
    return f'uv run python -m xinfang.{service} revision -m "<what changed>"'


def has_migrations(service: str) -> bool:
    """True when `xinfang.<service>` ships a migrations directory (the library's own test apps
    do not)."""
    try:
        spec = importlib.util.find_spec(f"xinfang.{service}")
    except ModuleNotFoundError:
        return False
    locations = spec.submodule_search_locations if spec else None
    return any(Path(location, "migrations", "env.py").is_file() for location in locations or [])


def service_metadata(service: str) -> MetaData:
    """The tables of a service's database: the library's and the service's own models (those
    imported so far; `env.py` imports the service's app module, which defines them all)."""
    owners = ("xinfang.common.", f"xinfang.{service}.")
    mappers = SQLModel._sa_registry.mappers  # type: ignore[attr-defined]
    tables: list[Any] = [m.local_table for m in mappers if m.class_.__module__.startswith(owners)]
    return _metadata_of(tuple(sorted(tables, key=lambda t: t.name)))


@functools.cache
def _metadata_of(tables: tuple[Any, ...]) -> MetaData:
    metadata = MetaData()
    for table in tables:
        table.to_metadata(metadata)
    return metadata


def alembic_config(
    service: str, *, url: str | None = None, connection: Connection | None = None
) -> Config:
    """Alembic's configuration for one service, with no alembic.ini: revisions in
    `xinfang/<service>/migrations`, run on `connection` if given, else on `url`."""
    config = Config()
    config.set_main_option("script_location", f"xinfang.{service}:migrations")
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes.update(service=service, url=url, connection=connection)
    return config


def stamp(connection: Connection, service: str, revision: str) -> None:
    """Record `revision` as the database's without running anything."""
    context = MigrationContext.configure(connection, opts=context_options(service))
    context.stamp(script_of(service), revision)


def current_of(connection: Connection, service: str) -> str | None:
    """The revision the database is at; None when it has none."""
    context = MigrationContext.configure(connection, opts=context_options(service))
    return context.get_current_revision()


def knows(service: str, revision: str) -> bool:
    """True when `revision` is one of this version's revisions."""
    try:
        return script_of(service).get_revision(revision) is not None
    except CommandError:
        return False


@functools.cache
def script_of(service: str) -> ScriptDirectory:
    """The service's revisions, read once: the files of a running process do not change."""
    return ScriptDirectory.from_config(alembic_config(service))


def baseline(service: str) -> str:
    """The first revision: the tables as the old `create_all` start-up made them."""
    base = script_of(service).get_base()
    if base is None:
        raise RuntimeError(f"xinfang.{service} has no baseline revision")
    return base


def heads(service: str) -> tuple[str, ...]:
    """The service's head revisions (one, unless two branches were written in parallel)."""
    return tuple(script_of(service).get_heads())


def context_options(service: str) -> dict[str, Any]:
    """Alembic's options for this service's database, for running and for comparing."""
    return {
        "version_table": version_table(service),
        "compare_type": True,
        "compare_server_default": True,
        "include_name": _not_another_version_table(service),
    }


def _not_another_version_table(service: str) -> Any:
    def include(name: str | None, type_: str, _: Any) -> bool:
        is_version_table = bool(name and name.startswith(VERSION_TABLE_PREFIX))
        return not (type_ == "table" and is_version_table and name != version_table(service))

    return include
