"""An ``alembic init`` project, applied by Alembic, continued by mig with no edit and no
re-stamp; Alembic still runs the same scripts afterwards (real Alembic, real SQLite)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

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
    assert '"""Upgrade schema."""' in text  # written from the project's script.py.mako
    edited = text.replace(
        '"""Upgrade schema."""\n    pass',
        '"""Upgrade schema."""\n    op.add_column(\'users\', sa.Column(\'email\', sa.Text))',
    ).replace(
        '"""Downgrade schema."""\n    pass',
        '"""Downgrade schema."""\n    op.drop_column(\'users\', \'email\')',
    )
    assert edited.count("'email'") == 2
    new.write_text(edited)
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


# ---- autogenerated revisions and the project's script.py.mako ------------------------------

MODELS = """import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)
"""

POSTS = """
posts = sa.Table(
    "posts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False, server_default="untitled"),
)
"""

NICKNAME = '    sa.Column("nickname", sa.String(30)),\n'


def _add_nickname(models: Path) -> None:
    text = models.read_text()
    anchor = '    sa.Column("name", sa.String(50), nullable=False),\n'
    assert anchor in text
    models.write_text(text.replace(anchor, anchor + NICKNAME, 1))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgresql, id="postgresql"),
    ]
)
def autogenerated_project(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """``alembic init`` + env.py with ``target_metadata`` + two revisions written by
    ``alembic revision --autogenerate``, applied online by ``alembic upgrade head``."""
    if request.param == "sqlite":
        url = "sqlite:///app.db"
    else:
        database = request.getfixturevalue("postgresql_database")
        url = database.url.render_as_string(hide_password=False)
    alembic(tmp_path, "init", "migrations")
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        ini.read_text().replace(
            "sqlalchemy.url = driver://user:pass@localhost/dbname", f"sqlalchemy.url = {url}"
        )
    )
    env = tmp_path / "migrations" / "env.py"
    assert "target_metadata = None" in env.read_text()
    env.write_text(
        env.read_text().replace(
            "target_metadata = None", "from models import metadata\ntarget_metadata = metadata"
        )
    )
    models = tmp_path / "models.py"
    models.write_text(MODELS)
    alembic(
        tmp_path, "revision", "--autogenerate", "-m", "create users", "--rev-id", "a1a1a1a1a1a1"
    )
    alembic(tmp_path, "upgrade", "head")
    models.write_text(MODELS + POSTS)
    alembic(tmp_path, "revision", "--autogenerate", "-m", "add posts", "--rev-id", "b2b2b2b2b2b2")
    alembic(tmp_path, "upgrade", "head")
    assert "b2b2b2b2b2b2 (head)" in alembic(tmp_path, "current")
    return tmp_path, url


def test_mig_continues_autogenerated_alembic_revisions(
    autogenerated_project: tuple[Path, str],
) -> None:
    project, url = autogenerated_project
    engine = sa.create_engine(
        url.replace("sqlite:///", f"sqlite:///{project}/"), poolclass=NullPool
    )
    sources = {p: p.read_text() for p in (project / "migrations").rglob("*.py")}
    versions = project / "migrations" / "versions"
    assert "op.create_table('posts'" in (versions / "b2b2b2b2b2b2_add_posts.py").read_text()

    assert "b2b2b2b2b2b2 (head)" in mig(project, "current")  # no edit, no re-stamp
    assert "No differences" in mig(project, "check")  # mig reads Alembic's autogenerate

    _add_nickname(project / "models.py")
    mig(project, "revision", "--autogenerate", "-m", "add nickname", "--rev-id", "c3c3c3c3c3c3")
    new = versions / "c3c3c3c3c3c3_add_nickname.py"
    text = new.read_text()
    assert '"""Upgrade schema."""' in text and "from typing import Sequence, Union" in text
    assert "revision: str = 'c3c3c3c3c3c3'" in text  # as Alembic's template writes it
    assert "= 'b2b2b2b2b2b2'" in text and "nickname" in text

    mig(project, "upgrade", "head")
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert version == [("c3c3c3c3c3c3",)]
    assert "nickname" in {c["name"] for c in sa.inspect(engine).get_columns("users")}
    assert "c3c3c3c3c3c3 (head)" in mig(project, "current")

    # Alembic runs every script unmodified, mig's autogenerated one included, and finds
    # the models and the database in agreement.
    assert "c3c3c3c3c3c3 (head)" in alembic(project, "current")
    assert "No new upgrade operations detected" in alembic(project, "check")
    alembic(project, "upgrade", "head")
    alembic(project, "downgrade", "-1")
    assert "b2b2b2b2b2b2" in alembic(project, "current")
    assert "nickname" not in {c["name"] for c in sa.inspect(engine).get_columns("users")}
    alembic(project, "upgrade", "head")
    assert "c3c3c3c3c3c3 (head)" in mig(project, "current")
    engine.dispose()
    for path, before in sources.items():
        assert path.read_text() == before, f"{path} was edited"


def test_mig_revision_is_alembic_revision_but_for_id_and_date(alembic_project: Path) -> None:
    project = alembic_project
    alembic(project, "revision", "-m", "add email", "--rev-id", "a0a0a0a0a0a0")
    mig(
        project,
        "revision",
        "-m",
        "add email",
        "--rev-id",
        "b0b0b0b0b0b0",
        "--head",
        "2b3c4d5e6f70",
        "--splice",
    )
    versions = project / "migrations" / "versions"
    theirs = (versions / "a0a0a0a0a0a0_add_email.py").read_text()
    ours = (versions / "b0b0b0b0b0b0_add_email.py").read_text()
    date = re.compile(r"^Create Date: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$", re.M)
    assert date.search(theirs) and date.search(ours)
    assert date.sub("Create Date: D", ours.replace("b0b0b0b0b0b0", "ID")) == date.sub(
        "Create Date: D", theirs.replace("a0a0a0a0a0a0", "ID")
    )
    (versions / "a0a0a0a0a0a0_add_email.py").unlink()

    sql = alembic(project, "upgrade", "head", "--sql")
    assert "b0b0b0b0b0b0" in sql
    sql = mig(project, "upgrade", "head", "--sql")
    assert "b0b0b0b0b0b0" in sql
