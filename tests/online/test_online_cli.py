"""Online mode through the real ``mig`` console script, on SQLite (the default of ``mig init``)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Rev, make_project

MIG = shutil.which("mig", path=str(Path(sys.executable).parent))

REVISIONS = [
    Rev(
        "a1",
        message="create accounts",
        upgrade='op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True),\n'
        '    sa.Column("name", sa.String(50), nullable=False))',
        downgrade='op.drop_table("accounts")',
    ),
    Rev(
        "b2",
        down="a1",
        message="add email",
        upgrade='op.add_column("accounts", sa.Column("email", sa.String(100), nullable=False,\n'
        '    server_default="none"))',
        downgrade='op.drop_column("accounts", "email")',
    ),
]


def mig(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert MIG is not None, "the mig console script is not installed next to this Python"
    return subprocess.run([MIG, *args], cwd=cwd, text=True, capture_output=True, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    make_project(tmp_path, REVISIONS, settings={"url": "sqlite:///app.db"})
    return tmp_path


def columns(db: Path, table: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


NO_REVISION = "(no revision: the version table is empty or missing)\n"


def test_upgrade_current_downgrade_round_trip(project: Path) -> None:
    assert mig(project, "current").stdout == NO_REVISION
    up = mig(project, "upgrade", "head")
    assert up.returncode == 0, up.stderr
    assert up.stdout == ""
    assert up.stderr.splitlines() == [
        "mig: upgrade base -> a1: create accounts",
        "mig: upgrade a1 -> b2: add email",
    ]
    assert columns(project / "app.db", "accounts") == ["id", "name", "email"]
    assert mig(project, "current").stdout == "b2 (head)\n"

    again = mig(project, "upgrade", "head")
    assert again.returncode == 0
    assert again.stderr == "mig: nothing to do: the database is at b2\n"

    down = mig(project, "downgrade", "-1")
    assert down.returncode == 0, down.stderr
    assert columns(project / "app.db", "accounts") == ["id", "name"]
    assert mig(project, "current").stdout == "a1\n"

    base = mig(project, "downgrade", "base")
    assert base.returncode == 0, base.stderr
    with sqlite3.connect(project / "app.db") as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert tables == {"mig_version"}
    assert mig(project, "current").stdout == NO_REVISION


def test_a_failing_revision_leaves_the_database_at_the_previous_one(project: Path) -> None:
    bad = Rev(
        "c3", down="b2", message="broken", upgrade='op.execute("CREATE TABLE accounts (x INT)")'
    )
    make_project(project, [*REVISIONS, bad], settings={"url": "sqlite:///app.db"})
    assert mig(project, "upgrade", "b2").returncode == 0
    failed = mig(project, "upgrade", "head")
    assert failed.returncode == 1
    [error] = [line for line in failed.stderr.splitlines() if line.startswith("mig: error:")]
    assert "revision c3" in error
    assert "CREATE TABLE accounts" in error
    assert "Traceback" not in failed.stderr
    assert mig(project, "current").stdout == "b2\n"  # c3 is the head now, not applied


def test_online_range_is_a_usage_error(project: Path) -> None:
    result = mig(project, "upgrade", "a1:b2")
    assert result.returncode == 2
    assert "--sql" in result.stderr


def test_stamp_runs_no_script(project: Path) -> None:
    """Stamping records a revision without running any script: one that no longer imports
    (a module gone since) must not stop it, online or offline, even below the start."""
    gone = Rev("c3", down="b2", message="uses a gone module", prelude="import gone_module\n")
    make_project(project, [*REVISIONS, gone], settings={"url": "sqlite:///app.db"})
    assert mig(project, "stamp", "head").returncode == 0
    offline = mig(project, "stamp", "c3:a1", "--sql")
    assert offline.returncode == 0, offline.stderr
    assert "'c3'" in offline.stdout
    online = mig(project, "stamp", "a1")
    assert online.returncode == 0, online.stderr
    assert mig(project, "current").stdout == "a1\n"
    assert columns(project / "app.db", "accounts") == []  # nothing was created


def test_quiet_and_verbose_reach_the_logger_set_up_when_first_used(project: Path) -> None:
    """The command line sets mig's logger up when it is first used, not at start
    (:mod:`offline_sql.logs`): in a process of its own, where nothing imported logging
    before, ``-q`` still silences the progress lines and ``-v`` still adds each statement."""
    quiet = mig(project, "-q", "upgrade", "a1")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    verbose = mig(project, "-v", "upgrade", "head")
    assert verbose.returncode == 0, verbose.stderr
    lines = verbose.stderr.splitlines()
    assert "mig: upgrade a1 -> b2: add email" in lines
    assert "mig: holding the migration lock mig:mig_version" in lines  # a debug line
    assert any(line.startswith("mig:   ALTER TABLE accounts ADD") for line in lines), lines
    assert mig(project, "upgrade", "head").stderr == "mig: nothing to do: the database is at b2\n"
