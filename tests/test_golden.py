"""Golden scripts stay byte-identical, are deterministic, parse, and apply on SQLite."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlglot

from golden import DIALECTS, Scenario, generate, scenarios

SCENARIOS = scenarios()
CASES = [pytest.param(s, d, id=f"{s.name}-{d}") for s in SCENARIOS for d in DIALECTS]


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 12


@pytest.mark.parametrize(("scenario", "dialect"), CASES)
def test_golden_file_matches(scenario: Scenario, dialect: str) -> None:
    golden = scenario.golden(dialect)
    assert golden.exists(), f"missing {golden}: run `.venv/bin/python tests/golden.py`"
    assert generate(scenario, dialect) == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(("scenario", "dialect"), CASES)
def test_generation_is_deterministic(scenario: Scenario, dialect: str) -> None:
    assert generate(scenario, dialect) == generate(scenario, dialect)


def _statements(scenario: Scenario, dialect: str) -> list[str]:
    """Every statement the pipeline renders for the scenario, before framing."""
    from offline_sql.config import load_config
    from offline_sql.migrate import Project, plan_steps, render_steps, replay_state, resolve_range

    config = load_config(scenario.config, dialect=dialect)
    project = Project.load(config)
    command, target = scenario.command
    start, end = resolve_range(project, command, target)
    steps = plan_steps(project, command, start, end)
    rendered = render_steps(project, steps, replay_state(project, start), guard=True)
    sql = [s.sql for s in project.dialect.create_version_table("mig_version", None)]
    for step in rendered:
        sql += [s.sql for s in (*step.guard, *step.statements, *step.version_statements)]
    return sql


@pytest.mark.parametrize(
    ("scenario", "dialect"),
    [pytest.param(s, d, id=f"{s.name}-{d}") for s in SCENARIOS for d in ("mssql", "oracle")],
)
def test_every_statement_parses_with_sqlglot(scenario: Scenario, dialect: str) -> None:
    read = {"mssql": "tsql", "oracle": "oracle"}[dialect]
    for sql in _statements(scenario, dialect):
        parsed = sqlglot.parse(sql, read=read)
        assert parsed, sql
        for node in parsed:
            assert node is not None, sql
            assert not isinstance(node, sqlglot.exp.Command) or node.name.upper() in {
                "EXEC", "EXECUTE", "DECLARE", "COMMENT", "IF", "BEGIN",
            }, f"sqlglot fell back to a raw command for: {sql}"


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
    _sqlite3(db, scenario.golden("sqlite").read_text(encoding="utf-8"))
    with sqlite3.connect(db) as conn:
        versions = [r[0] for r in conn.execute("SELECT version_num FROM mig_version")]
    if command == "downgrade":
        assert versions == []
    else:
        assert versions, "the version table must record where the database is"
