"""Raw SQL a database refuses inside a transaction: a text holding none of the words any
refusal needs is not parsed (most raw SQL is data: ``UPDATE``, ``INSERT``), and that never
changes the answer."""

from __future__ import annotations

import pytest

from offline_sql.dialect_api import outside_transaction as ot
from offline_sql.dialect_api.registry import NAMES, get_dialect

TEXTS = [
    "UPDATE nodes SET state = 'x' WHERE id = 1",
    "INSERT INTO t (a) VALUES ('CONCURRENTLY')",
    "create index concurrently ix on t (a)",
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON t (a)",
    "DROP INDEX /* now */ CONCURRENTLY ix",
    "drop index ix",
    "REINDEX TABLE CONCURRENTLY t",
    "REINDEX TABLE t",
    "VACUUM ANALYZE t",
    "vacuum",
    "SELECT vacuum_t FROM x",
    "ALTER TYPE mood ADD VALUE 'sad'",
    "alter type mood add\n  value 'sad' after 'ok'",
    "ALTER TABLE t ADD COLUMN value INT",
    "ALTER TABLE t ALTER COLUMN a TYPE INT",
    "ALTER SYSTEM SET work_mem = '1MB'",
    "ALTER TABLE system ADD COLUMN a INT",
    "CREATE DATABASE foo",
    "DROP DATABASE IF EXISTS foo",
    'CREATE TABLE "database" (a INT)',
    "CREATE SCHEMA app",
    "DROP SCHEMA IF EXISTS app CASCADE",
    "UPDATE t SET a = 1; VACUUM t",
    "CREATE INDEX CONCURRENTLY a ON t (x); CREATE INDEX CONCURRENTLY b ON t (y)",
    "UPDATE $x$ VACUUM $x$",
]


def _by_parsing(sql: str, sqlglot_name: str, kinds: tuple[ot.Refusal, ...]) -> object:
    """What :func:`ot.refusals` answers, always parsing."""
    statements = ot.parsed(sql, sqlglot_name)
    if not statements:
        return None
    found = [k.what for e in statements for k in kinds if k.matches(e)]
    return (len(statements), found) if found else None


@pytest.mark.parametrize("name", [n for n in NAMES if get_dialect(n).refused_in_transaction])
@pytest.mark.parametrize("sql", TEXTS)
def test_the_word_filter_never_changes_the_answer(name: str, sql: str) -> None:
    dialect = get_dialect(name)
    kinds = dialect.refused_in_transaction
    assert ot.refusals(sql, dialect.sqlglot_name, kinds) == _by_parsing(
        sql, dialect.sqlglot_name, kinds
    )


def test_data_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    dialect = get_dialect("postgresql")

    def parsed(sql: str, sqlglot_name: str) -> None:
        raise AssertionError(f"parsed {sql!r}")

    monkeypatch.setattr(ot, "parsed", parsed)
    assert dialect.outside_transaction_note("UPDATE nodes SET a = 1 WHERE b = 'x'") is None
    assert dialect.outside_transaction_note("INSERT INTO t VALUES (1)") is None
    with pytest.raises(AssertionError, match="parsed"):
        dialect.outside_transaction_note("VACUUM t")


def test_words_are_whole_and_in_any_case() -> None:
    matcher = ot.command("VACUUM")
    assert matcher.may_match("vacuum t")
    assert matcher.may_match("x;\nVaCuUm")
    assert not matcher.may_match("vacuum_t")
    assert matcher.may_match("t.$vacuum")  # parsed: only a missing word is never parsed
