"""A table rebuild is reported as one alter of the table: recognised from the SQL's shape,
never from the database's name or the holding table's name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import Rev, make_project

from offline_sql.cli import cli
from offline_sql.review import ReviewedStep, StepReview, review
from offline_sql.statements import Statement

SQLGLOT = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql"}


def put_back(table: str = "users", holding: str = "_mig_old_users") -> list[str]:
    """The shape SQLite's rebuild writes (rows aside, drop, create, rows back)."""
    return [
        "PRAGMA defer_foreign_keys = ON",
        f"CREATE TABLE {holding} AS SELECT * FROM {table}",
        f"DROP TABLE {table}",
        f"CREATE TABLE {table} (id INTEGER NOT NULL, name VARCHAR(20) NOT NULL, PRIMARY KEY (id))",
        f"INSERT INTO {table} (id, name) SELECT id, name FROM {holding}",
        f"DROP TABLE {holding}",
    ]


RENAMED = [
    "CREATE TABLE _tmp_users (id INTEGER NOT NULL, name VARCHAR(20) NOT NULL)",
    "INSERT INTO _tmp_users (id, name) SELECT id, name FROM users",
    "DROP TABLE users",
    "ALTER TABLE _tmp_users RENAME TO users",
]


def step_review(sql: list[str], dialect: str = "sqlite") -> StepReview:
    step = ReviewedStep(
        "ab12", "m", "upgrade", [Statement(s) for s in sql], existing_tables=frozenset({"users"})
    )
    return review([step], dialect, SQLGLOT[dialect]).steps[0]


def changes(step: StepReview) -> dict[str, int]:
    return {klass: n for klass, n in step.counts.items() if n}


@pytest.mark.parametrize(
    "sql",
    [put_back(), put_back(holding="stash"), RENAMED],
    ids=["put-back", "any-holding-name", "renamed-into-place"],
)
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_rebuild_is_one_alter_of_the_table(sql: list[str], dialect: str) -> None:
    step = step_review(sql, dialect)
    assert step.tables == ("users",)
    assert step.rebuilt == ("users",)
    assert changes(step) == ({"alter": 1, "other": 1} if "PRAGMA" in sql[0] else {"alter": 1})
    assert [f.rule for f in step.findings if f.rule == "drop-table"] == []


def test_two_rebuilds_of_one_table_are_two_alters() -> None:
    step = step_review([*put_back(), *put_back()])
    assert changes(step) == {"alter": 2, "other": 2}
    assert step.tables == step.rebuilt == ("users",)


def test_schema_qualified_rebuild() -> None:
    step = step_review(put_back("main.users", "main._mig_old_users"))
    assert step.tables == step.rebuilt == ("main.users",)


def test_renaming_another_table_into_place_without_copying_is_a_drop() -> None:
    sql = ["CREATE TABLE fresh (id INT)", "DROP TABLE users", "ALTER TABLE fresh RENAME TO users"]
    step = step_review(sql)
    assert step.rebuilt == ()
    assert [(f.rule, f.statement) for f in step.findings] == [("drop-table", 1)]


def test_rows_not_put_back_is_no_rebuild() -> None:
    sql = [s for s in put_back() if not s.startswith("INSERT")]
    step = step_review(sql)
    assert step.rebuilt == ()
    assert "_mig_old_users" in step.tables
    assert ("drop-table", 2) in [(f.rule, f.statement) for f in step.findings]


def test_a_kept_copy_is_a_new_table() -> None:
    """Without the final DROP the copy stays: it is a table created, not a holding table."""
    step = step_review(put_back()[:-1])
    assert step.rebuilt == ("users",)
    assert step.tables == ("_mig_old_users", "users")
    assert changes(step) == {"create": 1, "alter": 1, "other": 1}


# ---- through the CLI, on the SQL SQLite really gets ----------------------------------------

HISTORY = (
    Rev("a1", None, "create users",
        upgrade='op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), '
                'sa.Column("name", sa.String(20)))\n'
                'op.create_index("ix_users_name", "users", ["name"])',
        downgrade='op.drop_table("users")'),
    Rev("b2", "a1", "name required",
        upgrade='op.alter_column("users", "name", nullable=False)',
        downgrade='op.alter_column("users", "name", nullable=True)'),
)  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", HISTORY)


def test_review_md_reports_the_rebuild_as_an_alter(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["-c", str(config), "--dialect", "sqlite", "upgrade", "base:head", "--sql", "-o",
              str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = (out / "REVIEW.md").read_text(encoding="utf-8")
    assert "_mig_old_" not in text
    section = text[text.index("## 2. b2") :]
    assert "- Tables touched: `users` (rebuilt)" in section
    assert "- Statements: 1 create, 1 alter, 1 other" in section  # the index is re-created
    assert "drop" not in section.split("- Rollback")[0]


@pytest.mark.parametrize(("fmt", "expected"), [("text", "tables: users (rebuilt);"),
                                               ("json", '"rebuilt": [')])  # fmt: skip
def test_mig_review_reports_the_rebuild(config: Path, fmt: str, expected: str) -> None:
    result = CliRunner().invoke(
        cli, ["-c", str(config), "--dialect", "sqlite", "review", "a1:head", "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    assert expected in result.stdout
    assert "_mig_old_" not in result.stdout.split('"statements"')[0]
    if fmt == "json":
        step = json.loads(result.stdout)["steps"][0]
        assert step["tables"] == step["rebuilt"] == ["users"]
        assert step["counts"]["drop"] == 0 and step["counts"]["alter"] == 1
