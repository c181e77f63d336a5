"""The Alembic migrations build exactly the schema the ORM models describe."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.sql.engine import create_engine
from storage.sql.tables import Base
from tests.conftest import SQL_CASES


def schema_differences(url: str) -> list[object]:
    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async def run() -> list[object]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.mark.parametrize("case_id", [c.id for c in SQL_CASES])
def test_migrated_schema_matches_models(case_id: str, database_urls: dict[str, str]) -> None:
    assert schema_differences(database_urls[case_id]) == []
