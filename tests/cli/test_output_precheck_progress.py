"""Issue 16, item 4: ``-o DIR`` is checked before any revision runs, and long runs show
progress on a terminal only (never in a pipe, never with ``-q``)."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from stepcache_helpers import mig, ok, scratch_folder

from offline_sql import generate, meter

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the repository's benchmarks/ package (not installed)

from benchmarks.synth import write_project  # noqa: E402

_ = scratch_folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "p", "mig", 3)


@pytest.fixture
def nothing_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("generated before the output directory was checked")

    monkeypatch.setattr(generate, "generate", refuse)  # what migrate imports when it runs


@pytest.mark.usefixtures("nothing_generated")
def test_a_non_empty_directory_is_refused_before_generating(project: Path) -> None:
    (project / "out").mkdir()
    (project / "out" / "notes.txt").write_text("mine")
    outcome = mig(project, "upgrade", "head", "--sql", "-o", "out")
    assert outcome.exit_code == 1
    assert "output directory" in outcome.stderr and "is not empty" in outcome.stderr
    assert "Traceback" not in outcome.stderr


@pytest.mark.usefixtures("nothing_generated")
def test_a_file_in_the_path_is_refused_before_generating(project: Path) -> None:
    (project / "plain").write_text("a file")
    outcome = mig(project, "upgrade", "head", "--sql", "-o", "plain/out/deeper")
    assert outcome.exit_code == 1
    assert "mig: error: cannot create output directory" in outcome.stderr
    assert "plain is not a directory" in outcome.stderr


def test_a_writable_directory_is_written(project: Path) -> None:
    ok(mig(project, "upgrade", "head", "--sql", "-o", "new/out"))
    assert (project / "new" / "out" / "MANIFEST.json").is_file()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    """A terminal as stderr (set in the test's body: pytest's capture replaces
    ``sys.stderr`` after fixtures run), progress shown from the first item."""
    stream = Terminal()
    monkeypatch.setattr(meter, "DELAY", 0.0)
    monkeypatch.setattr(meter, "EVERY", 0.0)
    logger = logging.getLogger("offline_sql")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.setLevel(level)


def test_progress_on_a_terminal_counts_revisions_and_clears_its_line(
    terminal: Terminal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(meter.metered("revisions", ["a1", "b2", "c3"], str)) == ["a1", "b2", "c3"]
    shown = terminal.getvalue()
    assert "mig: revisions 0/3: a1" in shown and "mig: revisions 2/3: c3" in shown
    assert shown.endswith("\r" + " " * 79 + "\r")


def test_no_progress_with_quiet(terminal: Terminal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", terminal)
    logging.getLogger("offline_sql").setLevel(logging.WARNING)  # what -q does
    list(meter.metered("revisions", ["a1", "b2"], str))
    assert terminal.getvalue() == ""


def test_no_progress_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(meter, "DELAY", 0.0)
    list(meter.metered("revisions", ["a1", "b2"], str))
    assert stream.getvalue() == ""


def test_a_run_in_a_pipe_writes_no_progress(project: Path) -> None:
    outcome = mig(project, "upgrade", "head", "--sql", "-o", "out")
    assert outcome.exit_code == 0
    assert "revisions" not in outcome.stderr and "\r" not in outcome.stderr


def test_a_directory_run_names_each_walk_on_a_terminal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade's revisions, then the rollback's (from the head down), then the review:
    each under its own name, so the count starting again does not read as the run going
    back to its beginning."""
    monkeypatch.setattr(meter, "DELAY", 0.0)
    monkeypatch.setattr(meter, "EVERY", 0.0)
    monkeypatch.setattr(meter, "wanted", lambda: True)
    outcome = mig(project, "upgrade", "head", "--sql", "-o", "out")
    assert outcome.exit_code == 0, outcome.stderr
    lines = [line.strip() for line in outcome.stderr.split("\r") if line.strip()]
    walks = [line.split(" ")[1] for line in lines if line.startswith("mig: ")]
    steps = len(list((project / "migrations" / "versions").glob("*.py")))
    assert walks == ["revisions"] * steps + ["rollback"] * steps + ["reviewing"] * steps
    assert f"mig: rollback {steps - 1}/{steps}: " in outcome.stderr
