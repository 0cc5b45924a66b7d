"""Fixtures of the integration tests."""

from collections.abc import AsyncIterator

import pytest

from xinfang.common.db import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A database on each backend (`database_url`) with every table the tests' models declare."""
    database = Database(database_url)
    await database.create_all()
    yield database
    await database.dispose()
