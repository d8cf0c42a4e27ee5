"""A warm run and the browsing commands import only what they use (issue 16).

On a warm cache a run is mostly Python starting and mig importing itself, so modules that
only some commands need are imported where they are used: ``difflib`` for an error's
"did you mean", ``secrets`` for ``mig revision``'s new id, the ``alembic.ini`` reader
(and ``configparser``) for an Alembic project, ``tempfile`` for writing the index cache.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import LINEAR, make_project

from offline_sql import config, config_ini

NEVER_WARM = (
    "difflib",
    "secrets",
    "configparser",
    "offline_sql.config_ini",
    "sqlalchemy",
    "sqlglot",
)
"""Not imported by a warm ``upgrade --sql`` nor by ``heads``/``history`` on a mig.toml project."""

_PROBE = (
    "import sys\n"
    "from offline_sql.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    assert not exc.code, exc.code\n"
    "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
)


def imported(project: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stderr.split())


@pytest.mark.parametrize(
    "args",
    [("upgrade", "head", "--sql"), ("upgrade", "aaa1:head", "--sql"), ("heads",), ("history",)],
)
def test_warm_commands_import_only_what_they_use(tmp_path: Path, args: tuple[str, ...]) -> None:
    make_project(tmp_path, LINEAR)
    imported(tmp_path, "upgrade", "head", "--sql")  # the cold run fills the caches
    imported(tmp_path, *args)
    found = imported(tmp_path, *args)
    assert not found & set(NEVER_WARM)
    if args[0] != "upgrade":
        assert "tempfile" not in found  # the index cache is only read


def test_the_ini_file_name_is_one() -> None:
    assert config.ALEMBIC_INI == config_ini.ALEMBIC_INI


def test_an_alembic_ini_project_is_still_found(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    assert config.find_config_file(tmp_path) == tmp_path.resolve() / "alembic.ini"
