"""The body of every service's migrations `env.py`."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

from xinfang.common.db import Database, UTCDateTime
from xinfang.common.migrations.runner import with_schema_lock
from xinfang.common.migrations.schema import context_options, service_metadata


def run_environment(service: str) -> None:
    """The body of every service's `env.py`: run what Alembic was asked, online or as SQL."""
    from alembic import context

    config = context.config
    options = context_options(service) | {
        "target_metadata": service_metadata(service),
        "render_as_batch": True,
        "render_item": _render_item,
        "process_revision_directives": _skip_empty if config.attributes.get("skip_empty") else None,
    }
    if context.is_offline_mode():
        context.configure(url=_url(config), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_online(_url(config), options))
    else:
        _run_migrations(connection, options)


def _url(config: Config) -> str:
    url = config.attributes.get("url")
    if not url:
        raise RuntimeError("no database URL given to the migrations")
    return str(url)


async def _run_online(url: str, options: dict[str, Any]) -> None:
    db = Database(url)
    try:
        await with_schema_lock(db, _run_migrations, options)
    finally:
        await db.dispose()


def _run_migrations(connection: Connection, options: dict[str, Any]) -> None:
    from alembic import context

    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()


def _render_item(type_: str, item: Any, _: Any) -> str | bool:
    # Revisions describe the schema, not the code: the column types the database sees.
    if type_ != "type":
        return False
    if isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(item, AutoString):
        length = getattr(item.impl_instance, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def _skip_empty(_: Any, __: Any, directives: list[Any]) -> None:
    if directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []
