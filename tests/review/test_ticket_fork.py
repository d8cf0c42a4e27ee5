"""The review of ``-o DIR`` in a forked child, streamed the steps as they are rendered
(:mod:`offline_sql.review_child`): the directory is byte for byte the one a run without the
child writes, and a failure (of the review or of the generation going on beside it) reports
exactly as before, writes nothing and leaves no child behind."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import USERS_AND_EMAIL, Rev, listing, make_project

from offline_sql import forking, review_child, ticket
from offline_sql.cli import cli

HISTORY = (
    *USERS_AND_EMAIL,
    Rev("c3", "b2", "widen name", upgrade=(
        'op.alter_column("users", "name", type_=sa.String(80))\n'
        'op.execute("UPDATE users SET name = \'x\' WHERE name IS NULL")'),
        downgrade='op.alter_column("users", "name", type_=sa.String(20))'),
    Rev("d4", "c3", "drop users", upgrade='op.drop_table("users")'),
)  # fmt: skip
"""Findings of several rules (a NOT NULL column without default, a type change, a data
update, a drop, a revision without downgrade)."""


def mig(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[review_child.CoreReviews]:
    """The children started (reviews forked whenever there is something to review)."""
    started: list[review_child.CoreReviews] = []
    real = review_child.start_core_reviews

    def recording(*args: object) -> review_child.CoreReviews | None:
        child = real(*args)  # type: ignore[arg-type]
        if child is not None:
            started.append(child)
        return child

    monkeypatch.setattr(review_child, "can_fork", lambda: True)
    monkeypatch.setattr(review_child, "start_core_reviews", recording)
    return started


def gone(child: review_child.CoreReviews) -> bool:
    """Whether the child was reaped (no zombie, nothing running)."""
    try:
        os.waitpid(child.pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def run(
    config: Path, out: Path, *extra: str, fork: bool, patch: pytest.MonkeyPatch, force: bool = False
) -> Result:
    if not fork:
        patch.setattr(review_child, "can_fork", lambda: False)
    force_it = ("--force",) if force else ()
    return mig("-c", str(config), *extra, "upgrade", "head", "--sql", "-o", str(out), *force_it)


def fails_alike(
    tmp_path: Path, history: tuple[Rev, ...], children: list[review_child.CoreReviews], wanted: str
) -> None:
    """With and without the child: exit code 1, ``wanted`` on stderr, the same stderr, no
    output directory nor anything else left beside the projects, and the one child started
    reaped."""
    results = {}
    for fork in (True, False):
        config = make_project(tmp_path / f"project-{fork}", history)
        with pytest.MonkeyPatch.context() as patch:
            results[fork] = run(config, tmp_path / f"out-{fork}", fork=fork, patch=patch)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            f"project-{done}" for done in (True, False)[: 1 + (not fork)]
        )
    assert results[True].exit_code == results[False].exit_code == 1
    assert wanted in results[True].stderr
    assert results[True].stderr.replace("project-True", "project-False") == results[False].stderr
    assert len(children) == 1 and gone(children[0])


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql", "mssql", "oracle"])
@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_fork_and_no_fork_write_the_same_directory(
    tmp_path: Path, children: list[review_child.CoreReviews], dialect: str, cache: bool
) -> None:
    """The review's rules read the schema before each step (a type change, a table
    dropped): the child's copy of the timeline, replayed from the parent's, answers alike."""
    written = {}
    for fork in (True, False):
        config = make_project(tmp_path / f"project-{fork}", HISTORY)
        extra = ("--dialect", dialect, *(() if cache else ("--no-cache",)))
        with pytest.MonkeyPatch.context() as patch:
            result = run(config, tmp_path / f"out-{fork}", *extra, fork=fork, patch=patch)
        assert result.exit_code == 0, result.stderr
        written[fork] = listing(tmp_path / f"out-{fork}")
    assert len(children) == 1 and gone(children[0])
    assert children[0].sent == len(HISTORY)  # every step went to the child
    assert written[True] == written[False]
    assert b"drop-table" in written[True]["REVIEW.md"]


class Sink:
    """A review sink that records what it is given, and when."""

    def __init__(self, rendered_so_far: list[int]) -> None:
        self.rendered_so_far = rendered_so_far
        self.sent: list[tuple[int, str, int]] = []
        self.finished = 0
        self.closed = 0

    def send(self, index: int, rendered: Any) -> None:
        self.sent.append((index, rendered.step.revision, self.rendered_so_far[0]))

    def finish(self) -> None:
        self.finished += 1

    def close(self) -> None:
        self.closed += 1


def test_each_step_goes_to_the_sink_as_it_is_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step i is sent before step i + 1 is rendered; the sink is started once, at the first
    step, and finished once, after the last."""
    from offline_sql import generate
    from offline_sql.config import load_config

    config = load_config(make_project(tmp_path / "project", HISTORY), environ={})
    rendered = [0]
    real = generate._render_step

    def counting(*args: Any) -> Any:
        rendered[0] += 1
        return real(*args)

    monkeypatch.setattr(generate, "_render_step", counting)
    sinks: list[Sink] = []

    def start(project: Any, context: Any, first: Any) -> Sink:
        sinks.append(Sink(rendered))
        return sinks[-1]

    generated = generate.generate(
        config, "upgrade", "head", generate.OutputOptions(strict=True), start_reviews=start
    )
    assert len(generated.steps) == 4
    (sink,) = sinks
    assert sink.sent == [(0, "a1", 1), (1, "b2", 2), (2, "c3", 3), (3, "d4", 4)]
    assert (sink.finished, sink.closed) == (1, 0)


