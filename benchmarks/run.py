"""Run the mig-versus-Alembic benchmark and write ``docs/performance.md``.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python -m benchmarks.run [options]

``--quick`` is a trial on tiny histories (a minute) that writes no document unless
``--output`` is given. The exit status is 0 whether or not targets are met (this is a
measurement, not a test); it is 1 only when a measured command fails.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import machine, report, scaling, suite, synth
from benchmarks import real as real_histories
from benchmarks.corpus import HISTORIES
from benchmarks.measure import TOOLS, MeasurementFailed, clear_caches
from benchmarks.profiling import ProfileFailed, profile_mig, summarise
from benchmarks.results import Measurement, RunResult, Verification
from benchmarks.verify import PostgresFailed, Server, compare

DEFAULT_OUTPUT = machine.REPO / "docs" / "performance.md"


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...]
    branchy_sizes: tuple[int, ...]
    repeat: int
    repeat_quick: int
    verify_n: int | None
    """None: no verification."""
    profile: bool
    output: Path | None
    work: Path | None
    pg_url: str | None
    real: str = real_histories.DEFAULT
    """A real history measured too (one of benchmarks.corpus.HISTORIES); '' for none."""

    @property
    def target_n(self) -> int:
        """Where the size-specific targets apply: the largest linear history (5,000)."""
        return max(self.sizes)


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in text.split(",") if part.strip())
    if any(n < 3 for n in sizes):
        raise argparse.ArgumentTypeError("each size must be at least 3 (two before head)")
    return sizes


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sizes", type=_sizes, default=(1000, 2000, 5000),
                        help="linear histories (default 1000,2000,5000); ranges and browsing are "
                             "measured on each, targets apply to the largest")
    parser.add_argument("--branchy-sizes", type=_sizes, default=(1000, 5000),
                        help="histories with branches and merges, whole-history runs only "
                             "(default 1000,5000; '' for none)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of the whole-history runs (default 3)")
    parser.add_argument("--repeat-quick", type=int, default=5,
                        help="repetitions of the other measurements (default 5)")
    parser.add_argument("--quick", action="store_true",
                        help="a trial on tiny histories; writes no document unless --output")
    parser.add_argument("--output", type=Path, default=None,
                        help="the Markdown report (default docs/performance.md;"
                             " '-' for none)")
    parser.add_argument("--verify-n", type=int, default=1000,
                        help="history size whose scripts are applied to PostgreSQL (default 1000)")
    parser.add_argument("--no-verify", action="store_true", help="skip the equal-work check")
    parser.add_argument("--no-profile", action="store_true",
                        help="do not profile mig for unmet targets")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the generated projects and scripts in this new folder")
    parser.add_argument("--real", default=real_histories.DEFAULT,
                        choices=["", *(history.name for history in HISTORIES)],
                        help="a real project's history measured too, cold and warm (default "
                             f"{real_histories.DEFAULT}; '' for none; fetched once with pip)")
    parser.add_argument("--pg-url", default=None,
                        help="PostgreSQL server for the check (default $MIG_TEST_POSTGRESQL_URL "
                             "or postgresql://postgres@127.0.0.1:5432/postgres)")
    args = parser.parse_args(argv)
    if not args.sizes:
        parser.error("--sizes needs at least one size")
    output = args.output if args.output is not None else (None if args.quick else DEFAULT_OUTPUT)
    options = Options(
        sizes=args.sizes, branchy_sizes=args.branchy_sizes, repeat=args.repeat,
        repeat_quick=args.repeat_quick, verify_n=args.verify_n, profile=not args.no_profile,
        output=None if output == Path("-") else output, work=args.work, pg_url=args.pg_url,
        real=args.real,
    )
    if args.quick:
        options = replace(options, sizes=(20, 60), branchy_sizes=(40,), repeat=1,
                          repeat_quick=2, verify_n=20)
    return replace(options, verify_n=None) if args.no_verify else options


def measure(options: Options, work: Path, session: suite.Session) -> tuple[
    list[Measurement], dict[str, suite.Projects]
]:
    """Every measurement, in the order the issue lists them, per history."""
    session.progress("warm-up: each command once on a 5-revision history")
    suite.warm_up(work)
    measurements: list[Measurement] = []
    projects: dict[str, suite.Projects] = {}
    for n in sorted(set(options.sizes)):
        linear = suite.prepare(suite.History(n), work)
        projects[linear.history.name] = linear
        measurements += suite.measure_whole(linear, options.repeat, session)
        measurements += suite.measure_near_and_browse(
            linear, options.repeat_quick, options.target_n, session
        )
    for n in sorted(set(options.branchy_sizes)):
        branchy = suite.prepare(suite.History(n, branchy=True), work)
        projects[branchy.history.name] = branchy
        measurements += suite.measure_whole(branchy, options.repeat, session)
    if options.real:
        try:
            found = real_histories.prepare_real(options.real, work)
        except real_histories.Unavailable as error:
            session.progress(f"real history {options.real} left out: {error}")
        else:
            projects[found.history.name] = found
            measurements += suite.measure_whole(found, options.repeat_quick, session)
    smallest = projects[suite.History(min(options.sizes)).name]
    help_repeat = max(options.repeat_quick, 7)
    measurements.append(suite.measure_help(smallest, help_repeat, session))
    return measurements, projects


def _script(projects: suite.Projects, tool: str, what: str, args: tuple[str, ...]) -> Path:
    """``tool``'s stdout for ``args`` (kept from the measurements, or produced now)."""
    path = projects.output(tool, what)
    if not path.exists():
        suite.run_tool(projects, tool, args, what)
    return path


