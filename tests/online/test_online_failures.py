"""A revision the server refuses: where online mode leaves the database, and what it says.

The project has two revisions; the second creates a table and then creates the first
revision's table again, which every database refuses. Online mode must

* name the revision and the statement in its one-line error;
* on PostgreSQL and SQLite (transactional DDL) leave the database at a revision: the one
  before the failure with ``transaction_per_migration``, where the run started otherwise,
  with the schema to match (the second revision's new table is gone);
* on MariaDB (every DDL commits) leave the version row at the last revision that completed,
  so the database says where it stopped, and the "in progress" row of the failed one
  (``~<revision>``, see tests/online/test_half_applied.py) so no run starts it again over its half.

The offline script of the same range, applied with the database's own client, must stop
in the same place: the two modes fail alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databases import DIALECTS, DatabasePool, DialectName, ScratchDatabase, ScriptFailed
from offline_online import MARKS, cli_script, write_project
from reflection import snapshot
from scenario_intent import differences, observe

from offline_sql import migrate, records
from offline_sql.config import Config, load_config
from offline_sql.errors import DatabaseError

FIRST, SECOND = "f10000000001", "f10000000002"

BODIES = {
    FIRST: '    op.create_table("first_table", sa.Column("id", sa.Integer, primary_key=True))',
    SECOND: (
        '    op.create_table("second_table", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.create_table("first_table", sa.Column("id", sa.Integer, primary_key=True))'
    ),
}

TRANSACTIONAL = {"postgresql": True, "mariadb": False, "sqlite": True}
"""Whether the database rolls DDL back (MariaDB commits every DDL statement)."""

HALF_APPLIED = f"~{SECOND}"
"""The row marking the failed revision in progress, where DDL is not transactional."""


def after_failure(dialect: DialectName, *completed: str) -> list[str]:
    """The version rows after the second revision failed: the completed revisions, and the
    failed revision's "in progress" row where DDL commits on its own."""
    return sorted([*completed, *([] if TRANSACTIONAL[dialect] else [HALF_APPLIED])])


def write_failing_project(root: Path, per_migration: bool) -> Path:
    setting = "true" if per_migration else "false"
    return write_project(root, list(BODIES.items()), f"transaction_per_migration = {setting}\n")


def online(config_file: Path, database: ScratchDatabase) -> Config:
    config = load_config(config_file, dialect=database.dialect)
    return records.replace(config, url=database.url.render_as_string(hide_password=False))


def tables(database: ScratchDatabase) -> list[str]:
    return sorted(snapshot(database.engine())["tables"])


def versions(database: ScratchDatabase) -> list[str] | None:
    found: list[str] | None = snapshot(database.engine())["versions"]
    return found


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabasePool]:
    databases = DatabasePool(tmp_path_factory.mktemp("failures"))
    try:
        yield databases
    finally:
        databases.close()


def _params() -> list[Any]:
    return [
        pytest.param(
            dialect,
            per_migration,
            marks=MARKS.get(dialect, ()),
            id=f"{dialect}-{'per_migration' if per_migration else 'one_transaction'}",
        )
        for dialect in DIALECTS
        for per_migration in (False, True)
    ]


@pytest.mark.parametrize(("dialect", "per_migration"), _params())
def test_the_error_names_the_revision_and_the_statement(
    pool: DatabasePool, tmp_path: Path, dialect: DialectName, per_migration: bool
) -> None:
    (database,) = pool.take(dialect, 1)
    config = online(write_failing_project(tmp_path, per_migration), database)
    with pytest.raises(DatabaseError) as info:
        migrate.upgrade(config, "head")
    message = str(info.value)
    assert f"revision {SECOND}" in message
    assert "CREATE TABLE first_table" in message
    assert "\n" not in message


@pytest.mark.parametrize(("dialect", "per_migration"), _params())
def test_a_failure_after_a_completed_run_leaves_the_previous_revision(
    pool: DatabasePool, tmp_path: Path, dialect: DialectName, per_migration: bool
) -> None:
    """The database was at the first revision; upgrading to head fails in the second."""
    (database,) = pool.take(dialect, 1)
    config = online(write_failing_project(tmp_path, per_migration), database)
    migrate.upgrade(config, FIRST)
    with pytest.raises(DatabaseError):
        migrate.upgrade(config, "head")
    assert versions(database) == after_failure(dialect, FIRST)
    expected = ["first_table", "mig_version"]
    if not TRANSACTIONAL[dialect]:
        expected = ["first_table", "mig_version", "second_table"]  # committed DDL stays
    assert tables(database) == expected


@pytest.mark.parametrize(("dialect", "per_migration"), _params())
def test_a_failure_in_a_run_from_base(
    pool: DatabasePool, tmp_path: Path, dialect: DialectName, per_migration: bool
) -> None:
    """From an empty database: per migration (and always on MariaDB) the first revision
    stays applied and recorded; in one transaction nothing stays."""
    (database,) = pool.take(dialect, 1)
    config = online(write_failing_project(tmp_path, per_migration), database)
    with pytest.raises(DatabaseError):
        migrate.upgrade(config, "head")
    if TRANSACTIONAL[dialect] and not per_migration:
        assert tables(database) == []
        return
    assert versions(database) == after_failure(dialect, FIRST)
    second = [] if TRANSACTIONAL[dialect] else ["second_table"]
    assert tables(database) == ["first_table", "mig_version", *second]


@pytest.mark.parametrize(("dialect", "per_migration"), _params())
def test_the_offline_script_stops_where_online_mode_stops(
    pool: DatabasePool, tmp_path: Path, dialect: DialectName, per_migration: bool
) -> None:
    offline_db, online_db = pool.take(dialect, 2)
    config_file = write_failing_project(tmp_path, per_migration)
    with pytest.raises(ScriptFailed):
        offline_db.apply_script(cli_script(config_file, dialect, "upgrade", "base:head"))
    with pytest.raises(DatabaseError):
        migrate.upgrade(online(config_file, online_db), "head")
    config = load_config(config_file, dialect=dialect)
    found = differences(
        observe(offline_db.engine(), config),
        observe(online_db.engine(), config),
        ("offline", "online"),
    )
    assert found == []
