"""A first run reads and compiles scripts ahead in a forked child (issue 16), changing nothing.

:mod:`offline_sql.script.ahead`: the child reads half of the headers and compiles the
scripts while the parent imports the dialect. The script must be the same byte for byte
with the child, without ``os.fork``, and when forking fails; an error in a script must be
reported by the parent exactly as before; and no child may outlive the run (no zombie).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from stepcache_helpers import Outcome, mig

from offline_sql import forking
from offline_sql.script import ahead

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the repository's benchmarks/ package (not installed)

from benchmarks import synth  # noqa: E402

N = 40
HEAD = ("upgrade", "head", "--sql")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here")


@pytest.fixture(autouse=True)
def _few_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead, "FORK_MIN_FILES", 8)
    # A test run may hold threads of its own (a library's): mig forks only when it is
    # single-threaded, and these tests fork regardless (the child only reads files).
    monkeypatch.setattr(ahead, "can_fork", lambda: True)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Pids of the children started (the list stays empty when none was)."""
    pids: list[int] = []
    real_start = ahead.Ahead.start

    def start(self: ahead.Ahead, paths: Sequence[str]) -> bool:
        made = real_start(self, paths)
        if made:
            assert self.pid is not None
            pids.append(self.pid)
        return made

    monkeypatch.setattr(ahead.Ahead, "start", start)
    return pids


def _project(tmp_path: Path) -> Path:
    return synth.write_project(tmp_path / "project", "mig", N)


def _no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead, "can_fork", lambda: False)


def _reaped(pids: list[int]) -> bool:
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True


def _run(project: Path, *args: str, no_cache: bool = True) -> Outcome:
    return mig(project, *(args or HEAD), no_cache=no_cache)


def test_fork_and_fallback_give_the_same_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[int]
) -> None:
    project = _project(tmp_path)
    forked = _run(project)
    assert forked.exit_code == 0, forked.stderr
    assert len(started) == 1 and _reaped(started)
    with monkeypatch.context() as patch:
        _no_fork(patch)
        alone = _run(project)
    assert len(started) == 1  # no second child
    assert alone.exit_code == 0
    assert (forked.stdout, forked.stderr) == (alone.stdout, alone.stderr)


def test_first_run_with_the_cache_then_a_warm_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[int]
) -> None:
    """With the caches on: the first run forks and fills them, the next reads them (no
    child: every header is in the index) and prints the same."""
    project = _project(tmp_path)
    for path in project.rglob("*.py"):
        os.utime(path, (1_000_000_000, 1_000_000_000))  # old files: cached by the index
    first = _run(project, no_cache=False)
    second = _run(project, no_cache=False)
    assert len(started) == 1 and _reaped(started)
    with monkeypatch.context() as patch:
        _no_fork(patch)
        alone = _run(project)
    assert first.exit_code == second.exit_code == alone.exit_code == 0
    assert first.stdout == second.stdout == alone.stdout


def test_a_failed_fork_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[int]
) -> None:
    project = _project(tmp_path)
    with monkeypatch.context() as patch:
        _no_fork(patch)
        alone = _run(project)

    def refuse() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    failed = _run(project)
    assert started == []
    assert failed.exit_code == 0
    assert failed.stdout == alone.stdout


def _break(project: Path, index: int, text: str) -> Path:
    """Append ``text`` to the ``index``-th script (in file-name order) and return its path."""
    scripts = sorted((project / "migrations" / "versions").glob("*.py"))
    script = scripts[index]
    script.write_text(script.read_text() + text)
    return script


@pytest.mark.parametrize(
    ("where", "text", "said"),
    [
        (-3, "\ndef broken(:\n", "syntax error"),  # the header (child's half) fails
        (2, "\ndef broken(:\n", "syntax error"),  # the header (parent's half) fails
        (-2, "\nraise RuntimeError('boom at import')\n", "boom at import"),  # running it
        pytest.param(  # compiling warns (an invalid escape), then running it fails
            -5,
            '\nwrong = "\\d"\nundefined_name\n',
            "NameError",
            marks=pytest.mark.filterwarnings("always"),
        ),
    ],
)
def test_a_script_error_is_reported_the_same(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: list[int],
    where: int,
    text: str,
    said: str,
) -> None:
    project = _project(tmp_path)
    script = _break(project, where, text)
    forked = _run(project)
    assert len(started) == 1 and _reaped(started)
    with monkeypatch.context() as patch:
        _no_fork(patch)
        alone = _run(project)
    assert forked.exit_code == alone.exit_code != 0
    assert forked.stderr == alone.stderr
    assert forked.stdout == alone.stdout
    assert script.name in forked.stderr and said in forked.stderr


