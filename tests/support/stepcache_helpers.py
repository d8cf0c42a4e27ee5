"""Shared tools for the step cache tests (tests/stepcache/).

The step cache (:mod:`offline_sql.stepcache`) must be invisible: a run with a cold cache, a
warm cache and no cache at all gives the same bytes. These helpers run ``mig`` in-process
the way the golden tests do (from the project folder, so messages name relative paths),
copy golden scenarios out of ``golden/`` first (a test must never leave a ``.mig_cache``
there), count the scripts a command imports and describe a schema state exactly.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import Rev, make_project

from golden import Scenario

CACHE_FOLDER = ".mig_cache"
STEPS_FILE = "steps.sqlite3"


RAM_DISK = Path("/dev/shm")


def scratch_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder for projects and their caches (the body of each test module's ``scratch``
    fixture): in memory where the system has a RAM disk. Each cold run commits a SQLite
    transaction, synced to disk; hundreds of them on a real disk take most of these tests'
    time."""
    if not (RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK | os.X_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="mig-stepcache-", dir=RAM_DISK))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy_scenario(scenario: Scenario, root: Path) -> Path:
    """A copy of the scenario's project under ``root`` (without any cache), returned."""
    target = root / scenario.name
    shutil.copytree(scenario.path, target, ignore=shutil.ignore_patterns(CACHE_FOLDER))
    return target


def steps_file(project: Path, location: str = "migrations") -> Path:
    """Where the step cache of a project with the default ``cache_dir`` lives."""
    return project / location / CACHE_FOLDER / STEPS_FILE


@dataclass(frozen=True)
class Outcome:
    """What one in-process ``mig`` run printed (stdout as bytes decoded, no newline games)."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("mig: warning: ")]


@contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run with ``folder`` as the working directory (mig names paths relative to it)."""
    here = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(here)


def mig(project: Path, *args: str, no_cache: bool = False) -> Outcome:
    """``mig [--no-cache] ARGS`` run from ``project`` with click's CliRunner."""
    from offline_sql.cli import cli

    argv = ["--no-cache", *args] if no_cache else list(args)
    with inside(project):
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout_bytes.decode("utf-8"), result.stderr)


def ok(outcome: Outcome) -> str:
    """The script of a run that must succeed."""
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.stdout


@dataclass
class Imports:
    """Revision scripts imported (``load_script`` calls), in order, since the last reset."""

    revisions: list[str] = field(default_factory=list)

    def take(self) -> list[str]:
        """The revisions imported since the last call, and start counting again."""
        found, self.revisions = self.revisions, []
        return found


def count_imports(monkeypatch: pytest.MonkeyPatch) -> Imports:
    """Wrap the loader so every revision script mig imports is noted (mig looks the
    function up on the module at each call, so patching the module attribute is enough)."""
    from offline_sql.script import loader

    imports = Imports()
    real = loader.load_script

    def counting(path: str, revision: str) -> ModuleType:
        imports.revisions.append(revision)
        return real(path, revision)

    monkeypatch.setattr(loader, "load_script", counting)
    return imports


ADDRESS = re.compile(r" (?:object )?at 0x[0-9a-fA-F]+")


def describe(value: Any) -> Any:
    """``value`` as plain, comparable data: dataclasses field by field, containers in their
    order (sets sorted), SQL expressions as their SQL text, the rest as its ``repr``. Two
    runs build equal objects at different addresses, and the repr of an SQL expression
    (``<... current_timestamp at 0x7f...>``) shows the address rather than the SQL."""
    import sqlalchemy as sa

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__qualname__,
            tuple((f.name, describe(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    if isinstance(value, dict):
        return ("dict", tuple((describe(k), describe(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(describe(item) for item in value))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((describe(item) for item in value), key=repr)))
    if isinstance(value, sa.sql.ClauseElement):
        try:
            text = str(value)
        except Exception:  # an expression only one dialect can compile
            text = ADDRESS.sub("", repr(value))
        return (type(value).__qualname__, text)
    return ADDRESS.sub("", repr(value))


def describe_state(state: Any) -> tuple[Any, ...]:
    """Everything a schema state holds, in order, as comparable plain data: the table keys
    in order with each table described, then the enums, the sequences, the unparsed SQL,
    the sqlglot dialect, the foreign key namer and the look-ahead (empty between
    operations)."""
    keys = list(state.tables)
    return (
        keys,
        [describe(state.tables[key]) for key in keys],
        describe(state.enums),
        describe(state.sequences),
        describe(state.unparsed),
        state.sqlglot_dialect,
        repr(state.foreign_key_namer),
        describe(state.dropped_later),
    )


def cache_dump(path: Path) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table of a step cache file (table -> rows), empty when absent."""
    if not path.exists():
        return {}
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            table: set(connection.execute(f"SELECT * FROM {table}").fetchall()) for table in tables
        }
    finally:
        connection.close()


def cache_rows(path: Path) -> dict[str, int]:
    """Rows per table of a step cache file (empty when the file does not exist)."""
    return {table: len(rows) for table, rows in cache_dump(path).items()}


SQL = ("upgrade", "base:head", "--sql")
"""The whole history offline: what most cache tests compare."""


def small_project(root: Path, revs: list[Rev], dialect: str = "postgresql") -> Path:
    """A project of ``revs`` for ``dialect`` in ``root`` (scripts in ``migrations/``)."""
    make_project(root, revs, settings={"script_location": "migrations", "dialect": dialect})
    return root


def same_with_and_without_cache(folder: Path, *args: str) -> str:
    """The output of ``mig *args`` (cache on), checked equal, stderr too, to a --no-cache run."""
    cached = mig(folder, *args)
    uncached = mig(folder, *args, no_cache=True)
    assert uncached.exit_code == 0, uncached.stderr
    assert cached.exit_code == 0, cached.stderr
    assert cached.stdout == uncached.stdout
    assert cached.stderr == uncached.stderr
    return cached.stdout
