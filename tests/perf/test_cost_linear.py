"""Issue 16: a command's work grows with the revisions, never with their square.

Speed is measured by the benchmark (``benchmarks/``), not here: these tests count the work
that made ``-o DIR`` quadratic (tables read from the schema state, tables pickled and
unpickled by the step cache, tables spelled for the review) on a synthetic history of N and
of 2N revisions. Per revision, the count must not grow with N.
"""

from __future__ import annotations

import pickle
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stepcache_helpers import mig, ok, scratch_folder

from offline_sql import review_steps, tablemap
from offline_sql.tablemap import TableMap

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the repository's benchmarks/ package (not installed)

from benchmarks.synth import write_project  # noqa: E402

SMALL, LARGE = 30, 60

_ = scratch_folder  # the fixture keeps bytecode and caches out of the repository


class Work(Counter[str]):
    """Counts of the work done, by kind."""


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    counts = Work()

    def counting(kind: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[kind] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(TableMap, "__getitem__", counting("read", TableMap.__getitem__))
    monkeypatch.setattr(tablemap, "freeze", counting("freeze", tablemap.freeze))
    monkeypatch.setattr(pickle, "loads", counting("unpickle", pickle.loads))
    monkeypatch.setattr(pickle, "dumps", counting("pickle", pickle.dumps))
    monkeypatch.setattr(
        review_steps, "column_types", counting("spelled", review_steps.column_types)
    )
    yield counts


def _per_revision(
    tmp_path: Path, work: Work, n: int, runs: list[tuple[str, ...]]
) -> dict[str, float]:
    project = write_project(tmp_path / f"n{n}", "mig", n)
    work.clear()
    for args in runs:
        ok(mig(project, *args))
    return {kind: count / n for kind, count in work.items()}


def _assert_linear(small: dict[str, float], large: dict[str, float]) -> None:
    for kind in sorted(set(small) | set(large)):
        # Constant per revision, give or take the fixed work of a command (the root
        # revision, the first and last files): quadratic work would double it.
        assert large.get(kind, 0) <= small.get(kind, 0) * 1.25 + 1, (kind, small, large)


COMMANDS: dict[str, list[tuple[str, ...]]] = {
    "stdout": [("upgrade", "head", "--sql")],
    "stdout warm": [("upgrade", "head", "--sql"), ("upgrade", "head", "--sql")],
    "directory": [("upgrade", "head", "--sql", "-o", "out1")],
    "directory warm": [
        ("upgrade", "head", "--sql", "-o", "out1"),
        ("upgrade", "head", "--sql", "-o", "out2"),
    ],
    "strict": [("upgrade", "head", "--sql", "--strict")],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_work_per_revision_does_not_grow_with_the_history(
    tmp_path: Path, work: Work, command: str
) -> None:
    runs = COMMANDS[command]
    small = _per_revision(tmp_path, work, SMALL, runs)
    large = _per_revision(tmp_path, work, LARGE, runs)
    _assert_linear(small, large)


def test_the_review_spells_only_the_tables_a_step_touched(tmp_path: Path, work: Work) -> None:
    """Each synthetic revision creates one table and reads its parent: a handful of tables
    spelled per revision, not every table of the state."""
    project = write_project(tmp_path / "p", "mig", LARGE)
    ok(mig(project, "upgrade", "head", "--sql", "-o", "out"))
    assert 0 < work["spelled"] <= 3 * LARGE


def test_a_second_directory_run_neither_runs_nor_parses_anything(
    tmp_path: Path, work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: a warm ``-o DIR`` reads each step's rendering and what its review found from
    the step cache: no script runs (nor its downgrade, for the rollback check), no statement
    is parsed by sqlglot, no table of the schema is read; and its files are the same."""
    import importlib

    from offline_sql.script import loader

    classify = importlib.import_module("offline_sql.review.classify")  # the module, not the
    # function offline_sql.review exports under its name

    project = write_project(tmp_path / "p", "mig", SMALL)
    ok(mig(project, "upgrade", "head", "--sql", "-o", "first"))
    counts = Counter[str]()
    real_parse, real_load = classify.parse, loader.load_script

    def parse(*args: Any, **kwargs: Any) -> Any:
        counts["parsed"] += 1
        return real_parse(*args, **kwargs)

    def load_script(*args: Any, **kwargs: Any) -> Any:
        counts["loaded"] += 1
        return real_load(*args, **kwargs)

    monkeypatch.setattr(classify, "parse", parse)
    monkeypatch.setattr(loader, "load_script", load_script)
    work.clear()
    ok(mig(project, "upgrade", "head", "--sql", "-o", "second"))
    assert counts == Counter()
    assert work["read"] == work["spelled"] == 0
    first = sorted((p.relative_to(project / "first"), p.read_bytes())
                   for p in (project / "first").rglob("*") if p.is_file())
    second = sorted((p.relative_to(project / "second"), p.read_bytes())
                    for p in (project / "second").rglob("*") if p.is_file())
    assert first == second
