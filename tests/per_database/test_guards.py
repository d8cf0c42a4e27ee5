"""Version guards: the first statements of a revision's block stop the database's own client
unless the version table holds exactly the expected revisions.

Real clients on real databases (psql, mariadb, sqlite3; MySQL's technique runs on MariaDB,
whose client and grammar are the same for it): a script made of the guard and a
``CREATE TABLE marker`` is applied to databases at the expected revision (applies), and at
other revisions, several heads, an empty or missing version table (the client exits
non-zero, the marker is absent, and the output names the revisions found and expected).
SQL Server and Oracle have no server here: their SQL is checked as text and with sqlglot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot
from databases import DialectName, ScratchDatabase, ScriptFailed, scratch_database

from offline_sql.dialect_api.base import Dialect, expected_revisions, guard_message_parts
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.dialects.postgresql.dialect import dollar_quoted
from offline_sql.errors import RenderError
from offline_sql.frame import FramedStep, FrameOptions, frame_script
from offline_sql.statements import Statement

VERSION_TABLE = "mig_version"
MARKER = Statement("CREATE TABLE marker (id INTEGER)", table="marker")


# ---- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A database at ``rows`` (None: no version table at all), a guard for ``expected``."""

    rows: tuple[str, ...] | None
    expected: tuple[str, ...]

    @property
    def passes(self) -> bool:
        return sorted(self.rows or ()) == sorted(self.expected)

    @property
    def found(self) -> str:
        return expected_revisions(self.rows or ())


CASES: dict[str, Case] = {
    "at the expected revision": Case(("ae10",), ("ae10",)),
    "several heads in another insertion order": Case(("b2", "a1"), ("a1", "b2")),
    "code point order, not the locale's": Case(("ab", "a_b", "B"), ("B", "a_b", "ab")),
    "quote, percent and backslash in ids": Case(("it's%\\x",), ("it's%\\x",)),
    "base on an empty version table": Case((), ()),
    "base on a new database": Case(None, ()),
    "one revision behind": Case(("ae10",), ("bf20",)),
    "one revision ahead": Case(("cg30",), ("bf20",)),
    "several heads, one expected": Case(("a1", "b2"), ("a1",)),
    "one head, several expected": Case(("a1",), ("a1", "b2")),
    "empty version table": Case((), ("ae10",)),
    "never migrated, no version table": Case(None, ("ae10",)),
    "base expected, database migrated": Case(("ae10",), ()),
    "case differs": Case(("AE10",), ("ae10",)),
    "quote in a wrong id": Case(("it's",), ("its",)),
}

_MARKS = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mysql}

SERVERS: list[tuple[DialectName, str]] = [
    ("postgresql", "postgresql"),
    ("mariadb", "mariadb"),
    ("mariadb", "mysql"),
    ("sqlite", "sqlite"),
]
"""(server the script runs on, dialect that writes it): MySQL's guard runs on MariaDB."""


@pytest.fixture(
    params=[
        pytest.param(pair, marks=_MARKS.get(pair[0], ()), id=f"{pair[1]}-on-{pair[0]}")
        for pair in SERVERS
    ]
)
def target(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ScratchDatabase, Dialect]]:
    server, dialect = request.param
    with scratch_database(server, tmp_path) as database:
        yield database, get_dialect(dialect)


# ---- helpers ---------------------------------------------------------------------------------


def plain_script(dialect: Dialect, statements: list[Statement]) -> str:
    """Plain statements, each with the dialect's terminator."""
    return "".join(f"{s.sql}{dialect.terminator}\n" for s in statements)


def put_database_at(database: ScratchDatabase, dialect: Dialect, rows: tuple[str, ...]) -> None:
    """Create the version table holding ``rows``, with the database's client."""
    statements = dialect.create_version_table(VERSION_TABLE, None)
    statements += [dialect.insert_version(VERSION_TABLE, None, rev) for rev in rows]
    database.apply_script(plain_script(dialect, statements))


def guarded_script(dialect: Dialect, expected: tuple[str, ...], *steps: Statement) -> str:
    """A script as mig frames it: (version table setup from base,) guard, the marker."""
    setup = () if expected else tuple(dialect.create_version_table(VERSION_TABLE, None))
    step = FramedStep(
        revision="next",
        message="marker",
        direction="up",
        heads_before=expected,
        heads_after=("next",),
        statements=steps or (MARKER,),
        version_statements=(),
        guard=tuple(dialect.guard_statements(VERSION_TABLE, None, expected)),
    )
    return frame_script(dialect, [step], FrameOptions(setup=setup))


def has_marker(database: ScratchDatabase) -> bool:
    return sa.inspect(database.engine()).has_table("marker")


def mismatch_message(case: Case) -> str:
    before, after = guard_message_parts(case.expected)
    return f"{before}{case.found}{after}"


