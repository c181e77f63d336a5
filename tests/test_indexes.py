"""Indexes are derived from the declarations on every store, and serve what they claim.

``Listing.indexes(engine)`` says which indexes each engine keeps and
``Filter.index_on`` which filter each one serves. Checked here against the
databases themselves:

- each store holds exactly the derived indexes (plus, on SQL, one per
  foreign key no other index leads): nothing missing, nothing stale;
- PostgreSQL's planner uses them: every filter an index serves there runs
  as an index scan (sequential scans disabled, so the question is "can it",
  not "does it pay on ten rows"), the substring ones through their trigram
  indexes; SQLite's planner likewise, and it reads the whole table for the
  substring filters, as their declaration says no index of its serves them.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from storage.mongo.queries import stored
from storage.sql.engine import create_engine
from storage.sql.queries import parameters, where
from storage.types import DECLARED, LISTINGS, Listing
from storage.types.schema import ENGINES, Engine, Filter
from tests.conftest import ENABLED, BackendCase
from tests.test_declarations import QUERIES, SAMPLES, SQL_COLUMNS
from tests.test_migrations import on_connection

pytestmark = pytest.mark.anyio

ENGINE: dict[str, Engine] = {
    "sqlite": "sqlite",
    "postgres": "postgresql",
    "mariadb": "mysql",
    "mongo": "mongodb",
}


@dataclass(frozen=True)
class Found:
    """One index as a database reports it."""

    table: str
    columns: tuple[str, ...]
    unique: bool
    trigram: bool = False


def expected(engine: Engine) -> set[Found]:
    """The indexes ``engine`` must hold for the declarations, as the database names fields."""
    tie = "_id" if engine == "mongodb" else "id"
    name = stored if engine == "mongodb" else (lambda field: field)
    found = set()
    for listing in DECLARED:
        if engine == "mongodb" and listing.resource == "tags":
            continue  # no collection: the posts' tags arrays (the posts' "tag" filter)
        for index in listing.indexes(engine):
            if engine != "mongodb" and index.field == "tags":
                # A table of its own, found through the tag's name (unique) then
                # its links by tag: the foreign key's index.
                found.add(Found("post_tags", ("tag_id",), False))
                continue
            field = name(index.field)
            if index.unique or index.kind == "trigram":
                columns: tuple[str, ...] = (field,)
            else:
                columns = (field, tie)
            found.add(Found(listing.resource, columns, index.unique, index.kind == "trigram"))
    return found


def sql_indexes(url: str) -> tuple[set[Found], set[Found]]:
    """Every index and unique constraint of the database, and the foreign keys' own indexes."""

    def read(connection: Connection) -> tuple[set[Found], set[Found]]:
        inspector = inspect(connection)
        found: set[Found] = set()
        references: set[Found] = set()
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            for index in inspector.get_indexes(table):
                using = index.get("dialect_options", {}).get("postgresql_using")
                columns = tuple(str(column) for column in index["column_names"])
                found.add(Found(table, columns, bool(index["unique"]), using == "gin"))
            for unique in inspector.get_unique_constraints(table):
                found.add(Found(table, tuple(unique["column_names"]), True))
            primary = inspector.get_pk_constraint(table)["constrained_columns"]
            for key in inspector.get_foreign_keys(table):
                column = key["constrained_columns"][0]
                if primary[:1] != [column]:
                    references.add(Found(table, (column,), False))
        return found, references

    return on_connection(url, read)


async def mongo_indexes(url: str) -> set[Found]:
    from storage.mongo.connection import connect

    connection = connect(url)
    try:
        found = set()
        for collection in ("users", "posts", "categories", "products", "orders", "pictures"):
            for name, spec in (await connection.db[collection].index_information()).items():
                if name != "_id_":
                    columns = tuple(key for key, _ in spec["key"])
                    found.add(Found(collection, columns, bool(spec.get("unique"))))
        return found
    finally:
        await connection.close()


