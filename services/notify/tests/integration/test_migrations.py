"""Notify's migrations: the drift test, adoption of a create_all database, downgrade, and
instances migrating together (`xinfang.common.testing.migrations`)."""

from xinfang.common.testing.migrations import MigrationContract


class TestNotifyMigrations(MigrationContract):
    service = "notify"
