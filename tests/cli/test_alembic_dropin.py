"""An ``alembic init`` project, applied by Alembic, continued by mig with no edit and no
re-stamp; Alembic still runs the same scripts afterwards (real Alembic, real SQLite)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("alembic")

BIN = Path(sys.executable).parent
MIG = shutil.which("mig", path=str(BIN))

FIRST = '''"""create users

Revision ID: 1a2b3c4d5e6f
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "1a2b3c4d5e6f"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )


def downgrade():
    op.drop_table("users")
'''

SECOND = '''"""seed users

Revision ID: 2b3c4d5e6f70
Revises: 1a2b3c4d5e6f
"""
import alembic
from alembic import context, op
import sqlalchemy as sa

revision = "2b3c4d5e6f70"
down_revision = "1a2b3c4d5e6f"
branch_labels = None
depends_on = None


def upgrade():
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("name", sa.String))
    name = context.get_x_argument(as_dictionary=True).get("who", "ada")
    alembic.op.bulk_insert(users, [{"id": 1, "name": name}])


def downgrade():
    op.execute("DELETE FROM users WHERE id = 1")
'''


def run(cwd: Path, *argv: str) -> str:
    done = subprocess.run(argv, cwd=cwd, text=True, capture_output=True, check=False)
    assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def alembic(cwd: Path, *args: str) -> str:
    return run(cwd, sys.executable, "-m", "alembic", *args)


def mig(cwd: Path, *args: str) -> str:
    assert MIG is not None, "the mig console script is not installed next to this Python"
    return run(cwd, MIG, *args)


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def alembic_project(tmp_path: Path) -> Path:
    """``alembic init`` + two revisions in Alembic's style, applied by Alembic to SQLite."""
    alembic(tmp_path, "init", "migrations")
    ini = tmp_path / "alembic.ini"
    text = ini.read_text().replace(
        "sqlalchemy.url = driver://user:pass@localhost/dbname", "sqlalchemy.url = sqlite:///app.db"
    )
    ini.write_text(text)
    versions = tmp_path / "migrations" / "versions"
    (versions / "1a2b3c4d5e6f_create_users.py").write_text(FIRST)
    (versions / "2b3c4d5e6f70_seed_users.py").write_text(SECOND)
    alembic(tmp_path, "-x", "who=grace", "upgrade", "head")
    assert rows(tmp_path / "app.db", "SELECT version_num FROM alembic_version") == [
        ("2b3c4d5e6f70",)
    ]
    return tmp_path


def test_mig_continues_an_alembic_project(alembic_project: Path) -> None:
    project, db = alembic_project, alembic_project / "app.db"
    sources = {p: p.read_text() for p in (project / "migrations").rglob("*.py")}

    assert "2b3c4d5e6f70 (head)" in mig(project, "-c", "alembic.ini", "current")
    assert "2b3c4d5e6f70" in mig(project, "current")  # alembic.ini found without -c

    created = mig(project, "revision", "-m", "add email", "--rev-id", "3c4d5e6f7081")
    new = next((project / "migrations" / "versions").glob("3c4d5e6f7081_*.py"))
    assert str(new.name) in created
    text = new.read_text()
    assert "from alembic import op" in text  # Alembic can run what mig writes
    new.write_text(
        text.replace(
            "def upgrade() -> None:\n    pass",
            "def upgrade() -> None:\n    op.add_column('users', sa.Column('email', sa.Text))",
        ).replace(
            "def downgrade() -> None:\n    pass",
            "def downgrade() -> None:\n    op.drop_column('users', 'email')",
        )
    )
    mig(project, "upgrade", "head")
    assert rows(db, "SELECT version_num FROM alembic_version") == [("3c4d5e6f7081",)]
    assert rows(db, "SELECT id, name, email FROM users") == [(1, "grace", None)]

    sql = mig(project, "-x", "who=linus", "upgrade", "head", "--sql")
    assert "CREATE TABLE users" in sql and "'linus'" in sql and "alembic_version" in sql

    # Alembic still runs every script, mig's new one included, unmodified.
    assert "3c4d5e6f7081 (head)" in alembic(project, "current")
    alembic(project, "downgrade", "base")
    assert rows(db, "SELECT count(*) FROM alembic_version") == [(0,)]
    alembic(project, "upgrade", "head")
    assert rows(db, "SELECT id, name, email FROM users") == [(1, "ada", None)]
    for path, before in sources.items():
        assert path.read_text() == before, f"{path} was edited"


def test_init_from_alembic_writes_the_equivalent_mig_toml(alembic_project: Path) -> None:
    project = alembic_project
    mig(project, "init", "--from-alembic")
    toml = (project / "mig.toml").read_text()
    assert 'version_table = "alembic_version"' in toml
    assert 'script_location = "migrations"' in toml
    assert 'url = "sqlite:///app.db"' in toml
    assert "2b3c4d5e6f70 (head)" in mig(project, "current")  # mig.toml now wins


def test_another_version_table_is_refused_on_an_alembic_database(alembic_project: Path) -> None:
    project = alembic_project
    (project / "mig.toml").write_text('script_location = "migrations"\nurl = "sqlite:///app.db"\n')
    for args in (("current",), ("upgrade", "head")):
        assert MIG is not None
        done = subprocess.run(
            [MIG, *args], cwd=project, text=True, capture_output=True, check=False, env=os.environ
        )
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "alembic_version" in lines[0], done.stderr
        assert 'version_table = "alembic_version"' in lines[0]
    assert rows(project / "app.db", "SELECT version_num FROM alembic_version") == [
        ("2b3c4d5e6f70",)
    ]