def test_a_script_changed_after_it_was_compiled_ahead_runs_as_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytecode compiled ahead is only used for the very bytes the loader reads."""
    project = _project(tmp_path)
    versions = project / "migrations" / "versions"
    target = sorted(versions.glob("*.py"))[-1]
    session = ahead.Ahead()
    paths = [str(p) for p in sorted(versions.glob("*.py"))]
    try:
        assert session.start(paths)
        session.prepare(paths)
        source = target.read_bytes()
        changed = source + b"\nADDED = 1\n"
        assert session.code(str(target), changed) is None  # not the bytes compiled
        other = sorted(versions.glob("*.py"))[-2]
        code = session.code(str(other), other.read_bytes())
        assert code is not None and code.co_filename == str(other)
        assert session.code(str(other), other.read_bytes()) is None  # handed out once
    finally:
        pid = session.pid
        session.close()
    assert session.pid is None and (pid is None or _reaped([pid]))


def test_closing_early_kills_and_reaps_the_child(tmp_path: Path) -> None:
    project = _project(tmp_path)
    versions = project / "migrations" / "versions"
    session = ahead.Ahead()
    assert session.start([str(p) for p in sorted(versions.glob("*.py"))])
    pid = session.pid
    assert pid is not None
    session.close()  # before reading anything: the child may still be writing
    assert _reaped([pid])
    assert not session.running


def test_no_child_for_a_short_history(tmp_path: Path, started: list[int]) -> None:
    project = synth.write_project(tmp_path / "short", "mig", 3)
    assert _run(project).exit_code == 0
    assert started == []


def test_the_recorder_resolves_a_script_path_as_realpath_does(tmp_path: Path) -> None:
    """The recorder resolves each script folder once (``real_paths.real_path``); the result is
    ``os.path.realpath``'s, through linked folders and linked scripts alike."""
    from offline_sql.real_paths import real_path

    (tmp_path / "real" / "versions").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    script = tmp_path / "real" / "versions" / "a.py"
    script.write_text("")
    (tmp_path / "real" / "versions" / "b.py").symlink_to(script)
    for given in (
        tmp_path / "link" / "versions" / "a.py",
        tmp_path / "link" / "versions" / "b.py",
        tmp_path / "link" / "versions" / ".." / "versions" / "a.py",
        tmp_path / "link" / "versions" / "missing.py",
    ):
        for _ in range(2):  # the second time from the remembered folder
            assert real_path(str(given)) == os.path.realpath(given)
    assert real_path("a.py") == os.path.realpath("a.py")


def test_no_fork_while_another_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real can_fork
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forking.can_fork()
        assert not ahead.Ahead().start([f"/nowhere/{i}.py" for i in range(100)])
    finally:
        stop.set()
        other.join()


def test_a_first_run_as_a_process_gives_the_in_process_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The installed command, cold (a child reads ahead while mig imports the dialect),
    prints what a run without any child prints."""
    project = synth.write_project(tmp_path / "project", "mig", 100)
    mig_command = Path(sys.executable).parent / "mig"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIG_", "PYTHON"))}
    done = subprocess.run(
        [str(mig_command), *HEAD], cwd=project, env=env, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    with monkeypatch.context() as patch:
        _no_fork(patch)
        alone = _run(project)
    assert done.stdout.decode("utf-8") == alone.stdout


def _slow_in_the_child(
    monkeypatch: pytest.MonkeyPatch, name: str, real: Callable[[str], object], seconds: float
) -> None:
    """``ahead.<name>`` taking ``seconds`` longer in the child (a busy machine), as it is in
    the parent."""
    parent = os.getpid()

    def slow(path: str) -> object:
        if os.getpid() != parent:
            time.sleep(seconds)
        return real(path)

    monkeypatch.setattr(ahead, name, slow)


def test_a_slow_child_is_met_half_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that lags (a busy machine) is not waited for: the parent reads headers and
    compiles from the far end of the child's list until they meet, and what both read is
    what the loader and the index would read."""
    from offline_sql.script.header import read_header

    _slow_in_the_child(monkeypatch, "read_header", read_header, 0.01)
    _slow_in_the_child(monkeypatch, "_compile_quietly", ahead._compile_quietly, 0.01)
    project = synth.write_project(tmp_path / "project", "mig", 80)
    paths = [str(p) for p in sorted((project / "migrations" / "versions").glob("*.py"))]
    session = ahead.Ahead()
    try:
        assert session.start(paths)
        first = len(paths) // 2
        assert all(not session.owns_header(p) for p in paths[:first])
        for path in paths[first:]:
            header = session.header(path)
            expected = read_header(path)
            assert header == expected
            assert header is not None and header.source_sha256 == expected.source_sha256
        session.prepare(paths)
        for path in paths:
            source = Path(path).read_bytes()
            code = session.code(path, source)
            assert code is not None
            # Code objects compare by what runs (bytecode, constants, names, line table);
            # their marshalled bytes may differ by reference flags (Python 3.10).
            assert code == compile(source, path, "exec", dont_inherit=True)
            assert code.co_filename == path
    finally:
        pid = session.pid
        session.close()
    assert pid is None or _reaped([pid])


def test_reading_ahead_in_the_parent_is_no_dependency_of_a_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[int]
) -> None:
    """When the child lags, the parent compiles the later scripts from the far end while the
    first step runs (its import loads every later script). Those reads are mig's, not the
    step's: were they noted, the first step would depend on half of the history, and an edit
    to any of those scripts would run every step again from the root."""
    _slow_in_the_child(monkeypatch, "_compile_quietly", ahead._compile_quietly, 0.05)
    project = _project(tmp_path)
    first = _run(project, no_cache=False)
    assert first.exit_code == 0, first.stderr
    assert len(started) == 1 and _reaped(started)
    versions = str(project / "migrations" / "versions")
    with sqlite3.connect(project / "migrations" / ".mig_cache" / "steps.sqlite3") as db:
        rows = db.execute("SELECT deps FROM state UNION ALL SELECT deps FROM walk").fetchall()
    assert rows and not [deps for (deps,) in rows if versions in deps]


def test_one_child_a_run(tmp_path: Path) -> None:
    project = _project(tmp_path)
    paths = [str(p) for p in sorted((project / "migrations" / "versions").glob("*.py"))]
    session = ahead.Ahead()
    try:
        assert session.start(paths)
        assert not session.start(paths)  # running
        while session.running:
            session.prepare(paths)
            for path in paths:
                session.code(path, Path(path).read_bytes())
        assert not session.start(paths)  # done: a second folder is read without a child
    finally:
        pid = session.pid
        session.close()
    assert pid is None or _reaped([pid])
