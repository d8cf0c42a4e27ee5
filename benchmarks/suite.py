"""The measurements of issue 7, run for mig and Alembic alternately.

Every repetition runs both tools one after the other and swaps who goes first in the next
one, so a slow spell of the machine (another process, thermal throttling) hits both alike.
Projects are written once per history by :mod:`benchmarks.synth`; their scripts are aged by
an hour, as a project's files are (mig does not trust its cache for a file modified in the
last seconds, so fresh files would be re-read on every run).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import synth
from benchmarks.measure import (
    TOOLS,
    CodeWatch,
    MeasurementFailed,
    Sample,
    clear_caches,
    run_once,
    tool_command,
)
from benchmarks.results import Measurement, Target

FILE_AGE_SECONDS = 3600

TARGETS: dict[str, Target] = {
    "first": Target(0.8),
    "second": Target(0.1),
    "directory first": Target(1.0),
    "directory second": Target(0.1),
    "near": Target(0.1),
    "browse": Target(0.15),
    "help": Target(0.5, mig_max=0.15),
    "memory": Target(1.0),
    "real first": Target(0.8),
    "real second": Target(0.1),
}
"""The targets of issues 7 and 16 (ratios mig/Alembic of the medians; a `-o DIR` run is
compared with Alembic's `--sql` run of the same history in the same round)."""

TARGET_SIZES = (1000, 5000)
"""Issue 16: the near-head target holds at N = 1,000 as well as 5,000 (browsing keeps
issue 7's: at the largest N)."""

COLD = "cold: `.mig_cache` and `__pycache__` deleted before each run"
WARM = "warm: caches left by the previous runs (a user's next command)"
AFTER_FIRST = "second run: right after the first, nothing deleted, history unchanged"


@dataclass(frozen=True)
class History:
    """One synthetic history: ``n`` revisions after the root, linear or with branches."""

    n: int
    branchy: bool = False
    real: str = ""
    """For a real project's history (:mod:`benchmarks.real`): its name and version."""

    @property
    def name(self) -> str:
        if self.real:
            return "real-" + self.real.split()[0]
        return f"{'branchy' if self.branchy else 'linear'}-{self.n}"

    @property
    def label(self) -> str:
        if self.real:
            return f"{self.real} ({self.n} revisions)"
        return "branches and merges" if self.branchy else "linear"


@dataclass(frozen=True)
class Projects:
    """Both tools' projects for one history, and the folder their scripts go to."""

    history: History
    folders: dict[str, Path]
    out: Path
    env: dict[str, str] = field(default_factory=dict)
    """Added to both tools' environment (a real history's shims on ``PYTHONPATH``)."""

    def output(self, tool: str, what: str) -> Path:
        """Where ``tool``'s stdout for the command ``what`` is kept (for verification)."""
        return self.out / f"{tool}-{what}.txt"


Progress = Callable[[str], None]


def stderr_progress(started: float) -> Progress:
    """Progress lines on stderr, with the seconds since ``started``."""

    def report(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    return report


def prepare(history: History, work: Path) -> Projects:
    """Write the mig and Alembic projects for ``history`` under ``work``."""
    base = work / history.name
    folders = {}
    for tool in TOOLS:
        folder = synth.write_project(base / tool, tool, history.n, history.branchy)
        age(folder)
        folders[tool] = folder
    out = base / "out"
    out.mkdir()
    return Projects(history, folders, out)


def age(folder: Path) -> None:
    stamp = time.time() - FILE_AGE_SECONDS
    for path in folder.rglob("*"):
        os.utime(path, (stamp, stamp))


def _round_order(round_index: int) -> tuple[str, ...]:
    return TOOLS if round_index % 2 == 0 else TOOLS[::-1]


def run_tool(projects: Projects, tool: str, args: tuple[str, ...], keep: str | None) -> Sample:
    """One timed run of ``tool args`` in its project (stdout kept under ``keep``, if given)."""
    stdout = projects.output(tool, keep) if keep else None
    return run_once(tool_command(tool, *args), projects.folders[tool], stdout, projects.env)


HEAD = ("upgrade", "head", "--sql")
REMEASURE = 3
"""How many times a run that mig's code changed under is measured again, at most."""


@dataclass
class Session:
    """What every measurement reports to: progress lines, and the watch on mig's code."""

    progress: Progress
    watch: CodeWatch = field(default_factory=CodeWatch)


def _code_changed(session: Session, tool: str, attempt: int) -> bool:
    """Whether mig's code changed during the runs just made (so they must be made again)."""
    if tool != "mig" or attempt >= REMEASURE or not session.watch.changed():
        return False
    session.progress("mig's code changed during that run (its caches are keyed by it):"
                     " measuring again")
    return True


EDIT_PAUSE = 5.0
"""Seconds to wait before running mig again after it failed while its code was being edited."""


def _run_watched(
    projects: Projects, tool: str, args: tuple[str, ...], keep: str | None, session: Session
) -> Sample:
    """:func:`run_tool`; when mig fails and its code changed since the last look (someone is
    editing it), wait and try again, up to :data:`REMEASURE` times."""
    for attempt in itertools.count():
        try:
            return run_tool(projects, tool, args, keep)
        except MeasurementFailed:
            if tool != "mig" or attempt >= REMEASURE or not session.watch.changed():
                raise
            session.progress("mig failed while its code was being edited: trying again")
            time.sleep(EDIT_PAUSE)
    raise AssertionError("unreachable")  # pragma: no cover


def directory_args(projects: Projects) -> tuple[str, ...]:
    """mig's ``upgrade head --sql -o DIR`` (``--force``: the directory of the last run is
    replaced, as a user re-generating a ticket does)."""
    return (*HEAD, "-o", str(projects.out / "mig-directory"), "--force")


def _pair(
    projects: Projects, tool: str, args: tuple[str, ...], keep: str | None, session: Session
) -> list[Sample]:
    """A cold run of ``args``, then at once a second one, remeasured when mig's code changed."""
    for attempt in itertools.count():
        session.watch.changed()
        clear_caches(projects.folders[tool])
        pair = [_run_watched(projects, tool, args, keep, session) for _ in range(2)]
        if not _code_changed(session, tool, attempt):
            return pair
    raise AssertionError("unreachable")  # pragma: no cover


def measure_whole(
    projects: Projects, repeat: int, session: Session, *, directory: bool = True
) -> list[Measurement]:
    """Measurement 1 (and 5): ``upgrade head --sql`` cold, then at once again, unchanged;
    with ``directory``, in the same round, mig's ``-o DIR`` cold and again (measurement 1b,
    compared with the same Alembic samples). A real history's rows form group 6."""
    history = projects.history
    n, name, label = history.n, history.name, history.label
    real = bool(history.real)
    first = Measurement("real" if real else "whole", f"first run, {label}", n, COLD,
                        target=TARGETS["real first" if real else "first"], args=HEAD,
                        history=name, cold=True)
    second = Measurement("real" if real else "whole", f"second run, {label}", n, AFTER_FIRST,
                         target=TARGETS["real second" if real else "second"], args=HEAD,
                         history=name)
    rows = [first, second]
    if directory:
        into = directory_args(projects)
        rows += [
            Measurement("real" if real else "directory", f"first run -o DIR, {label}", n,
                        COLD, target=TARGETS["directory first"], args=into, history=name,
                        cold=True, samples={"mig": [], "alembic": first.samples["alembic"]}),
            Measurement("real" if real else "directory", f"second run -o DIR, {label}", n,
                        AFTER_FIRST, target=TARGETS["directory second"], args=into,
                        history=name, samples={"mig": [], "alembic": second.samples["alembic"]}),
        ]
    for index in range(repeat):
        for tool in _round_order(index):
            samples = _pair(projects, tool, HEAD, "head", session)
            if directory and tool == "mig":
                samples += _pair(projects, tool, directory_args(projects), None, session)
            for row, sample in zip(rows, samples, strict=False):
                row.samples[tool].append(sample)
                session.progress(f"{name} {row.label.split(',')[0]} {index + 1}/{repeat} {tool}:"
                                 f" {sample.seconds:.2f} s, {sample.peak_kib / 1024:.0f} MiB")
    if real:
        return rows
    memory = [
        Measurement("memory", row.label, n, row.state, "peak_mib", target, row.args, name,
                    row.cold, row.samples)
        for row, target in zip(rows, (TARGETS["memory"], None, TARGETS["memory"], None),
                               strict=False)
    ]
    return [*rows, *memory]


def _sample(projects: Projects, tool: str, row: Measurement, keep: str | None,
            session: Session) -> Sample:
    """One run of ``row`` for ``tool`` in the row's state; for a warm row, an edit of mig's
    code since its last run means a new unmeasured whole-history run first (the warm state)."""
    for attempt in itertools.count():
        if row.cold:
            clear_caches(projects.folders[tool])
        elif tool == "mig" and session.watch.changed():
            session.progress("mig's code changed: warming its caches again")
            _run_watched(projects, tool, HEAD, None, session)
            session.watch.changed()
        sample = _run_watched(projects, tool, row.args, keep, session)
        if not _code_changed(session, tool, attempt):
            return sample
    raise AssertionError("unreachable")  # pragma: no cover


def measure_alternately(
    projects: Projects, row: Measurement, repeat: int, session: Session, keep: str | None
) -> Measurement:
    """``repeat`` rounds of ``row.args`` for both tools (caches deleted before each run when
    ``row.cold``); stdout is kept in ``projects.output(tool, keep)`` when ``keep`` is given."""
    for index in range(repeat):
        for tool in _round_order(index):
            sample = _sample(projects, tool, row, keep, session)
            row.samples[tool].append(sample)
            session.progress(f"{projects.history.name} {row.label} {index + 1}/{repeat} {tool}:"
                             f" {sample.seconds:.2f} s")
    return row


def near_head(n: int) -> tuple[str, ...]:
    """``upgrade <two before head>:head --sql`` of the linear history of ``n`` revisions."""
    return ("upgrade", f"{synth.two_before_head(n)}:head", "--sql")


def measure_near_and_browse(
    projects: Projects, repeat: int, target_n: int, session: Session
) -> list[Measurement]:
    """Measurements 2 and 3 on a linear history whose caches are warm (run after
    :func:`measure_whole`), then the near-head range once more from cold caches."""
    n, name = projects.history.n, projects.history.name

    def target(key: str) -> Target | None:
        sizes = TARGET_SIZES if key == "near" else (target_n,)
        return TARGETS[key] if n in sizes else None

    rows = [
        (Measurement("near", "near-head range, warm", n, WARM, target=target("near"),
                     args=near_head(n), history=name), "near"),
        (Measurement("browse", "heads", n, WARM, target=target("browse"), args=("heads",),
                     history=name), "heads"),
        (Measurement("browse", "history", n, WARM, target=target("browse"), args=("history",),
                     history=name), "history"),
        (Measurement("near", "near-head range, cold", n, COLD, args=near_head(n), history=name,
                     cold=True), "near"),
    ]
    return [measure_alternately(projects, row, repeat, session, keep) for row, keep in rows]


def measure_help(projects: Projects, repeat: int, session: Session) -> Measurement:
    """Measurement 4: ``--help`` (run in each tool's project folder)."""
    row = Measurement("help", "--help", None, "no project file is read", target=TARGETS["help"],
                      args=("--help",), history=projects.history.name)
    return measure_alternately(projects, row, repeat, session, None)


WARM_UP_N = 5


def warm_up(work: Path) -> None:
    """Each command once per tool on a tiny history, unmeasured: the bytecode of the tools'
    own packages (mig's, in an editable install, may have none yet) is written before
    anything is timed, as an installed package has it."""
    projects = prepare(History(WARM_UP_N), work / "warm-up")
    for args in (("--help",), HEAD, near_head(WARM_UP_N), ("heads",), ("history",)):
        for tool in TOOLS:
            run_tool(projects, tool, args, None)
    run_tool(projects, "mig", directory_args(projects), None)  # the review's modules too
