"""Schema migrations per service, with Alembic.

A service keeps its revisions in `xinfang/<service>/migrations/versions/`, beside the
`script.py.mako` they are written from and an `env.py` of three lines calling
`run_environment(service)`. The rest is shared and lives here:

- `schema`: the service's tables (the library's and its own SQLModel models), its version table
  `alembic_version_<service>`, Alembic's configuration without an alembic.ini;
- `runner`: `prepare_schema`, which a service runs at start (and `migrate`), under a lock
  (PostgreSQL's advisory lock `SCHEMA_LOCK`, SQLite's write lock) so instances starting together
  take turns:
  - a fresh database gets the models' tables in one `create_all` and is stamped at head: what
    running every revision gives (each service's drift test proves it on both backends) for a
    fraction of the work;
  - a database made by the old `create_all` start-up (tables, no version table) is adopted:
    stamped at the baseline revision, then upgraded;
  - a database a newer release migrated is left as it is (its revisions only expand the schema);
  - any other is upgraded to head;
- `environment`: the body of every `env.py` (async engine, batch mode so that one revision runs on
  SQLite and PostgreSQL, types rendered as the database sees them);
- `cli`: `migrate`, `revision` and `db` in every service's command line.
"""

from xinfang.common.migrations.environment import run_environment
from xinfang.common.migrations.runner import (
    current_revision,
    downgrade,
    generate_revision,
    prepare_schema,
    schema_drift,
    upgrade,
)
from xinfang.common.migrations.schema import (
    alembic_config,
    baseline,
    has_migrations,
    heads,
    revision_command,
    service_metadata,
    version_table,
)

__all__ = [
    "alembic_config",
    "baseline",
    "current_revision",
    "downgrade",
    "generate_revision",
    "has_migrations",
    "heads",
    "prepare_schema",
    "revision_command",
    "run_environment",
    "schema_drift",
    "service_metadata",
    "upgrade",
    "version_table",
]