@pytest.mark.parametrize("case", ENABLED, ids=[case.id for case in ENABLED])
async def test_each_store_holds_exactly_the_declared_indexes(
    case: BackendCase, database_urls: dict[str, str]
) -> None:
    url = database_urls[case.id]
    engine = ENGINE[case.id]
    if case.backend == "sql":
        found, references = await asyncio.to_thread(sql_indexes, url)
    else:
        found, references = await mongo_indexes(url), set()
    wanted = expected(engine)
    assert wanted - found == set(), "declared but missing"
    assert found - wanted - references == set(), "held but not declared"
    if engine == "postgresql":
        assert any(index.trigram for index in found)


def test_every_engine_is_told_how_each_filter_is_served() -> None:
    # Comparisons are B-tree seeks everywhere; substring search is the one that differs.
    for listing in LISTINGS:
        for filter_ in listing.filters:
            kinds = {engine: filter_.index_on(engine) for engine in ENGINES}
            if filter_.op != "contains":
                assert set(kinds.values()) == {"btree"}, (listing.resource, filter_.param)
            elif filter_.index is None:
                assert kinds == {
                    "postgresql": "trigram",
                    "mongodb": "btree",
                    "sqlite": None,
                    "mysql": None,
                }


def sample(filter_: Filter, resource: str) -> Any:
    """A value of the filter's parameter; for substring filters, one trigrams can seek."""
    if filter_.op == "contains":
        return "istanbul"
    return SAMPLES[resource][filter_.param][0]


def filtered(listing: Listing, filter_: Filter) -> Any:
    """The statement a list runs for one filter alone (ids only), built as the store builds it."""
    query = QUERIES[listing.resource].model_validate(
        {filter_.param: sample(filter_, listing.resource)}
    )
    columns = SQL_COLUMNS[listing.resource]
    # where() gives one clause per condition; keep this filter's (products' default
    # "deleted=exclude" would otherwise let the planner seek by deleted_at).
    clauses = [
        clause
        for (condition, _), clause in zip(query.conditions(), where(query, columns), strict=True)
        if condition is filter_
    ]
    return select(columns["id"]).where(*clauses).params(parameters(query))


def plans(url: str, statements: list[Any], before: str | None, explain: str) -> list[str]:
    """The query plan of each statement, as text."""

    async def run() -> list[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                if before:
                    await conn.execute(text(before))
                found = []
                for statement in statements:
                    sql = statement.compile(
                        dialect=engine.dialect, compile_kwargs={"literal_binds": True}
                    )
                    rows = (await conn.execute(text(f"{explain} {sql}"))).all()
                    found.append("\n".join(" ".join(map(str, row)) for row in rows))
                await conn.rollback()
                return found
        finally:
            await engine.dispose()

    return asyncio.run(run())


def table_read_in_full(engine: Engine, table: str, plan: str) -> bool:
    """Whether ``plan`` reads ``table`` row by row rather than seeking an index."""
    if engine == "sqlite":
        # "SCAN users" reads the table; "SEARCH users USING INDEX ..." seeks.
        return re.search(rf"SCAN {table}$", plan, re.MULTILINE) is not None
    return re.search(rf"Seq Scan on {table}\b", plan) is not None


# How to ask each planner: PostgreSQL with sequential scans priced out, so the
# plan says whether an index *can* serve the filter on a near-empty table.
PLANNERS = {
    "sqlite": (None, "EXPLAIN QUERY PLAN"),
    "postgres": ("SET LOCAL enable_seqscan = off", "EXPLAIN"),
}


@pytest.mark.parametrize("case_id", [case.id for case in ENABLED if case.id in PLANNERS])
def test_the_planner_seeks_served_filters_and_reads_the_table_for_the_others(
    case_id: str, database_urls: dict[str, str]
) -> None:
    engine = ENGINE[case_id]
    cases = [
        (listing, filter_)
        for listing in LISTINGS
        for filter_ in listing.filters
        if listing.resource in SQL_COLUMNS
    ]
    found = plans(
        database_urls[case_id],
        [filtered(listing, filter_) for listing, filter_ in cases],
        *PLANNERS[case_id],
    )
    for (listing, filter_), plan in zip(cases, found, strict=True):
        served = filter_.index_on(engine)
        assert table_read_in_full(engine, listing.resource, plan) == (served is None), (
            listing.resource,
            filter_.param,
            plan,
        )
        if served == "trigram":
            for field in filter_.fields:
                assert f"ix_{listing.resource}_{field}_trgm" in plan, plan