# ---- real clients ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", [c for c in CASES.values() if c.passes], ids=[k for k, c in CASES.items() if c.passes]
)
def test_guard_passes_at_the_expected_revisions(
    target: tuple[ScratchDatabase, Dialect], case: Case
) -> None:
    database, dialect = target
    if case.rows is not None:
        put_database_at(database, dialect, case.rows)
    database.apply_script(guarded_script(dialect, case.expected))
    assert has_marker(database)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES.values() if not c.passes],
    ids=[k for k, c in CASES.items() if not c.passes],
)
def test_guard_stops_the_client_before_any_change(
    target: tuple[ScratchDatabase, Dialect], case: Case
) -> None:
    database, dialect = target
    if case.rows is not None:
        put_database_at(database, dialect, case.rows)
    with pytest.raises(ScriptFailed) as failure:
        database.apply_script(guarded_script(dialect, case.expected))
    assert "exited with 0" not in str(failure.value)
    assert mismatch_message(case) in str(failure.value)
    assert not has_marker(database)


def test_guards_run_twice_in_one_script(target: tuple[ScratchDatabase, Dialect]) -> None:
    """Temporary tables, prepared statements and variables are reused cleanly."""
    database, dialect = target
    put_database_at(database, dialect, ("a1",))
    steps = [
        FramedStep(
            revision=new,
            message="",
            direction="up",
            heads_before=(old,),
            heads_after=(new,),
            statements=(),
            version_statements=(dialect.update_version(VERSION_TABLE, None, old, new),),
            guard=tuple(dialect.guard_statements(VERSION_TABLE, None, (old,))),
        )
        for old, new in (("a1", "b2"), ("b2", "c3"))
    ]
    database.apply_script(frame_script(dialect, steps, FrameOptions()))
    with database.engine().connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").all()
    assert [r[0] for r in rows] == ["c3"]


LINGUISTIC_VERSION_TABLES: dict[DialectName, str] = {
    "postgresql": 'CREATE TABLE mig_version (version_num VARCHAR(32) COLLATE "en-x-icu" NOT NULL)',
    "mariadb": (
        "CREATE TABLE mig_version (version_num VARCHAR(32) "
        "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL)"
    ),
    "sqlite": "CREATE TABLE mig_version (version_num VARCHAR(32) COLLATE NOCASE NOT NULL)",
}
"""Version tables whose collation ignores case or punctuation, as a DBA may have made them."""


@pytest.mark.parametrize(
    "case",
    [Case(("ab", "a_b", "B"), ("B", "a_b", "ab")), Case(("AE10",), ("ae10",))],
    ids=["code point order", "case differs"],
)
def test_guard_ignores_the_columns_collation(
    target: tuple[ScratchDatabase, Dialect], case: Case
) -> None:
    database, dialect = target
    rows = [dialect.insert_version(VERSION_TABLE, None, rev) for rev in case.rows or ()]
    create = Statement(LINGUISTIC_VERSION_TABLES[database.dialect])
    database.apply_script(plain_script(dialect, [create, *rows]))
    script = guarded_script(dialect, case.expected)
    if case.passes:
        database.apply_script(script)
    else:
        with pytest.raises(ScriptFailed, match=re.escape(mismatch_message(case))):
            database.apply_script(script)
    assert has_marker(database) == case.passes


@pytest.mark.postgresql
def test_postgresql_guard_reads_a_schema_qualified_table(
    postgresql_database: ScratchDatabase,
) -> None:
    dialect = get_dialect("postgresql")
    setup = [Statement("CREATE SCHEMA ops")]
    setup += dialect.create_version_table(VERSION_TABLE, "ops")
    setup.append(dialect.insert_version(VERSION_TABLE, "ops", "ae10"))
    postgresql_database.apply_script(plain_script(dialect, setup))
    ok = dialect.guard_statements(VERSION_TABLE, "ops", ("ae10",))
    postgresql_database.apply_script(plain_script(dialect, [*ok, MARKER]))
    assert has_marker(postgresql_database)
    wrong = dialect.guard_statements(VERSION_TABLE, "ops", ("bf20",))
    with pytest.raises(ScriptFailed, match="at revision ae10, expected bf20"):
        postgresql_database.apply_script(plain_script(dialect, wrong))


@pytest.mark.postgresql
def test_postgresql_session_settings_apply(postgresql_database: ScratchDatabase) -> None:
    dialect = get_dialect("postgresql")
    settings = dialect.session_settings("5s", "1min")
    show = Statement(
        "SELECT current_setting('lock_timeout') || ' ' || current_setting('statement_timeout')"
    )
    result = postgresql_database.apply_script(plain_script(dialect, [*settings, show]))
    assert "5s 1min" in result.stdout


# ---- text of every dialect -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "text"),
    [((), "base"), (("b2", "a1"), "a1, b2"), (("a", "B"), "B, a"), (("x",), "x")],
)
def test_expected_revisions_sorted_by_code_point(expected: tuple[str, ...], text: str) -> None:
    assert expected_revisions(expected) == text


