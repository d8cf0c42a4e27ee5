"""Online mode building blocks: connecting, verbatim execution, version checks, rollback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from databases import ScratchDatabase

from offline_sql import db_messages, online
from offline_sql.config import Config
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.errors import DatabaseError, MissingDriverError, UsageError
from offline_sql.online import OnlineRunner, current_heads
from offline_sql.statements import Statement

VT = "mig_version"

# ---- URLs and drivers (no server needed) ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("mysql://u@h/db", "mysql+pymysql://u@h/db"),
        ("mariadb://u@h/db", "mariadb+pymysql://u@h/db"),
        ("mysql+mysqldb://u@h/db", "mysql+mysqldb://u@h/db"),
        ("sqlite:///app.db", "sqlite:///app.db"),
    ],
)
def test_normalize_url_picks_the_supported_driver(url: str, expected: str) -> None:
    assert online.normalize_url(url).render_as_string(hide_password=False) == expected


def test_mask_hides_the_password() -> None:
    masked = db_messages.mask("postgresql://bob:s3cret@db.example/app")
    assert "s3cret" not in masked
    assert masked == "postgresql://bob:***@db.example/app"


def test_invalid_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="invalid database URL"):
        online.make_engine("not a url")


@pytest.mark.parametrize(
    ("url", "module", "extra"),
    [
        ("postgresql://u@localhost/db", "psycopg", "pip install 'mig[postgresql]'"),
        ("mysql://u@localhost/db", "pymysql", "pip install 'mig[mysql]'"),
        ("mariadb://u@localhost/db", "pymysql", "pip install 'mig[mysql]'"),
    ],
)
def test_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, url: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(MissingDriverError) as info:
        online.make_engine(url)
    assert extra in str(info.value)
    assert module in str(info.value)


def test_sqlite_needs_no_driver() -> None:
    engine = online.make_engine("sqlite://")
    engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob:s3cret@127.0.0.1:1/nothing",
        "mysql://bob:s3cret@127.0.0.1:1/nothing",
    ],
)
def test_refused_connection_masks_the_password(url: str) -> None:
    with pytest.raises(DatabaseError) as info, online.connect(url):
        pass  # pragma: no cover
    message = str(info.value)
    assert message.startswith("cannot connect to ")
    assert "s3cret" not in message
    assert "***" in message


def test_unopenable_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/dir/app.db"
    with pytest.raises(DatabaseError, match="unable to open database file"), online.connect(url):
        pass  # pragma: no cover


class _DriverError(Exception):
    pass


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((1146, "Table 'x.t' doesn't exist"), "(1146) Table 'x.t' doesn't exist"),
        (('relation "t" does not exist\nLINE 1: SELECT ...\n ^',), 'relation "t" does not exist'),
        ((), "_DriverError"),
    ],
)
def test_driver_message_is_one_line(args: tuple[object, ...], expected: str) -> None:
    assert db_messages.driver_message(_DriverError(*args)) == expected


# ---- running statements --------------------------------------------------------------------


@pytest.fixture
def db(any_database: ScratchDatabase) -> ScratchDatabase:
    return any_database


@pytest.fixture(
    params=[
        pytest.param("postgresql_database", marks=pytest.mark.postgresql, id="postgresql"),
        pytest.param("sqlite_database", id="sqlite"),
    ]
)
def tdb(request: pytest.FixtureRequest) -> ScratchDatabase:
    """The databases whose DDL is transactional."""
    database: ScratchDatabase = request.getfixturevalue(request.param)
    return database


@pytest.fixture
def conn(db: ScratchDatabase) -> Iterator[sa.Connection]:
    with online.connect(db.url) as connection:
        yield connection


def runner_for(
    conn: sa.Connection, *, transactional_ddl: bool = True, per_migration: bool = False
) -> OnlineRunner:
    return OnlineRunner(
        conn, transactional_ddl=transactional_ddl, per_migration=per_migration, version_table=VT
    )


TRICKY = [
    "50% off",
    "%s and %(name)s and %%",
    ":name and :1 and ?",
    "tab\there",
    'it\'s "quoted"',
    "caf\u00e9 \u2603",
]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.mark.parametrize("text", TRICKY)
def test_statements_execute_verbatim(conn: sa.Connection, text: str) -> None:
    runner = runner_for(conn)
    with runner, runner.revision("r1"):
        runner.execute(Statement("CREATE TABLE t (v VARCHAR(100))"), revision="r1")
        runner.execute(
            Statement(f"INSERT INTO t (v) VALUES ({_literal(text)})", kind="dml"),
            revision="r1",
        )
    assert conn.exec_driver_sql("SELECT v FROM t").scalar_one() == text


def test_failed_statement_names_revision_and_first_line(conn: sa.Connection) -> None:
    runner = runner_for(conn)
    with pytest.raises(DatabaseError) as info, runner, runner.revision("ae10"):
        runner.execute(Statement("SELECT *\nFROM no_such_table"), revision="ae10")
    message = str(info.value)
    assert message.startswith("revision ae10: statement failed: SELECT *: ")
    assert "no_such_table" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "statement",
    [
        Statement("CREATE TABLE skipped (x INTEGER)", online=False),
        Statement("CREATE TABLE skipped (x INTEGER)", kind="client"),
        Statement("CREATE TABLE skipped (x INTEGER)", kind="transaction"),
    ],
)
def test_script_only_statements_are_skipped(conn: sa.Connection, statement: Statement) -> None:
    runner = runner_for(conn)
    with runner:
        runner.execute(statement, revision="r1")
    assert not sa.inspect(conn).has_table("skipped")


# ---- the version table ---------------------------------------------------------------------


def _version_table(conn: sa.Connection, *rows: str) -> None:
    conn.exec_driver_sql(f"CREATE TABLE {VT} (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    for row in rows:
        conn.exec_driver_sql(f"INSERT INTO {VT} (version_num) VALUES ('{row}')")
    conn.commit()


def test_current_heads_without_a_version_table(conn: sa.Connection) -> None:
    assert current_heads(conn, VT) == ()


def test_current_heads_are_sorted(conn: sa.Connection) -> None:
    _version_table(conn, "bbb", "aaa")
    assert current_heads(conn, VT) == ("aaa", "bbb")


def _vstmt(sql: str) -> Statement:
    return Statement(sql, kind="version", table=VT)


@pytest.mark.parametrize(
    ("rows", "sql", "revision", "expected", "message"),
    [
        (
            ("bbb",),
            f"UPDATE {VT} SET version_num='ccc' WHERE version_num='aaa'",
            "ccc",
            ["aaa"],
            "expected aaa, found bbb",
        ),
        (
            (),
            f"DELETE FROM {VT} WHERE version_num='aaa'",
            "aaa",
            ["aaa"],
            "expected aaa, found no revision",
        ),
        (
            ("aaa",),
            f"INSERT INTO {VT} (version_num) VALUES ('aaa')",
            "aaa",
            [],
            "expected no revision, found aaa",
        ),
    ],
)
def test_version_mismatch(
    conn: sa.Connection,
    rows: tuple[str, ...],
    sql: str,
    revision: str,
    expected: list[str],
    message: str,
) -> None:
    _version_table(conn, *rows)
    runner = runner_for(conn)
    with pytest.raises(DatabaseError) as info, runner:
        runner.execute(_vstmt(sql), revision=revision, expected=expected)
    assert f"revision {revision}: database is not at the expected revision: {message}" == str(
        info.value
    )


def test_version_update_that_matches(conn: sa.Connection) -> None:
    _version_table(conn, "aaa")
    runner = runner_for(conn)
    with runner:
        runner.execute(
            _vstmt(f"UPDATE {VT} SET version_num='bbb' WHERE version_num='aaa'"),
            revision="bbb",
            expected=["aaa"],
        )
    assert current_heads(conn, VT) == ("bbb",)


# ---- transactions --------------------------------------------------------------------------


def _run_two_revisions(runner: OnlineRunner, *, fail_second: bool) -> None:
    """r1 creates t1 and the version row; r2 creates t2 then (optionally) fails."""
    with runner:
        with runner.revision("r1"):
            runner.execute(Statement("CREATE TABLE t1 (x INTEGER)"), revision="r1")
            runner.execute(
                _vstmt(f"CREATE TABLE {VT} (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"),
                revision="r1",
            )
            runner.execute(_vstmt(f"INSERT INTO {VT} (version_num) VALUES ('r1')"), revision="r1")
        with runner.revision("r2"):
            runner.execute(Statement("CREATE TABLE t2 (x INTEGER)"), revision="r2")
            runner.execute(
                _vstmt(f"UPDATE {VT} SET version_num='r2' WHERE version_num='r1'"),
                revision="r2",
                expected=["r1"],
            )
            if fail_second:
                runner.execute(Statement("INSERT INTO no_such_table VALUES (1)"), revision="r2")


def _tables(db: ScratchDatabase) -> set[str]:
    return set(sa.inspect(db.engine()).get_table_names())


def _heads(db: ScratchDatabase) -> tuple[str, ...]:
    with online.connect(db.url) as connection:
        return current_heads(connection, VT)


def test_successful_run_commits(db: ScratchDatabase) -> None:
    with online.connect(db.url) as connection:
        _run_two_revisions(runner_for(connection), fail_second=False)
    assert {"t1", "t2", VT} <= _tables(db)
    assert _heads(db) == ("r2",)


def test_failed_run_rolls_everything_back(tdb: ScratchDatabase) -> None:
    with online.connect(tdb.url) as connection, pytest.raises(DatabaseError):
        _run_two_revisions(runner_for(connection), fail_second=True)
    assert _tables(tdb) == set()
    assert _heads(tdb) == ()


def test_failed_run_per_migration_keeps_earlier_revisions(tdb: ScratchDatabase) -> None:
    with online.connect(tdb.url) as connection, pytest.raises(DatabaseError):
        _run_two_revisions(runner_for(connection, per_migration=True), fail_second=True)
    assert _tables(tdb) == {"t1", VT}
    assert _heads(tdb) == ("r1",)


def test_non_transactional_database_says_where_it_stopped(
    mariadb_database: ScratchDatabase,
) -> None:
    """MariaDB commits each DDL: the version row must still name the last whole revision."""
    with online.connect(mariadb_database.url) as connection, pytest.raises(DatabaseError):
        runner = runner_for(connection, transactional_ddl=False)
        _run_two_revisions(runner, fail_second=True)
    assert _heads(mariadb_database) == ("r1",)
    assert "t1" in _tables(mariadb_database)


OUTSIDE_TRANSACTION = {
    "postgresql": "CREATE INDEX CONCURRENTLY ix_t_x ON t (x)",
    "sqlite": "VACUUM",
}
"""Statements each database refuses inside a transaction block."""


def test_statement_outside_transaction(tdb: ScratchDatabase) -> None:
    """Run in autocommit between the statements around it, which still commit."""
    with online.connect(tdb.url) as connection:
        runner = runner_for(connection)
        with runner, runner.revision("r1"):
            runner.execute(Statement("CREATE TABLE t (x INTEGER)"), revision="r1")
            runner.execute(
                Statement(OUTSIDE_TRANSACTION[tdb.dialect], transactional=False), revision="r1"
            )
            runner.execute(Statement("INSERT INTO t VALUES (1)", kind="dml"), revision="r1")
    with online.connect(tdb.url) as connection:
        assert connection.exec_driver_sql("SELECT x FROM t").scalar_one() == 1


def test_index_built_concurrently(postgresql_database: ScratchDatabase) -> None:
    with online.connect(postgresql_database.url) as connection:
        runner = runner_for(connection)
        with runner, runner.revision("r1"):
            runner.execute(Statement("CREATE TABLE t (x INTEGER)"), revision="r1")
            runner.execute(
                Statement(OUTSIDE_TRANSACTION["postgresql"], transactional=False), revision="r1"
            )
    indexes = sa.inspect(postgresql_database.engine()).get_indexes("t")
    assert [ix["name"] for ix in indexes] == ["ix_t_x"]


# ---- open_runner ---------------------------------------------------------------------------


def test_open_runner_uses_the_dialect_and_config(db: ScratchDatabase, tmp_path: Path) -> None:
    url = db.url.render_as_string(hide_password=False)
    config = Config(
        script_location=tmp_path,
        config_file=tmp_path / "mig.toml",
        url=url,
        version_table="custom_versions",
    )
    dialect = get_dialect(db.dialect)
    runner = online.open_runner(url, dialect, config)
    try:
        assert runner.version_table == "custom_versions"
        # Non-transactional DDL forces a commit per revision (the version row keeps up).
        assert runner.per_migration is (not dialect.transactional_ddl)
        assert runner.current_heads() == ()
    finally:
        runner.close()


def test_open_runner_without_url(tmp_path: Path) -> None:
    config = Config(script_location=tmp_path, config_file=tmp_path / "mig.toml")
    with pytest.raises(UsageError, match="--sql"):
        online.open_runner("", get_dialect("sqlite"), config)


@pytest.mark.parametrize(
    ("dialect", "url"),
    [("postgresql", "sqlite://"), ("sqlite", "mysql://u@localhost/db"), ("mysql", "postgres://h/db")],
)
def test_open_runner_refuses_a_url_of_another_database(
    tmp_path: Path, dialect: str, url: str
) -> None:
    """SQL rendered for one database is never run on another (it would half-apply)."""
    config = Config(script_location=tmp_path, config_file=tmp_path / "mig.toml", url=url)
    with pytest.raises(UsageError, match=f"the dialect is {dialect} but the URL"):
        online.open_runner(url, get_dialect(dialect), config)


def test_open_runner_accepts_a_mysql_url_for_mariadb(tmp_path: Path) -> None:
    """MariaDB is reached with mysql:// URLs too (same SQLAlchemy dialect package)."""
    url = "mysql+pymysql://root@127.0.0.1:1/nothing"
    config = Config(script_location=tmp_path, config_file=tmp_path / "mig.toml", url=url)
    with pytest.raises(DatabaseError, match="cannot connect"):
        online.open_runner(url, get_dialect("mariadb"), config)
