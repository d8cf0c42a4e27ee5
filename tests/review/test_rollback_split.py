"""A rollback walk split in two (:mod:`offline_sql.rollback_split`): the lower part rendered
by a forked child from the upgrade walk's state, the upper part by the parent.

Whatever happens in the child, the run must write, say and cache exactly what the walk made
in one process does: each test runs the same command split (the walk's minimum length
lowered to these short histories) and unsplit (``fork_lower`` answering None), and compares
the directories byte for byte, the messages, and the step cache's rows.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import Rev, listing, make_project

from offline_sql import rollback_split
from offline_sql.cli import cli
from offline_sql.dialect_api.registry import NAMES
from offline_sql.forking import can_fork


def _revision(number: int, *, downgrade: str | None = None) -> Rev:
    rev = f"r{number:02d}"
    down = f"r{number - 1:02d}" if number > 1 else None
    upgrade = (
        f'op.create_table("t{number}", sa.Column("id", sa.Integer, primary_key=True))\n'
        f'op.add_column("t{number}", sa.Column("name", sa.String(20), nullable=True))'
    )
    undo = f'op.drop_column("t{number}", "name")\nop.drop_table("t{number}")'
    return Rev(rev, down, f"table {number}", upgrade=upgrade, downgrade=downgrade or undo)


HISTORY = tuple(_revision(n) for n in range(1, 9))
"""Eight revisions: the rollback's upper part is r08 to r05, its lower part r04 to r01."""


def _history(number: int, downgrade: str) -> tuple[Rev, ...]:
    """:data:`HISTORY` with revision ``number``'s downgrade replaced."""
    return tuple(
        _revision(n, downgrade=downgrade) if n == number else rev
        for n, rev in enumerate(HISTORY, 1)
    )


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int | None]]:
    """Split walks of a few steps; the child's answers as the parent took them (the count of
    its steps, or None where the parent walked the lower part itself)."""
    monkeypatch.setattr(rollback_split, "MIN_STEPS", 4)
    seen: list[int | None] = []
    answer = rollback_split.LowerPart.answer

    def spied(self: rollback_split.LowerPart, *args: object) -> object:
        found = answer(self, *args)  # type: ignore[arg-type]
        seen.append(None if found is None else len(found))
        return found

    monkeypatch.setattr(rollback_split.LowerPart, "answer", spied)
    yield seen


def _run(config: Path, out: Path, *extra: str, dialect: str = "sqlite") -> Result:
    args = ["-c", str(config), "--dialect", dialect, "upgrade", "base:head", "--sql", "-o"]
    return CliRunner().invoke(cli, [*args, str(out), *extra])


def _unsplit(config: Path, out: Path, *extra: str, dialect: str = "sqlite") -> Result:
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(rollback_split, "fork_lower", lambda *args: None)
        return _run(config, out, *extra, dialect=dialect)


def _said(result: Result, out: Path) -> tuple[int, str, str]:
    """Exit code, stdout and stderr, the output directory's path written ``DIR``."""
    return (
        result.exit_code,
        result.stdout.replace(str(out), "DIR"),
        result.stderr.replace(str(out), "DIR"),
    )


def _cache_rows(project: Path) -> dict[str, set[tuple[object, ...]]]:
    found = list(project.rglob("steps.sqlite3"))
    assert len(found) == 1
    with sqlite3.connect(found[0]) as connection:
        return {
            table: set(connection.execute(f"SELECT key, deps, notes, after, data FROM {table}"))
            for table in ("state", "render", "walk", "review")
        }


def _expect_split(answers: list[int | None], steps: int | None) -> None:
    """The child's answer was taken (``steps``: the count of its steps), or, with ``None``,
    dropped: the parent walked the lower part itself."""
    if can_fork():  # a machine with one CPU never splits
        assert answers == [steps]


@pytest.mark.parametrize("dialect", NAMES)
def test_a_split_walk_writes_the_directory_of_one_walk(
    tmp_path: Path, answers: list[int | None], dialect: str
) -> None:
    config = make_project(tmp_path / "project", HISTORY)
    split = _run(config, tmp_path / "split", "--no-cache", dialect=dialect)
    assert split.exit_code == 0, split.output
    _expect_split(answers, 4)
    whole = _unsplit(config, tmp_path / "whole", "--no-cache", dialect=dialect)
    assert whole.exit_code == 0
    assert listing(tmp_path / "split") == listing(tmp_path / "whole")
    assert _said(split, tmp_path / "split") == _said(whole, tmp_path / "whole")


