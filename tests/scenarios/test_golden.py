"""Golden scripts stay byte-identical, are deterministic, parse, and apply on SQLite."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlglot
from databases import ScratchDatabase

from golden import DIALECTS, Scenario, generate, run, scenarios
from offline_sql.statements import Statement

SCENARIOS = scenarios()
CASES = [pytest.param(s, d, id=f"{s.name}-{d}") for s in SCENARIOS for d in DIALECTS]


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 12


SCRIPT_CASES = [c for c in CASES if not c.values[0].expected_error(c.values[1]).exists()]  # type: ignore[union-attr]
ERROR_CASES = [c for c in CASES if c not in SCRIPT_CASES]


@pytest.mark.parametrize(("scenario", "dialect"), CASES)
def test_golden_file_matches(scenario: Scenario, dialect: str) -> None:
    expected = scenario.expected(dialect)
    assert expected.exists(), f"missing {expected}: run `.venv/bin/python tests/support/golden.py`"
    suffix, text = run(scenario, dialect).kept
    assert expected.suffix == f".{suffix}"
    assert text == scenario.expected_text(dialect)


@pytest.mark.parametrize(("scenario", "dialect"), ERROR_CASES)
def test_refusals_are_one_clear_line_with_nothing_on_stdout(
    scenario: Scenario, dialect: str
) -> None:
    outcome = run(scenario, dialect)
    assert outcome.exit_code == 1
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("mig: error: ")
    assert outcome.stderr.count("\n") == 1
    assert "Traceback" not in outcome.stderr


@pytest.mark.parametrize(("scenario", "dialect"), SCRIPT_CASES)
def test_generation_is_deterministic(scenario: Scenario, dialect: str) -> None:
    assert generate(scenario, dialect) == generate(scenario, dialect)


def _statements(scenario: Scenario, dialect: str) -> list[Statement]:
    """Every statement the pipeline renders for the scenario, before framing."""
    from offline_sql.config import load_config
    from offline_sql.generate import plan_steps, render_steps, resolve_range
    from offline_sql.project import Project, replay_state

    config = load_config(scenario.config, dialect=dialect)
    project = Project.load(config)
    command, target = scenario.command
    start, end = resolve_range(project, command, target)
    steps = plan_steps(project, command, start, end)
    rendered = render_steps(project, steps, replay_state(project, start), guard=True)
    found = list(project.dialect.create_version_table("mig_version", None))
    for step in rendered:
        found += [*step.guard, *step.statements, *step.version_statements]
    return found


SQLGLOT_GAPS = {
    # Valid statements that sqlglot 30 keeps as a raw Command instead of a tree.
    "tsql": (
        re.compile(r"^ALTER TABLE \S+ ADD CONSTRAINT \S+ DEFAULT .+ FOR \S+$", re.S),
        re.compile(r"^(EXEC|EXECUTE|DECLARE|IF|BEGIN|SET IDENTITY_INSERT)\b", re.I),
    ),
    # sqlglot has no ALTER TABLE ... MODIFY for Oracle, the only way Oracle alters a column.
    "oracle": (re.compile(r"^ALTER TABLE \S+ MODIFY \(.+\)$", re.S),),
}
EXECUTE_IMMEDIATE = re.compile(r"EXECUTE IMMEDIATE '((?:[^']|'')*)'", re.I)
TSQL_THROW = re.compile(r"^(\s*)THROW 50000, (@\w+), 1;$", re.M)
"""sqlglot 30 cannot parse T-SQL ``THROW`` (the guard's): the rest of the batch is parsed
with an equivalent ``RAISERROR`` in its place."""


def _assert_parses(sql: str, read: str) -> None:
    """sqlglot must tokenise and split the statement; where it builds no tree, the
    statement must be one of the documented gaps."""
    if read == "tsql":
        sql = TSQL_THROW.sub(r"\1RAISERROR(N'%s', 16, 1, \2);", sql)
    parsed = sqlglot.parse(sql, read=read)
    assert parsed and all(node is not None for node in parsed), sql
    for node in parsed:
        if isinstance(node, sqlglot.exp.Command):
            assert any(gap.match(sql) for gap in SQLGLOT_GAPS[read]), (
                f"sqlglot could not parse: {sql}"
            )


@pytest.mark.parametrize(
    ("scenario", "dialect"),
    [c for c in SCRIPT_CASES if c.values[1] in ("mssql", "oracle")],
)
# hostile_literals stores microseconds in sa.DateTime, which these databases round (warned).
@pytest.mark.filterwarnings("ignore::offline_sql.dialect_api.base.PrecisionLossWarning")
def test_every_statement_parses_with_sqlglot(scenario: Scenario, dialect: str) -> None:
    read = {"mssql": "tsql", "oracle": "oracle"}[dialect]
    for statement in _statements(scenario, dialect):
        if statement.kind == "note":
            continue  # a comment only: no SQL to parse
        if statement.block and read == "oracle":
            # PL/SQL is beyond sqlglot: the SQL it runs must parse on its own.
            for inner in EXECUTE_IMMEDIATE.findall(statement.sql):
                _assert_parses(inner.replace("''", "'"), read)
            continue
        _assert_parses(statement.sql, read)


def _expected_versions(scenario: Scenario, dialect: str) -> list[str]:
    """The version rows the scenario's plan ends at (empty after a downgrade to base)."""
    from offline_sql.config import load_config
    from offline_sql.generate import plan_steps, resolve_range
    from offline_sql.project import Project

    project = Project.load(load_config(scenario.config, dialect=dialect))
    command, target = scenario.command
    start, end = resolve_range(project, command, target)
    steps = plan_steps(project, command, start, end)
    return sorted(steps[-1].heads_after)


def _sqlite3(db: Path, script: str) -> None:
    done = subprocess.run(
        ["sqlite3", "-bail", str(db)], input=script, text=True, capture_output=True, check=False
    )
    assert done.returncode == 0, f"sqlite3 failed: {done.stderr}\n{script}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_sqlite_golden_applies_with_sqlite3(scenario: Scenario, tmp_path: Path) -> None:
    db = tmp_path / "golden.db"
    command = scenario.command[0]
    if command == "downgrade":
        # A downgrade starts where the upgrade ends: bring the database there first.
        up = Scenario(scenario.name, scenario.path, ("upgrade", "base:head"), "")
        _sqlite3(db, generate(up, "sqlite"))
    _sqlite3(db, scenario.expected_text("sqlite"))
    with sqlite3.connect(db) as conn:
        versions = sorted(r[0] for r in conn.execute("SELECT version_num FROM mig_version"))
    assert versions == _expected_versions(scenario, "sqlite")


MYSQL_CASES = [c for c in SCRIPT_CASES if c.values[1] == "mysql"]


@pytest.mark.mysql
@pytest.mark.parametrize(("scenario", "dialect"), MYSQL_CASES)
def test_mysql_golden_applies_with_the_mariadb_client(
    scenario: Scenario, dialect: str, mariadb_database: ScratchDatabase
) -> None:
    """No MySQL server runs here; MariaDB shares the grammar these scripts use (the MySQL-only
    spelling, the sql_warnings guard, is accepted by MariaDB too), so the
    MySQL goldens are at least applied by a real client instead of only being read."""
    command = scenario.command[0]
    if command == "downgrade":
        up = Scenario(scenario.name, scenario.path, ("upgrade", "base:head"), "")
        mariadb_database.apply_script(generate(up, dialect))
    mariadb_database.apply_script(scenario.expected_text(dialect))
    with mariadb_database.engine().connect() as conn:
        rows = conn.exec_driver_sql("SELECT version_num FROM mig_version")
        versions = sorted(r[0] for r in rows)
    assert versions == _expected_versions(scenario, dialect)
