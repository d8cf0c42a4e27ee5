"""Running a mig project both ways: offline (``--sql`` through the database's client) and online.

Shared by the offline-equals-online tests (``tests/scenarios/test_offline_equals_online.py``) and
the tests that build small projects of their own and apply them on real databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from databases import ScratchDatabase

from offline_sql import records
from offline_sql.cli import cli
from offline_sql.config import Config, load_config

MARKS = {"postgresql": pytest.mark.postgresql, "mariadb": pytest.mark.mysql}

@dataclass(frozen=True)
class Stop:
    """A scenario that cannot run to its end on one database, offline or online: both
    must stop at the same statement with the same error and leave the same state."""

    error: str
    """Text both the client's and mig's messages contain (the server's error code)."""
    versions: list[str]
    reason: str


STOPS: dict[tuple[str, str], Stop] = {}
"""Scenarios a database is expected to refuse, in both modes alike (none at present)."""


def cli_script(config: Path, dialect: str, *command: str) -> str:
    """``mig -c CONFIG --dialect D COMMAND --sql``, run in-process as users run it."""
    args = ["-c", str(config), "--dialect", dialect, *command, "--sql"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, f"mig {' '.join(args)}: {result.stderr}"
    # The bytes users get: Result.stdout would turn a CR LF inside a literal into LF.
    return result.stdout_bytes.decode("utf-8")


def online_config(config: Path, database: ScratchDatabase) -> Config:
    loaded = load_config(config, dialect=database.dialect)
    return records.replace(loaded, url=database.url.render_as_string(hide_password=False))


REVISION = '''"""{message}

Revision ID: {revision}
Revises: {down}
"""

import sqlalchemy as sa

from offline_sql import op

revision = "{revision}"
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''


def write_project(root: Path, steps: list[tuple[str, str]], settings: str = "") -> Path:
    """A mig project in ``root`` with a linear history: (revision, upgrade body) in order,
    bodies indented; returns the config file."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    config = root / "mig.toml"
    config.write_text(f'script_location = "migrations"\n{settings}', encoding="utf-8")
    down = None
    for revision, body in steps:
        text = REVISION.format(
            message=f"step {revision}",
            revision=revision,
            down=down or "None",
            down_repr=repr(down),
            body=body,
        )
        (versions / f"{revision}_step.py").write_text(text, encoding="utf-8")
        down = revision
    return config