def test_the_child_caches_its_steps_as_one_walk_does(
    tmp_path: Path, answers: list[int | None]
) -> None:
    """The child's step cache rows come back to the parent's store: the cache holds what a
    walk made in one process stores, row for row, and the next run reads it back."""
    config = make_project(tmp_path / "project", HISTORY)
    cache = tmp_path / "project" / "migrations" / ".mig_cache"
    assert _run(config, tmp_path / "split").exit_code == 0
    _expect_split(answers, 4)
    split_rows = _cache_rows(tmp_path / "project")
    shutil.copytree(cache, tmp_path / "split-cache")
    shutil.rmtree(cache)
    assert _unsplit(config, tmp_path / "whole").exit_code == 0
    assert _cache_rows(tmp_path / "project") == split_rows
    shutil.rmtree(cache)
    shutil.copytree(tmp_path / "split-cache", cache)
    again = _run(config, tmp_path / "again")
    assert again.exit_code == 0
    assert listing(tmp_path / "again") == listing(tmp_path / "split")


@pytest.mark.parametrize(
    ("downgrade", "said"),
    [
        ('import warnings\nwarnings.warn("careful")\nop.drop_table("t2")', "careful"),
        ('print("hello from r02")\nop.drop_table("t2")', "hello from r02"),
    ],
    ids=["warns", "prints"],
)
def test_a_child_that_says_something_leaves_the_part_to_the_parent(
    tmp_path: Path, answers: list[int | None], downgrade: str, said: str
) -> None:
    """A downgrade of the lower part that warns or prints: the child's answer is dropped and
    the parent says it, once, where it always did."""
    history = _history(2, 'op.drop_column("t2", "name")\n' + downgrade)
    config = make_project(tmp_path / "project", history)
    split = _run(config, tmp_path / "split", "--no-cache")
    assert split.exit_code == 0, split.output
    _expect_split(answers, None)
    whole = _unsplit(config, tmp_path / "whole", "--no-cache")
    assert listing(tmp_path / "split") == listing(tmp_path / "whole")
    assert _said(split, tmp_path / "split") == _said(whole, tmp_path / "whole")
    assert split.output.count(said) == 1


def test_a_downgrade_that_does_not_undo_its_upgrade_is_walked_by_the_parent(
    tmp_path: Path, answers: list[int | None]
) -> None:
    """r06's downgrade leaves a column its upgrade did not add: the state the parent reaches
    is not the one the child started from, so the parent renders the lower part itself."""
    history = _history(
        6,
        'op.drop_column("t6", "name")\nop.drop_table("t6")\n'
        'op.add_column("t1", sa.Column("extra", sa.Integer))',
    )
    config = make_project(tmp_path / "project", history)
    split = _run(config, tmp_path / "split", "--no-cache")
    assert split.exit_code == 0, split.output
    _expect_split(answers, None)
    assert _unsplit(config, tmp_path / "whole", "--no-cache").exit_code == 0
    assert listing(tmp_path / "split") == listing(tmp_path / "whole")


@pytest.mark.parametrize(
    "downgrade",
    ["pass", 'raise RuntimeError("r03 cannot go back")'],
    ids=["records-nothing", "raises"],
)
def test_a_lower_part_that_stops_or_fails_is_walked_by_the_parent(
    tmp_path: Path, answers: list[int | None], downgrade: str
) -> None:
    """r03 has no way back (the walk stops above it) or its downgrade raises: the parent
    stops, or fails, exactly as the walk made in one process."""
    config = make_project(tmp_path / "project", _history(3, downgrade))
    split = _run(config, tmp_path / "split", "--no-cache")
    _expect_split(answers, None)
    whole = _unsplit(config, tmp_path / "whole", "--no-cache")
    assert _said(split, tmp_path / "split") == _said(whole, tmp_path / "whole")
    if whole.exit_code == 0:
        assert listing(tmp_path / "split") == listing(tmp_path / "whole")
    else:
        assert not (tmp_path / "split").exists()


def test_a_state_that_does_not_copy_is_not_split(
    tmp_path: Path, answers: list[int | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copying the state raises (as an object of a script's refusing ``deepcopy`` would): no
    copy is kept, the walk is not split, and the run writes what it always did."""
    from offline_sql.state import SchemaState

    config = make_project(tmp_path / "project", HISTORY)
    assert _unsplit(config, tmp_path / "whole", "--no-cache").exit_code == 0

    def refuse(self: SchemaState, memo: object) -> SchemaState:
        raise TypeError("cannot copy")

    monkeypatch.setattr(SchemaState, "__deepcopy__", refuse, raising=False)
    split = _run(config, tmp_path / "split", "--no-cache")
    assert split.exit_code == 0, split.output
    assert answers == []
    assert listing(tmp_path / "split") == listing(tmp_path / "whole")