def test_a_walk_that_fails_closes_the_sink(tmp_path: Path) -> None:
    from offline_sql import generate
    from offline_sql.config import load_config

    broken = Rev("c3", "b2", "widen name", upgrade='raise RuntimeError("not today")')
    config = load_config(make_project(tmp_path / "project", (*HISTORY[:2], broken)), environ={})
    sinks: list[Sink] = []

    def start(project: Any, context: Any, first: Any) -> Sink:
        sinks.append(Sink([0]))
        return sinks[-1]

    with pytest.raises(Exception, match="not today"):
        generate.generate(
            config, "upgrade", "head", generate.OutputOptions(strict=True), start_reviews=start
        )
    (sink,) = sinks
    assert [revision for _, revision, _ in sink.sent] == ["a1", "b2"]
    assert (sink.finished, sink.closed) == (0, 1)


def test_a_second_run_reviews_nothing_in_a_child(
    tmp_path: Path, children: list[review_child.CoreReviews]
) -> None:
    config = make_project(tmp_path / "project", HISTORY)
    old = 1_000_000_000_000_000_000  # scripts long unchanged: the step cache trusts them
    for script in (tmp_path / "project").rglob("*.py"):
        os.utime(script, ns=(old, old))
    with pytest.MonkeyPatch.context() as patch:
        first = run(config, tmp_path / "out", fork=True, patch=patch)
        kept = listing(tmp_path / "out")
        second = run(config, tmp_path / "out", fork=True, patch=patch, force=True)
    assert (first.exit_code, second.exit_code) == (0, 0), second.stderr
    assert len(children) == 1  # the second run's reviews all come from the step cache
    assert listing(tmp_path / "out") == kept


def test_after_an_edit_only_the_steps_not_cached_go_to_a_child(
    tmp_path: Path, children: list[review_child.CoreReviews]
) -> None:
    """The first steps' reviews come from the step cache; the edited last step is the only
    one sent to the child, started at it; the directory is the one a run without any child
    writes."""
    config = make_project(tmp_path / "project", HISTORY)
    old = 1_000_000_000_000_000_000  # scripts long unchanged: the step cache trusts them
    for script in (tmp_path / "project").rglob("*.py"):
        os.utime(script, ns=(old, old))
    with pytest.MonkeyPatch.context() as patch:
        assert run(config, tmp_path / "out", fork=True, patch=patch).exit_code == 0
    assert len(children) == 1
    (last,) = (tmp_path / "project").rglob("d4_*.py")
    last.write_text(last.read_text().replace('op.drop_table("users")', 'op.drop_table("users")\n'
                    '    op.execute("DELETE FROM audit")'))  # fmt: skip
    written = {}
    for fork in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            result = run(config, tmp_path / f"out-{fork}", fork=fork, patch=patch)
        assert result.exit_code == 0, result.stderr
        written[fork] = listing(tmp_path / f"out-{fork}")
    assert len(children) == 2 and all(gone(child) for child in children)
    assert children[1].sent == 1
    assert written[True] == written[False]
    assert b"DELETE FROM audit" in written[True]["0004_d4_drop_users.sql"]


def test_a_failing_review_reports_as_without_the_child(
    tmp_path: Path, children: list[review_child.CoreReviews]
) -> None:
    history = (*HISTORY[:3], Rev("d4", "c3", "drop users", upgrade='op.drop_table("users")',
               prelude='mig_allow = ("drop-tabel",)\n'))  # fmt: skip
    fails_alike(tmp_path, history, children, "unknown review rule(s) drop-tabel")


