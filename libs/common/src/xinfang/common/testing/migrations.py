"""The migration tests every service runs on its own schema, on SQLite and PostgreSQL:

    from xinfang.common.testing.migrations import MigrationContract

    class TestIntakeMigrations(MigrationContract):
        service = "intake"

The drift test fails when a model changed without a revision, and says which command writes it.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from sqlalchemy import inspect, text

from xinfang.common.db import Database
from xinfang.common.migrations import (
    baseline,
    current_revision,
    downgrade,
    heads,
    prepare_schema,
    revision_command,
    schema_drift,
    upgrade,
    version_table,
)
from xinfang.common.migrations.cli import run_migration_command


def drift_message(service: str, drift: list[Any]) -> str:
    """What a developer reads when the models and the migrations disagree."""
    lines = "\n".join(f"    {describe(difference)}" for difference in drift)
    return (
        f"{service}'s models differ from its migrations:\n{lines}\n"
        f"Write the missing revision, at the repository root:\n"
        f"    {revision_command(service)}\n"
        f"then read it, run this test again, and commit the revision with the model change."
    )


def describe(difference: Any) -> str:
    """One of `compare_metadata`'s differences in a line: the operation and what it names."""
    if isinstance(difference, list):
        return "; ".join(describe(d) for d in difference)
    operation, *objects = difference
    named = [
        str(getattr(o, "name", o)) for o in objects if o is not None and not isinstance(o, dict)
    ]
    return " ".join([operation, *named])


async def table_names(db: Database) -> set[str]:
    """The tables the database holds."""
    async with db.engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


class MigrationContract:
    """Tests of one service's migrations; a subclass names the service."""

    service: ClassVar[str]

    @pytest.fixture
    async def db(self, database_url: str) -> Any:
        database = Database(database_url)
        yield database
        await database.dispose()

    async def test_the_revisions_bring_an_empty_database_to_exactly_the_models_schema(
        self, db: Database
    ) -> None:
        await upgrade(db, service=self.service)

        drift = await schema_drift(db, service=self.service)
        assert drift == [], drift_message(self.service, drift)
        assert await current_revision(db, service=self.service) == heads(self.service)[0]

    async def test_a_fresh_database_prepared_at_start_is_the_same_as_one_migrated(
        self, db: Database
    ) -> None:
        await prepare_schema(db, service=self.service)

        drift = await schema_drift(db, service=self.service)
        assert drift == [], drift_message(self.service, drift)
        assert await current_revision(db, service=self.service) == heads(self.service)[0]

    def test_the_revisions_form_one_line_with_one_head(self) -> None:
        assert len(heads(self.service)) == 1, (
            f"{self.service} has several head revisions {heads(self.service)}: two revisions were "
            "written from the same parent. Point the newer one's down_revision at the other."
        )

    async def test_a_database_made_by_the_old_create_all_is_adopted_and_keeps_its_rows(
        self, db: Database
    ) -> None:
        await _as_the_old_create_all_made_it(db, self.service)
        await _insert_an_outbox_event(db)

        await prepare_schema(db, service=self.service)

        assert await _outbox_event_ids(db) == ["adopted-1"]
        assert await current_revision(db, service=self.service) == heads(self.service)[0]
        drift = await schema_drift(db, service=self.service)
        assert drift == [], drift_message(self.service, drift)

    async def test_a_database_is_upgraded_then_downgraded_to_empty_and_upgraded_again(
        self, db: Database
    ) -> None:
        await upgrade(db, service=self.service)
        await downgrade(db, service=self.service, revision="base")

        assert await table_names(db) == {version_table(self.service)}
        assert await current_revision(db, service=self.service) is None
        await upgrade(db, service=self.service)
        drift = await schema_drift(db, service=self.service)
        assert drift == [], drift_message(self.service, drift)

    async def test_a_restart_on_a_database_at_head_changes_nothing(self, db: Database) -> None:
        await prepare_schema(db, service=self.service)
        await _insert_an_outbox_event(db)

        await prepare_schema(db, service=self.service)

        assert await _outbox_event_ids(db) == ["adopted-1"]
        assert await current_revision(db, service=self.service) == heads(self.service)[0]

    async def test_a_database_a_newer_release_migrated_is_left_as_it_is_at_start(
        self, db: Database
    ) -> None:
        await prepare_schema(db, service=self.service)
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    f"UPDATE {version_table(self.service)} SET version_num = 'from_a_newer_release'"
                )
            )

        await prepare_schema(db, service=self.service)

        assert await current_revision(db, service=self.service) == "from_a_newer_release"

    async def test_instances_starting_together_on_a_fresh_database_all_succeed(
        self, database_url: str
    ) -> None:
        instances = [Database(database_url) for _ in range(3)]
        try:
            results = await asyncio.gather(
                *(prepare_schema(db, service=self.service) for db in instances),
                return_exceptions=True,
            )
            assert [r for r in results if isinstance(r, BaseException)] == []
            assert await schema_drift(instances[0], service=self.service) == []
        finally:
            for db in instances:
                await db.dispose()

    def test_migrate_sql_prints_the_schema_for_an_operator_to_read(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        args = argparse.Namespace(command="migrate", sql=True)
        url = "postgresql+asyncpg://xinfang@db.invalid/xinfang"

        run_migration_command(args, service=self.service, database_url=url)

        sql = capsys.readouterr().out
        assert "CREATE TABLE outbox" in sql
        stamp = f"INSERT INTO {version_table(self.service)} (version_num) VALUES"
        assert f"{stamp} ('{baseline(self.service)}')" in sql


async def _as_the_old_create_all_made_it(db: Database, service: str) -> None:
    # The baseline is what create_all made (its drift test said so when it was written); the
    # old start-up wrote no version table.
    await upgrade(db, service=service, revision=baseline(service))
    async with db.engine.begin() as connection:
        await connection.execute(text(f"DROP TABLE {version_table(service)}"))


async def _insert_an_outbox_event(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO outbox (event_id, type, subject, payload, created_at) "
                "VALUES ('adopted-1', 't', 's', '{}', :now)"
            ),
            {"now": datetime.now(UTC).replace(tzinfo=None)},
        )


async def _outbox_event_ids(db: Database) -> list[str]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(text("SELECT event_id FROM outbox"))
        return [row[0] for row in rows]
