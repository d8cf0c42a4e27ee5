"""Classification of rendered statements: class, tables, parse failures never crash."""

from __future__ import annotations

import pytest

from offline_sql.review.classify import classify, transaction_marker
from offline_sql.statements import Statement, StatementKind


@pytest.mark.parametrize(
    ("sqlglot_name", "sql", "klass", "tables"),
    [
        ("postgres", "CREATE TABLE public.users (id INT)", "create", ("public.users",)),
        ("postgres", "CREATE INDEX ix ON users (a)", "create", ("users",)),
        ("postgres", "CREATE TYPE mood AS ENUM ('a', 'b')", "create", ()),
        ("postgres", "ALTER TABLE users ADD COLUMN b INT", "alter", ("users",)),
        ("postgres", "COMMENT ON TABLE users IS 'x'", "alter", ("users",)),
        ("postgres", "DROP TABLE users", "drop", ("users",)),
        ("postgres", "DROP INDEX ix", "drop", ()),
        ("mysql", "DROP INDEX ix ON users", "drop", ("users",)),
        ("postgres", "INSERT INTO users (a) VALUES (1)", "data", ("users",)),
        ("postgres", "UPDATE users SET a = 1 WHERE b = 2", "data", ("users",)),
        ("postgres", "DELETE FROM users WHERE a = 1", "data", ("users",)),
        ("postgres", "TRUNCATE TABLE users", "data", ("users",)),
        (
            "postgres",
            "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE",
            "data",
            ("s", "t"),
        ),
        ("mysql", "RENAME TABLE a TO b", "alter", ()),
        ("sqlite", "PRAGMA foreign_keys=OFF", "other", ()),
        ("tsql", "EXEC sp_rename 'a.b', 'c', 'COLUMN'", "other", ()),
        (
            "postgres",
            "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES b (id)",
            "alter",
            ("b", "users"),
        ),
    ],
)
def test_class_and_tables(sqlglot_name: str, sql: str, klass: str, tables: tuple[str, ...]) -> None:
    result = classify(0, Statement(sql), sqlglot_name)
    assert (result.klass, result.tables) == (klass, tables)


@pytest.mark.parametrize("kind", ["version", "guard", "client"])
def test_bookkeeping_kinds_are_not_parsed(kind: StatementKind) -> None:
    result = classify(0, Statement("DELETE FROM alembic_version", kind=kind), "postgres")
    assert result.klass == "bookkeeping"
    assert not result.lintable


@pytest.mark.parametrize("sql", ["BEGIN", "COMMIT", "START TRANSACTION", "BEGIN TRANSACTION"])
def test_transaction_statements_are_bookkeeping(sql: str) -> None:
    assert classify(0, Statement(sql), "postgres").klass == "bookkeeping"


@pytest.mark.parametrize(
    ("sql", "block", "marker"),
    [
        ("BEGIN", False, "begin"),
        ("START TRANSACTION", False, "begin"),
        ("COMMIT", False, "end"),
        ("ROLLBACK", False, "end"),
        ("BEGIN NULL; END;", True, None),
        ("CREATE TABLE t (a INT)", False, None),
    ],
)
def test_transaction_marker(sql: str, block: bool, marker: str | None) -> None:
    assert transaction_marker(Statement(sql, block=block)) == marker


@pytest.mark.parametrize("sql", ["FOO BAR BAZ(", "SELEC x", "CREATE TABLE (", "'unterminated", ""])
def test_unparsable_statement_is_reported_not_raised(sql: str) -> None:
    result = classify(3, Statement(sql, table="users"), "postgres")
    assert result.parse_error
    assert result.klass == "other"
    assert result.tables == ("users",)
    assert not result.lintable


def test_command_fallback_is_opaque_and_quiet(caplog: pytest.LogCaptureFixture) -> None:
    result = classify(0, Statement("DO $$ BEGIN END $$", block=True), "postgres")
    assert result.opaque
    assert result.parse_error is None
    assert not [r for r in caplog.records if r.name.startswith("sqlglot")]


def test_command_fallback_keeps_first_keyword_class() -> None:
    result = classify(0, Statement("ALTER TABLE users MODIFY a VARCHAR2(10) NOT NULL"), "oracle")
    assert (result.klass, result.opaque) == ("alter", True)


def test_statement_table_is_used_when_sqlglot_finds_none() -> None:
    result = classify(0, Statement("PRAGMA foreign_keys=OFF", table="users"), "sqlite")
    assert result.tables == ("users",)


def test_several_statements_in_one_text_are_all_kept() -> None:
    result = classify(0, Statement("DELETE FROM a WHERE x = 1; DELETE FROM b"), "postgres")
    assert len(result.nodes) == 2
    assert result.tables == ("a", "b")