@pytest.mark.parametrize("name", NAMES)
def test_guard_statements_are_guards_with_a_note(name: str) -> None:
    statements = get_dialect(name).guard_statements(VERSION_TABLE, None, ("b2", "a1"))
    assert statements and {s.kind for s in statements} == {"guard"}
    assert statements[0].comment is not None and "a1, b2" in statements[0].comment
    assert all(s.comment is None for s in statements[1:])


@pytest.mark.parametrize("name", NAMES)
def test_guard_is_deterministic(name: str) -> None:
    first = get_dialect(name).guard_statements(VERSION_TABLE, "ops", ("b2", "a1"))
    again = get_dialect(name).guard_statements(VERSION_TABLE, "ops", ("a1", "b2"))
    assert first == again


@pytest.mark.parametrize("name", NAMES)
def test_guard_schema_qualifies_the_version_table(name: str) -> None:
    sql = "\n".join(s.sql for s in get_dialect(name).guard_statements(VERSION_TABLE, "ops", ()))
    assert "ops.mig_version" in sql


@pytest.mark.parametrize("name", NAMES)
def test_revision_ids_are_the_dialects_literals(name: str) -> None:
    """The real-client cases above show the quoting works; here, that it is the renderer's."""
    dialect = get_dialect(name)
    sql = "\n".join(s.sql for s in dialect.guard_statements(VERSION_TABLE, None, ("x'y",)))
    assert dialect.literal("x'y", sa.String()) in sql


@pytest.mark.parametrize("name", [n for n in NAMES if n != "postgresql"])
def test_session_settings_are_postgresql_only(name: str) -> None:
    assert get_dialect(name).session_settings("5s", "1min") == []


def test_postgresql_session_settings() -> None:
    settings = get_dialect("postgresql").session_settings("5s", None)
    assert [s.sql for s in settings] == ["SET lock_timeout = '5s'"]
    assert get_dialect("postgresql").session_settings(None, None) == []


def test_a_dialect_without_a_guard_says_how_to_go_on() -> None:
    class Bare(Dialect):
        name = "bare"

    with pytest.raises(RenderError, match="--no-guard"):
        Bare().guard_statements(VERSION_TABLE, None, ())


@pytest.mark.parametrize(
    ("body", "opening"),
    [("SELECT 1", "$mig_guard$"), ("SELECT '$mig_guard$'", "$mig_guard1$")],
)
def test_dollar_quote_tag_never_occurs_in_the_body(body: str, opening: str) -> None:
    quoted = dollar_quoted(body, "mig_guard")
    assert quoted.startswith(opening + "\n") and quoted.endswith("\n" + opening)


def test_postgresql_guard_is_one_do_block() -> None:
    (guard,) = get_dialect("postgresql").guard_statements(VERSION_TABLE, None, ("ae10",))
    assert guard.block and guard.sql.startswith("DO $mig_guard$")
    assert "to_regclass('mig_version')" in guard.sql
    assert 'ORDER BY version_num COLLATE "C"' in guard.sql


def test_mssql_guard_is_one_batch_sqlglot_parses() -> None:
    dialect = get_dialect("mssql")
    (guard,) = dialect.guard_statements(VERSION_TABLE, "ops", ("b2", "a1"))
    assert guard.block
    # sqlglot 30 cannot parse THROW: the rest of the batch must parse around it.
    throw = "THROW 50000, @mig_message, 1;"
    parsed = sqlglot.parse(guard.sql.replace(throw, "PRINT @mig_message;"), read="tsql")
    assert parsed and all(p is not None for p in parsed)
    assert "IF OBJECT_ID(N'ops.mig_version', N'U') IS NOT NULL" in guard.sql
    assert "<> N'a1, b2'" in guard.sql
    assert "THROW 50000, @mig_message, 1;" in guard.sql
    framed = frame_script(dialect, [], FrameOptions(setup=(guard,)))
    assert re.search(r"^END;\nGO$", framed, re.M)


def test_oracle_guard_is_a_plsql_block_ended_by_slash() -> None:
    dialect = get_dialect("oracle")
    (guard,) = dialect.guard_statements(VERSION_TABLE, None, ("ae10",))
    match = re.search(r"EXECUTE IMMEDIATE '((?:[^']|'')*)' INTO mig_found;", guard.sql)
    assert match is not None
    sqlglot.parse_one(match.group(1).replace("''", "'"), read="oracle")
    assert "IF SQLCODE != -942 THEN RAISE; END IF;" in guard.sql
    assert "RAISE_APPLICATION_ERROR(-20001, " in guard.sql
    framed = frame_script(dialect, [], FrameOptions(setup=(guard,)))
    assert re.search(r"^END;\n/$", framed, re.M)
