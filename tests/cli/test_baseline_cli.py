"""``mig baseline --from database`` through the command line: a project that starts from an
existing SQLite database records it, and the first migration then alters those tables for
MariaDB without ``existing_*`` hints, because the replay starts from the baseline."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from databases import ScratchDatabase
from helpers import Rev, make_project
from reflection import snapshot

from offline_sql.cli import cli

EXISTING = """\
CREATE TABLE users (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(50) NOT NULL DEFAULT 'anon',
    email VARCHAR(100),
    score NUMERIC(10, 2) NOT NULL DEFAULT 0,
    CONSTRAINT uq_users_email UNIQUE (email)
);
CREATE TABLE posts (
    id INTEGER NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL,
    body TEXT,
    CONSTRAINT fk_posts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_posts_user ON posts (user_id);
"""
"""The schema the database had before mig; portable enough for SQLite and MariaDB."""

FIRST = Rev(
    "b1",
    None,
    "alter existing tables",
    upgrade="""\
op.alter_column("users", "name", type_=sa.String(120))
op.alter_column("users", "email", nullable=False)
op.alter_column("users", "score", new_column_name="points")""",
)

EXPECTED_MARIADB = [
    "ALTER TABLE users MODIFY COLUMN name VARCHAR(120) NOT NULL DEFAULT 'anon';",
    "ALTER TABLE users MODIFY COLUMN email VARCHAR(100) NOT NULL;",
    "ALTER TABLE users CHANGE COLUMN score points NUMERIC(10, 2) NOT NULL DEFAULT 0;",
]


class Project:
    def __init__(self, root: Path, database: ScratchDatabase) -> None:
        self.root = root
        url = database.url.render_as_string(hide_password=False)
        self.config = make_project(
            root, (FIRST,), settings={"script_location": "migrations", "url": url}
        )

    def mig(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["-c", str(self.config), *args])

    @property
    def baseline(self) -> Path:
        return self.root / "migrations" / "baseline.json"


@pytest.fixture
def project(sqlite_database: ScratchDatabase, tmp_path: Path) -> Project:
    sqlite_database.apply_script(EXISTING)
    return Project(tmp_path / "project", sqlite_database)


@pytest.fixture
def baselined(project: Project) -> Project:
    result = project.mig("baseline", "--from", "database")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Created {project.baseline}\n"
    return project


def test_baseline_records_the_existing_tables(baselined: Project) -> None:
    text = baselined.baseline.read_text(encoding="utf-8")
    for name in ('"users"', '"posts"', '"uq_users_email"', '"fk_posts_user"', '"ix_posts_user"'):
        assert name in text


def test_baseline_is_not_overwritten(baselined: Project) -> None:
    before = baselined.baseline.read_bytes()
    again = baselined.mig("baseline", "--from", "database")
    assert again.exit_code == 1
    assert again.stderr.startswith("mig: error: ") and again.stderr.count("\n") == 1
    assert baselined.baseline.read_bytes() == before


def _mariadb_sql(project: Project) -> Result:
    return project.mig("--dialect", "mariadb", "upgrade", "base:head", "--sql", "--no-guard")


def test_hintless_alters_of_baseline_tables_render_for_mariadb(baselined: Project) -> None:
    result = _mariadb_sql(baselined)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    statements = [line for line in result.stdout.splitlines() if line.startswith("ALTER TABLE")]
    assert statements == EXPECTED_MARIADB


def test_without_the_baseline_mig_asks_for_hints(project: Project) -> None:
    result = _mariadb_sql(project)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "existing_" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.mysql
def test_rendered_script_applies_to_the_same_schema_on_mariadb(
    baselined: Project, mariadb_database: ScratchDatabase
) -> None:
    mariadb_database.apply_script(EXISTING)
    result = _mariadb_sql(baselined)
    mariadb_database.apply_script(result.stdout)
    users = snapshot(mariadb_database.engine())["tables"]["users"]
    columns = {
        name: (column["type"], column["nullable"], column["default"])
        for name, column in users["columns"].items()
    }
    assert columns == {
        "id": ("INTEGER(11)", False, None),
        "name": ("VARCHAR(120)", False, "'anon'"),
        "email": ("VARCHAR(100)", False, None),
        "points": ("DECIMAL(10, 2)", False, "0.00"),
    }
    assert "(email)" in users["unique_constraints"]
