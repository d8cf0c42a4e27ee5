"""Each review rule: fires on what it should, stays silent on the safe variant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pytest

from offline_sql.dialect_api.registry import get_dialect
from offline_sql.errors import ConfigError, ScriptError
from offline_sql.review import Finding, ReviewedStep, every_rule, review
from offline_sql.statements import Statement

EXISTING = frozenset({"users", "public.orders"})
COLUMNS: Mapping[str, Mapping[str, str]] = {
    "users": {
        "name": "VARCHAR(50)",
        "bio": "TEXT",
        "n": "INT",
        "price": "NUMERIC(10, 2)",
        "mood": "ENUM('a','b','c')",
    }
}


def findings(
    sql: str | Sequence[str | Statement],
    dialect: str = "postgresql",
    **step: Any,
) -> list[Finding]:
    items = [sql] if isinstance(sql, str) else list(sql)
    statements = [s if isinstance(s, Statement) else Statement(s) for s in items]
    step.setdefault("existing_tables", EXISTING)
    step.setdefault("existing_columns", COLUMNS)
    reviewed = ReviewedStep("ab12", "msg", "upgrade", statements, **step)
    return list(review([reviewed], dialect, get_dialect(dialect).sqlglot_name).findings)


def rule_ids(
    sql: str | Sequence[str | Statement], dialect: str = "postgresql", **step: Any
) -> set[str]:
    return {f.rule for f in findings(sql, dialect, **step)}


def test_registry_ids_are_unique_and_complete() -> None:
    rules = every_rule()
    assert len({rule.id for rule in rules}) == len(rules)
    for rule in rules:
        assert rule.reason and rule.fix and "\n" not in rule.reason + rule.fix
        assert rule.severity in {"error", "warning", "info"}


@pytest.mark.parametrize(
    ("rule", "sql", "dialect"),
    [
        ("drop-table", "DROP TABLE users", "postgresql"),
        ("drop-table", "DROP TABLE users", "sqlite"),
        ("drop-column", "ALTER TABLE users DROP COLUMN bio", "postgresql"),
        ("drop-column", "ALTER TABLE users DROP COLUMN bio", "mssql"),
        ("truncate", "TRUNCATE TABLE users", "mysql"),
        ("delete-without-where", "DELETE FROM users", "postgresql"),
        ("update-without-where", "UPDATE users SET n = 1", "postgresql"),
        ("narrowing-type", "ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(10)", "postgresql"),
        ("narrowing-type", "ALTER TABLE users MODIFY name VARCHAR(10) NOT NULL", "mysql"),
        ("narrowing-type", "ALTER TABLE users ALTER COLUMN name VARCHAR(10) NOT NULL", "mssql"),
        ("narrowing-type", "ALTER TABLE users ALTER COLUMN bio TYPE VARCHAR(200)", "postgresql"),
        ("narrowing-type", "ALTER TABLE users ALTER COLUMN n TYPE SMALLINT", "postgresql"),
        (
            "narrowing-type",
            "ALTER TABLE users ALTER COLUMN price TYPE NUMERIC(10, 1)",
            "postgresql",
        ),
        ("narrowing-type", "ALTER TABLE users CHANGE name name2 VARCHAR(5) NOT NULL", "mysql"),
        ("pg-index-not-concurrently", "CREATE INDEX ix ON users (name)", "postgresql"),
        ("pg-index-not-concurrently", "CREATE UNIQUE INDEX ix ON public.orders (a)", "postgresql"),
        (
            "pg-fk-not-valid",
            "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES b (id)",
            "postgresql",
        ),
        ("pg-check-not-valid", "ALTER TABLE users ADD CONSTRAINT ck CHECK (n > 0)", "postgresql"),
        ("pg-set-not-null", "ALTER TABLE users ALTER COLUMN name SET NOT NULL", "postgresql"),
        ("pg-type-rewrite", "ALTER TABLE users ALTER COLUMN n TYPE BIGINT", "postgresql"),
        ("pg-type-rewrite", "ALTER TABLE users ALTER COLUMN zz TYPE BIGINT", "postgresql"),
        (
            "pg-type-rewrite",
            "ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(80) USING upper(name)",
            "postgresql",
        ),
        (
            "pg-volatile-default",
            "ALTER TABLE users ADD COLUMN t TIMESTAMP DEFAULT clock_timestamp()",
            "postgresql",
        ),
        (
            "pg-volatile-default",
            "ALTER TABLE users ADD COLUMN u UUID DEFAULT gen_random_uuid()",
            "postgresql",
        ),
        (
            "pg-volatile-default",
            "ALTER TABLE users ADD COLUMN r FLOAT DEFAULT random()",
            "postgresql",
        ),
        ("pg-volatile-default", "ALTER TABLE users ADD COLUMN s BIGSERIAL", "postgresql"),
        ("mysql-enum-reorder", "ALTER TABLE users MODIFY mood ENUM('a','c') NOT NULL", "mysql"),
        ("mysql-enum-reorder", "ALTER TABLE users MODIFY mood ENUM('b','a','c')", "mariadb"),
    ],
)
def test_rule_fires(rule: str, sql: str, dialect: str) -> None:
    assert rule in rule_ids(sql, dialect)


@pytest.mark.parametrize(
    ("rule", "sql", "dialect"),
    [
        ("drop-table", "DROP INDEX ix", "postgresql"),
        ("drop-column", "ALTER TABLE users DROP CONSTRAINT ck", "postgresql"),
        ("delete-without-where", "DELETE FROM users WHERE id = 1", "postgresql"),
        ("update-without-where", "UPDATE users SET n = 1 WHERE id = 2", "postgresql"),
        ("narrowing-type", "ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(80)", "postgresql"),
        ("narrowing-type", "ALTER TABLE users ALTER COLUMN name TYPE TEXT", "postgresql"),
        ("narrowing-type", "ALTER TABLE users ALTER COLUMN n TYPE BIGINT", "postgresql"),
        (
            "narrowing-type",
            "ALTER TABLE users ALTER COLUMN price TYPE NUMERIC(12, 2)",
            "postgresql",
        ),
        ("narrowing-type", "ALTER TABLE users ALTER COLUMN unknown TYPE VARCHAR(1)", "postgresql"),
        ("narrowing-type", "ALTER TABLE other ALTER COLUMN name TYPE VARCHAR(1)", "postgresql"),
        ("pg-index-not-concurrently", "CREATE INDEX CONCURRENTLY ix ON users (name)", "postgresql"),
        ("pg-index-not-concurrently", "CREATE INDEX ix ON brand_new (name)", "postgresql"),
        ("pg-index-not-concurrently", "CREATE INDEX ix ON users (name)", "mysql"),
        (
            "pg-fk-not-valid",
            "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES b (id) NOT VALID",
            "postgresql",
        ),
        (
            "pg-check-not-valid",
            "ALTER TABLE users ADD CONSTRAINT ck CHECK (n > 0) NOT VALID",
            "postgresql",
        ),
        ("pg-set-not-null", "ALTER TABLE users ALTER COLUMN name DROP NOT NULL", "postgresql"),
        ("pg-set-not-null", "ALTER TABLE users ALTER COLUMN name VARCHAR(9) NOT NULL", "mssql"),
        ("pg-type-rewrite", "ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(80)", "postgresql"),
        ("pg-type-rewrite", "ALTER TABLE users ALTER COLUMN name TYPE TEXT", "postgresql"),
        (
            "pg-type-rewrite",
            "ALTER TABLE users ALTER COLUMN price TYPE NUMERIC(14, 2)",
            "postgresql",
        ),
        ("pg-type-rewrite", "ALTER TABLE users ALTER COLUMN zz TYPE VARCHAR(10)", "postgresql"),
        (
            "pg-volatile-default",
            "ALTER TABLE users ADD COLUMN t TIMESTAMP DEFAULT now()",
            "postgresql",
        ),
        ("pg-volatile-default", "ALTER TABLE users ADD COLUMN t INT DEFAULT 0", "postgresql"),
        ("mysql-enum-reorder", "ALTER TABLE users MODIFY mood ENUM('a','b','c','d')", "mysql"),
        ("mysql-enum-reorder", "ALTER TABLE users MODIFY other ENUM('z')", "mysql"),
    ],
)
def test_rule_silent(rule: str, sql: str, dialect: str) -> None:
    assert rule not in rule_ids(sql, dialect)


def test_enum_reorder_names_removed_values() -> None:
    [finding] = [
        f
        for f in findings("ALTER TABLE users MODIFY mood ENUM('a','c')", "mysql")
        if f.rule == "mysql-enum-reorder"
    ]
    assert "'b'" in finding.message


def test_sqlite_table_rebuild_is_not_a_drop() -> None:
    rebuild = [
        "CREATE TABLE _mig_tmp_users (id INT, name VARCHAR(50))",
        "INSERT INTO _mig_tmp_users (id, name) SELECT id, name FROM users",
        "DROP TABLE users",
        "ALTER TABLE _mig_tmp_users RENAME TO users",
    ]
    assert "drop-table" not in rule_ids(rebuild, "sqlite")


def test_dropping_a_table_created_in_the_same_step_is_not_destructive() -> None:
    assert "drop-table" not in rule_ids(["CREATE TABLE scratch (a INT)", "DROP TABLE scratch"])


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_mysql_ddl_with_dml(dialect: str) -> None:
    result = findings(
        ["ALTER TABLE users ADD COLUMN b INT", "UPDATE users SET b = 1 WHERE 1 = 1"], dialect
    )
    assert [(f.rule, f.statement) for f in result] == [("mysql-ddl-with-dml", 1)]


@pytest.mark.parametrize(
    "statements",
    [["ALTER TABLE users ADD COLUMN b INT"], ["UPDATE users SET b = 1 WHERE 1 = 1"]],
)
def test_mysql_ddl_alone_or_dml_alone_is_fine(statements: list[str]) -> None:
    assert "mysql-ddl-with-dml" not in rule_ids(statements, "mysql")


def test_mysql_rule_does_not_apply_to_postgresql() -> None:
    statements = ["ALTER TABLE users ADD COLUMN b INT", "UPDATE users SET b = 1 WHERE 1 = 1"]
    assert "mysql-ddl-with-dml" not in rule_ids(statements, "postgresql")


CONCURRENT = Statement("CREATE INDEX CONCURRENTLY ix ON users (name)", transactional=False)


@pytest.mark.parametrize(
    ("statements", "fires"),
    [
        ([Statement("BEGIN", kind="client"), CONCURRENT, Statement("COMMIT", kind="client")], True),
        (
            [Statement("BEGIN", kind="client"), Statement("COMMIT", kind="client"), CONCURRENT],
            False,
        ),
        ([CONCURRENT], False),
    ],
)
def test_non_transactional_in_transaction(statements: list[Statement], fires: bool) -> None:
    assert ("non-transactional-in-transaction" in rule_ids(statements)) is fires


def test_non_transactional_uses_explicit_flags() -> None:
    assert "non-transactional-in-transaction" in rule_ids([CONCURRENT], in_transaction=(True,))


def test_explicit_flags_must_match_statements() -> None:
    with pytest.raises(ValueError, match="one flag per statement"):
        findings([CONCURRENT], in_transaction=(True, False))


@pytest.mark.parametrize(
    ("direction", "has_downgrade", "fires"),
    [("upgrade", False, True), ("upgrade", True, False), ("downgrade", False, False)],
)
def test_missing_downgrade(
    direction: Literal["upgrade", "downgrade"], has_downgrade: bool, fires: bool
) -> None:
    statements = [Statement("CREATE TABLE t (a INT)")]
    step = ReviewedStep("ab12", "m", direction, statements, has_downgrade=has_downgrade)
    ids = {f.rule for f in review([step], "postgresql", "postgres").findings}
    assert ("missing-downgrade" in ids) is fires


@pytest.mark.parametrize(
    ("statement", "dialect", "severity"),
    [
        (Statement("SELEC x"), "postgresql", "warning"),
        (Statement("BEGIN EXECUTE IMMEDIATE 'x'; END;", block=True), "oracle", "info"),
        (Statement("DO $$ BEGIN END $$", block=True), "postgresql", "info"),
    ],
)
def test_unparsed_severity(statement: Statement, dialect: str, severity: str) -> None:
    [finding] = [f for f in findings([statement], dialect) if f.rule == "unparsed"]
    assert finding.severity == severity


def test_bookkeeping_is_not_linted() -> None:
    assert findings([Statement("DELETE FROM alembic_version", kind="version")]) == []


def test_allowed_by_script_is_reported_but_not_counted() -> None:
    step = ReviewedStep(
        "ab12",
        "m",
        "upgrade",
        [Statement("DROP TABLE users")],
        allow=("drop-table",),
        existing_tables=EXISTING,
    )
    result = review([step], "postgresql", "postgres")
    assert [(f.rule, f.allowed) for f in result.findings] == [("drop-table", True)]
    assert not result.has_errors()


def test_allowed_by_config() -> None:
    step = ReviewedStep("ab12", "m", "upgrade", [Statement("DROP TABLE users")])
    result = review([step], "postgresql", "postgres", allow=["drop-table"])
    assert result.findings[0].allowed and not result.counted


@pytest.mark.parametrize(
    ("sql", "strict", "expected"),
    [
        ("DROP TABLE users", False, True),
        ("ALTER TABLE users DROP COLUMN bio", False, False),
        ("ALTER TABLE users DROP COLUMN bio", True, True),
        ("CREATE TABLE t (a INT)", True, False),
    ],
)
def test_has_errors(sql: str, strict: bool, expected: bool) -> None:
    step = ReviewedStep("ab12", "m", "upgrade", [Statement(sql)], existing_tables=EXISTING)
    assert review([step], "postgresql", "postgres").has_errors(strict) is expected


def test_unknown_rule_in_script_allow_names_revision() -> None:
    step = ReviewedStep("ab12", "m", "upgrade", [], allow=("drop-tabel",), source="v/ab12.py")
    with pytest.raises(ScriptError, match=r"ab12.*v/ab12\.py.*drop-tabel"):
        review([step], "postgresql", "postgres")


def test_unknown_rule_in_config_allow() -> None:
    with pytest.raises(ConfigError, match="review_allow"):
        review([], "postgresql", "postgres", allow=["nope"])


def test_another_databases_rule_may_be_allowed() -> None:
    """One script serves every database: allowing a PostgreSQL rule is no error on SQLite."""
    step = ReviewedStep("ab12", "m", "upgrade", [], allow=("pg-set-not-null",))
    assert review([step], "sqlite", "sqlite").findings == ()


def test_unknown_rule_lists_every_rule_in_report_order() -> None:
    with pytest.raises(ConfigError) as raised:
        review([], "sqlite", "sqlite", allow=["nope"])
    ids = [rule.id for rule in every_rule()]
    assert str(raised.value).endswith("use one of " + ", ".join(ids))
    data, specific, script = "narrowing-type", "pg-index-not-concurrently", "unparsed"
    assert ids.index(data) < ids.index(specific) < ids.index("mysql-enum-reorder")
    assert ids.index("mysql-enum-reorder") < ids.index(script)


def test_findings_are_ordered_by_statement_then_rule() -> None:
    result = findings(["DELETE FROM users", "DROP TABLE users"], has_downgrade=False)
    assert [(f.statement, f.rule) for f in result] == [
        (0, "delete-without-where"),
        (1, "drop-table"),
        (None, "missing-downgrade"),
    ]


@pytest.mark.parametrize(
    ("direction", "empty", "fires"),
    [("downgrade", True, True), ("downgrade", False, False), ("upgrade", True, False)],
)
def test_empty_downgrade(
    direction: Literal["upgrade", "downgrade"], empty: bool, fires: bool
) -> None:
    step = ReviewedStep("ab12", "m", direction, [], empty_downgrade=empty)
    found = [f for f in review([step], "sqlite", "sqlite").findings if f.rule == "empty-downgrade"]
    assert len(found) == fires
    if fires:
        assert found[0].severity == "warning" and found[0].statement is None
        assert "ab12" in found[0].message and "version table" in found[0].message
        assert "downgrade()" in found[0].fix