def check_equal_work(
    options: Options, work: Path, projects: dict[str, suite.Projects], server: Server,
    progress: suite.Progress,
) -> Verification:
    """Whole history (linear and branchy) and the near-head range at ``options.verify_n``,
    applied to PostgreSQL by each tool's scripts: the schemas must be the same."""
    n = options.verify_n
    if n is None:
        return Verification(skipped="--no-verify")
    try:
        server.version()
    except (PostgresFailed, OSError) as error:
        return Verification(skipped=f"PostgreSQL unreachable: {str(error).splitlines()[-1]}")
    verification = Verification()
    for history in (suite.History(n), suite.History(n, branchy=True)):
        found = projects.get(history.name) or suite.prepare(history, work)
        for what, scripts in _equal_work_scripts(found):
            progress(f"equal work: {what}")
            try:
                mig, alembic = ([s() for s in scripts[tool]] for tool in TOOLS)
            except MeasurementFailed as error:
                verification.checks.append((what, f"could not generate: {error}"))
                continue
            verification.checks.append((what, compare(server, mig, alembic)))
    return verification


ScriptMaker = Callable[[], Path]


def _equal_work_scripts(
    projects: suite.Projects,
) -> list[tuple[str, dict[str, list[ScriptMaker]]]]:
    """(what is compared, per tool the scripts to apply in order, made when called): the
    whole history, and for a linear one also the near-head range after ``upgrade <start>``."""

    def scripts(*commands: tuple[str, tuple[str, ...]]) -> dict[str, list[ScriptMaker]]:
        return {
            tool: [functools.partial(_script, projects, tool, what, a) for what, a in commands]
            for tool in TOOLS
        }

    history = projects.history
    found = [(f"`upgrade head --sql`, {history.label}, N = {history.n:,}",
              scripts(("head", suite.HEAD)))]
    if not history.branchy:
        start = synth.two_before_head(history.n)
        found.append((
            f"`upgrade {start}:head --sql` after `upgrade {start} --sql`, linear,"
            f" N = {history.n:,}",
            scripts(("start", ("upgrade", start, "--sql")), ("near", suite.near_head(history.n))),
        ))
    return found


def profile_unmet(
    measurements: list[Measurement], projects: dict[str, suite.Projects], work: Path,
    progress: suite.Progress,
) -> dict[str, str]:
    """A profile of mig for each unmet timing target (the largest N of each measurement)."""
    chosen: dict[str, Measurement] = {}
    for row in measurements:
        if row.met() is False and row.metric == "seconds":
            key = f"{row.group}: {row.label}"
            if key not in chosen or (row.n or 0) > (chosen[key].n or 0):
                chosen[key] = row
    profiles = {}
    for index, (key, row) in enumerate(chosen.items()):
        found = projects[row.history]
        folder = found.folders["mig"]
        if row.cold:
            clear_caches(folder)
        elif row.group != "help":
            # The warm state the row was measured in: the whole history, then the command once.
            suite.run_tool(found, "mig", suite.HEAD, None)
            if row.args != suite.HEAD:
                suite.run_tool(found, "mig", row.args, None)
        size = f", N = {row.n:,}" if row.n else ""
        progress(f"profiling mig {_shown(row.args)} ({row.label}{size})")
        title = f"mig {_shown(row.args)} — {row.label}{size}"
        try:
            seconds, stats = profile_mig(
                list(row.args), folder, work / f"profile-{index}.prof", found.env
            )
        except ProfileFailed as error:
            profiles[key] = f"#### {title}\n\nNot profiled: {error}"
            continue
        profiles[key] = summarise(title, seconds, stats)
    return profiles


def _shown(args: Sequence[str]) -> str:
    """The command line as the report shows it: the temporary ``-o`` folder as ``DIR``."""
    shown = list(args)
    for index, arg in enumerate(shown[:-1]):
        if arg == "-o":
            shown[index + 1] = "DIR"
    return " ".join(shown)


def run(options: Options, command: str) -> RunResult:
    """Measure, check equal work, profile what misses its target; the projects and scripts
    are deleted afterwards unless ``--work`` named their folder."""
    started = time.perf_counter()
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    session = suite.Session(suite.stderr_progress(started))
    work = options.work or Path(tempfile.mkdtemp(prefix="mig-bench-"))
    work.mkdir(parents=True, exist_ok=options.work is None)
    try:
        measurements, projects = measure(options, work, session)
        server = Server.from_url(options.pg_url)
        verification = check_equal_work(options, work, projects, server, session.progress)
        profiles = (
            profile_unmet(measurements, projects, work, session.progress)
            if options.profile else {}
        )
        postgresql = None if verification.skipped else server.version()
    finally:
        if options.work is None:
            shutil.rmtree(work, ignore_errors=True)
    facts = machine.describe(postgresql)
    if session.watch.edits:
        facts["mig code edits during the run"] = (
            f"{session.watch.edits} (runs they affected were measured again, at most"
            f" {suite.REMEASURE} times each)"
        )
    return RunResult(
        measurements, facts, command, date,
        time.perf_counter() - started, options.target_n, verification, profiles,
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = parse(arguments)
    command = shlex.join([".venv/bin/python", "-m", "benchmarks.run", *arguments])
    try:
        result = run(options, command)
    except MeasurementFailed as error:
        print(f"benchmark stopped: {error}", file=sys.stderr)
        return 1
    print(report.console(result))
    if options.output is not None:
        previous = options.output.read_text() if options.output.exists() else None
        options.output.write_text(report.document(result, previous))
        print(f"wrote {options.output} ({result.seconds / 60:.1f} minutes)")
    if not all(row.ok for row in scaling.scaling(result.measurements)):
        print("cost per revision grows with the history: see the scaling table", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