def test_a_generation_failing_after_the_fork_leaves_nothing(
    tmp_path: Path, children: list[review_child.CoreReviews]
) -> None:
    """The downgrade of c3 fails: after the steps are rendered (and the child started)."""
    broken = Rev(
        "c3",
        "b2",
        "widen name",
        upgrade='op.alter_column("users", "name", type_=sa.String(80))',
        downgrade='raise RuntimeError("no way back")',
    )
    fails_alike(tmp_path, (*HISTORY[:2], broken, HISTORY[3]), children, "no way back")


def test_the_child_stops_at_a_step_that_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step whose review says something is left to the parent (which says it)."""
    from offline_sql import generate, review
    from offline_sql.config import load_config

    config = load_config(make_project(tmp_path / "project", HISTORY), environ={})
    seen: list[tuple[Any, ...]] = []

    def keep(*args: Any) -> None:
        seen.append(args)
        return None

    generated = generate.generate(
        config, "upgrade", "head", generate.OutputOptions(strict=True), start_reviews=keep
    )
    project, context, _ = seen[0]
    real = review.core_review

    def warning_at_c3(step: review.ReviewedStep, *args: object) -> review.StepReview:
        if step.revision == "c3":
            warnings.warn("something to say", UserWarning, stacklevel=1)
        return real(step, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(review, "core_review", warning_at_c3)
    steps = generated.steps
    found = review_child._core_reviews_quietly(project, context, enumerate(steps))
    assert [steps[i].step.revision for i in found] == ["a1", "b2"]
    assert len(generated.steps) == 4


@pytest.mark.parametrize("review_fails", [False, True], ids=["framing-fails", "both-fail"])
def test_an_error_framing_the_files_is_raised_where_it_was(
    tmp_path: Path,
    children: list[review_child.CoreReviews],
    monkeypatch: pytest.MonkeyPatch,
    review_fails: bool,
) -> None:
    """The files are framed while the child reviews; an error framing them still comes
    after the review's errors, as without the child."""
    from offline_sql.errors import RenderError

    real = ticket._file_name

    def failing(order: int, rendered: Any) -> str:
        if rendered.step.revision == "b2":
            raise RenderError("revision b2: cannot name its file")
        return real(order, rendered)

    monkeypatch.setattr(ticket, "_file_name", failing)
    prelude = 'mig_allow = ("drop-tabel",)\n' if review_fails else ""
    history = (*HISTORY[:3], Rev("d4", "c3", "drop users", upgrade='op.drop_table("users")',
               prelude=prelude))  # fmt: skip
    wanted = "unknown review rule(s) drop-tabel" if review_fails else "cannot name its file"
    fails_alike(tmp_path, history, children, wanted)


def test_no_fork_from_a_process_running_threads() -> None:
    import threading

    alone = forking.can_fork()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forking.can_fork()
    finally:
        stop.set()
        other.join()
    for _ in range(100):  # the thread's end reaches /proc/self/task a moment after join()
        if forking.can_fork() == alone:
            break
        time.sleep(0.01)
    assert forking.can_fork() == alone


STOP_AT = 2000
"""Steps the child reviews before one warns: their reviews are over 64 KiB pickled."""


def test_a_child_that_stops_early_still_reads_every_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child gives up at a step (it warns) and reads the rest without reviewing, before
    it answers: the parent sends far more than the pipe holds (never waiting while it
    sends), and its answer, the reviews before that step, is more than a pipe holds too.
    Were the child to answer first, each would wait for the other for ever."""
    import signal

    from offline_sql import generate, review
    from offline_sql.config import load_config

    config = load_config(make_project(tmp_path / "project", HISTORY), environ={})
    seen: list[tuple[Any, ...]] = []
    generated = generate.generate(
        config,
        "upgrade",
        "head",
        generate.OutputOptions(strict=True),
        start_reviews=lambda *args: seen.append(args),
    )
    project, context, first = seen[0]

    real = review.core_review
    reviewed = [0]

    def warns(step: review.ReviewedStep, *args: object) -> review.StepReview:
        reviewed[0] += 1
        if reviewed[0] > STOP_AT:
            warnings.warn("something to say", UserWarning, stacklevel=1)
        return real(step, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(review, "core_review", warns)  # the child inherits it
    monkeypatch.setattr(review_child, "can_fork", lambda: True)
    child = review_child.start_core_reviews(project, context, first)
    assert child is not None
    previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
    signal.alarm(60)
    try:
        sent = 0
        while sent < STOP_AT + 4 * review_child.PIPE_BYTES // 500:  # a step: over 500 bytes
            for index, rendered in enumerate(generated.steps):
                child.send(sent + index, rendered)
            sent += len(generated.steps)
        assert child.sent == sent
        assert sorted(child.take()) == list(range(STOP_AT))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        child.close()
    assert gone(child)
