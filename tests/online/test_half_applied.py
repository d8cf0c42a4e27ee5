"""A block that stopped part-way on MySQL/MariaDB stops every later run until it is resolved.

MariaDB commits each DDL statement, so a revision whose second statement fails keeps its
first one while the version table still names the revision before it: before the "in
progress" row, running the script again passed the guard and started the block over its
own half. With the row (``~<revision>``, see ``offline_sql/progress.py``):

* the re-run stops at the guard, with the ``mariadb`` client, naming the revision;
* online mode refuses to start and ``mig current`` says the revision is half-applied;
* after the resume steps of the script's header, the script applies and no marker is left;
* a successful run leaves no marker; other databases' guards never take a marker for a
  revision.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from databases import DialectName, ScratchDatabase, ScriptFailed, scratch_database
from offline_online import cli_script, online_config, write_project

from offline_sql import migrate
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.errors import DatabaseError, RenderError
from offline_sql.frame import RESUME_NOTES, FramedStep, FrameOptions, frame_script
from offline_sql.progress import half_applied_message, marker_for
from offline_sql.statements import Statement

FIRST, SECOND = "h10000000001", "h10000000002"
CREATE_FIRST = '    op.create_table("first_table", sa.Column("id", sa.Integer, primary_key=True))'
CREATE_SECOND = '    op.create_table("second_table", sa.Column("id", sa.Integer, primary_key=True))'
FAILING = [(FIRST, CREATE_FIRST), (SECOND, CREATE_SECOND + "\n" + CREATE_FIRST)]
"""The second revision's second statement creates the first revision's table again."""
FIXED = [(FIRST, CREATE_FIRST), (SECOND, CREATE_SECOND)]

STOPPED = f"mig: {half_applied_message([SECOND])}"


def rows(database: ScratchDatabase) -> list[str]:
    with database.engine().connect() as connection:
        found = connection.exec_driver_sql("SELECT version_num FROM mig_version")
        return sorted(str(row[0]) for row in found)


def tables(database: ScratchDatabase) -> list[str]:
    return sorted(sa.inspect(database.engine()).get_table_names())


@pytest.mark.mysql
@pytest.mark.parametrize("dialect", ["mariadb", "mysql"])
def test_a_rerun_stops_at_the_guard_until_the_block_is_resolved(
    mariadb_database: ScratchDatabase, tmp_path: Path, dialect: str
) -> None:
    """The mysql dialect's guard (``sql_warnings``) runs on MariaDB as in
    tests/per_database/test_guards.py."""
    config = write_project(tmp_path / "failing", FAILING)
    whole = cli_script(config, dialect, "upgrade", "base:head")
    assert "\n".join("-- " + line for line in RESUME_NOTES) in whole

    with pytest.raises(ScriptFailed, match="first_table"):
        mariadb_database.apply_script(whole)
    assert rows(mariadb_database) == [FIRST, marker_for(SECOND, 32)]
    assert tables(mariadb_database) == ["first_table", "mig_version", "second_table"]

    # Again, the block of the second revision alone: its guard stops it before any change.
    block = cli_script(config, dialect, "upgrade", f"{FIRST}:head")
    with pytest.raises(ScriptFailed) as stopped:
        mariadb_database.apply_script(block)
    assert STOPPED in str(stopped.value)
    assert "already exists" not in str(stopped.value)
    # The whole script stops at its first block too, with the same words.
    with pytest.raises(ScriptFailed, match=STOPPED):
        mariadb_database.apply_script(whole)

    # Resume notes, option 3: undo by hand, delete the row, apply again (the fixed script).
    mariadb_database.apply_script(
        f"DROP TABLE second_table;\nDELETE FROM mig_version WHERE version_num = '~{SECOND}';\n"
    )
    fixed = write_project(tmp_path / "fixed", FIXED)
    mariadb_database.apply_script(cli_script(fixed, dialect, "upgrade", f"{FIRST}:head"))
    assert rows(mariadb_database) == [SECOND]
    assert tables(mariadb_database) == ["first_table", "mig_version", "second_table"]


@pytest.mark.mysql
def test_a_successful_script_leaves_no_marker(
    mariadb_database: ScratchDatabase, tmp_path: Path
) -> None:
    config = write_project(tmp_path, FIXED)
    mariadb_database.apply_script(cli_script(config, "mariadb", "upgrade", "base:head"))
    assert rows(mariadb_database) == [SECOND]
    mariadb_database.apply_script(cli_script(config, "mariadb", "downgrade", f"{SECOND}:base"))
    assert rows(mariadb_database) == []


@pytest.mark.mysql
def test_online_mode_marks_refuses_and_current_says_so(
    mariadb_database: ScratchDatabase, tmp_path: Path
) -> None:
    config = online_config(write_project(tmp_path, FAILING), mariadb_database)
    with pytest.raises(DatabaseError):
        migrate.upgrade(config, "head")
    assert rows(mariadb_database) == [FIRST, marker_for(SECOND, 32)]
    with pytest.raises(DatabaseError, match=half_applied_message([SECOND])):
        migrate.upgrade(config, "head")
    assert migrate.current(config) == [
        f"{SECOND} (left half-applied, not at this revision: see the resume notes at the top "
        "of its script)",
        f"{FIRST}",
    ]
    with mariadb_database.engine().begin() as connection:
        connection.exec_driver_sql("DROP TABLE second_table")
        connection.exec_driver_sql(f"DELETE FROM mig_version WHERE version_num = '~{SECOND}'")
    fixed = online_config(write_project(tmp_path / "fixed", FIXED), mariadb_database)
    migrate.upgrade(fixed, "head")
    assert rows(mariadb_database) == [SECOND]


@pytest.mark.parametrize(
    "server", [pytest.param("postgresql", marks=pytest.mark.postgresql), "sqlite"]
)
def test_other_guards_never_take_a_marker_for_a_revision(
    server: DialectName, tmp_path: Path
) -> None:
    """A marker row that found its way into another database's version table (a copied
    table, a hand-made row) is not a revision there either: the guard stops."""
    dialect = get_dialect(server)
    table = "mig_version"
    marker = Statement(f"INSERT INTO {table} (version_num) VALUES ('~{SECOND}')", kind="dml")
    setup = [*dialect.create_version_table(table, None), dialect.insert_version(table, None, FIRST)]
    step = FramedStep(
        revision=SECOND,
        message="",
        direction="up",
        heads_before=(FIRST,),
        heads_after=(SECOND,),
        statements=(Statement("CREATE TABLE second_table (id INTEGER)"),),
        version_statements=(),
        guard=tuple(dialect.guard_statements(table, None, (FIRST,))),
    )
    with scratch_database(server, tmp_path) as database:
        database.apply_script("".join(f"{s.sql};\n" for s in [*setup, marker]))
        with pytest.raises(ScriptFailed, match=f"~{SECOND}"):
            database.apply_script(frame_script(dialect, [step], FrameOptions()))
        assert "second_table" not in tables(database)


@pytest.mark.parametrize("name", NAMES)
def test_a_revision_id_that_reads_as_a_marker_is_refused(name: str) -> None:
    dialect = get_dialect(name)
    with pytest.raises(RenderError, match="'~x' starts with '~'"):
        dialect.insert_version("mig_version", None, "~x")
    with pytest.raises(RenderError, match="'~x' starts with '~'"):
        dialect.update_version("mig_version", None, "a", "~x")


@pytest.mark.parametrize("name", ["postgresql", "sqlite", "mssql", "oracle"])
def test_only_databases_without_transactional_ddl_mark_blocks(name: str) -> None:
    dialect = get_dialect(name)
    assert dialect.progress_markers("mig_version", None, SECOND) == ()
    assert "Resume notes" not in frame_script(dialect, [], FrameOptions())


def test_a_long_revision_id_is_cut_to_the_version_column() -> None:
    assert marker_for("r" * 32, 32) == "~" + "r" * 31
