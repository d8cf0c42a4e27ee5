"""A run the result memo answers, answered before the command line is built
(:mod:`offline_sql.quick`, through the console script's :mod:`offline_sql.entry`).

The bar: wherever the quick path answers, the outcome (exit status, stdout, stderr, the
directory) is the full command line's for the same arguments; wherever it does not, it
has written nothing and the full command line runs. The expectations come from the full
command line run on the same project (click's CliRunner, or ``offline_sql.cli.main`` in
a child interpreter), never from the quick path's own output.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import USERS_AND_EMAIL, listing
from stepcache_helpers import Outcome, inside, mig, scratch_folder, small_project

from offline_sql import commands, quick, result_memo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    yield from scratch_folder(tmp_path)


@pytest.fixture(autouse=True)
def no_refusal_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """A no the quick path noted (``result_memo._refused``) is not left to other tests."""
    monkeypatch.setattr(result_memo, "_refused", None)


@pytest.fixture
def project(scratch: Path) -> Path:
    return small_project(scratch / "project", list(USERS_AND_EMAIL))


# ---- reading the command line ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "command", "target", "values", "flags", "x_arguments"),
    [
        (["upgrade", "head", "--sql"], "upgrade", "head", {}, {"sql"}, []),
        (
            ["--dialect", "pg", "-x", "a=1", "upgrade", "b2:head", "--sql", "-x", "b=2"],
            "upgrade", "b2:head", {"dialect": "pg"}, {"sql"}, ["a=1", "b=2"],
        ),
        (
            ["downgrade", "--sql", "head:base", "--output=out", "--force", "-q"],
            "downgrade", "head:base", {"output": "out"}, {"sql", "force", "quiet"}, [],
        ),
        (
            ["-c", "a.toml", "stamp", "base:head", "--sql", "-c", "b.toml", "--no-guard"],
            "stamp", "base:head", {"config": "b.toml"}, {"sql", "no_guard"}, [],
        ),
        (
            ["upgrade", "head", "--sql", "--tag", "r42", "--no-preamble", "--traceback"],
            "upgrade", "head", {"tag": "r42"}, {"sql", "no_preamble", "traceback"}, [],
        ),
    ],
)  # fmt: skip
def test_the_plain_command_lines_are_read_as_click_reads_them(
    argv: list[str],
    command: str,
    target: str,
    values: dict[str, str],
    flags: set[str],
    x_arguments: list[str],
) -> None:
    asked = quick.read(argv)
    assert asked is not None
    assert (asked.command, asked.target, asked.values) == (command, target, values)
    assert (asked.flags, asked.x_arguments) == (flags, x_arguments)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["upgrade", "--help"],
        ["upgrade", "head", "--sql", "-h"],
        ["heads"],
        ["upgrade", "head"],  # online
        ["--sql", "upgrade", "head"],  # a command's option before the command
        ["upgrade", "head", "--sql", "-v"],
        ["--no-cache", "upgrade", "head", "--sql"],
        ["upgrade", "head", "--sql", "-oout"],
        ["upgrade", "head", "--sql", "-o=out"],
        ["upgrade", "head", "--sql", "-o"],
        ["upgrade", "head", "--sql", "-o", ""],
        ["upgrade", "head", "--sql", "-o", "-q"],
        ["upgrade", "head", "--sql", "--sql=yes"],
        ["upgrade", "head", "--sql", "-qv"],
        ["upgrade", "head", "--sql", "--unknown"],
        ["upgrade", "head", "--sql", "--force"],  # a usage error: no -o
        ["downgrade", "head:base", "--sql", "--tag", "t"],  # upgrade's option only
        ["stamp", "base:head", "--sql", "--purge"],
        ["downgrade", "-1", "--sql"],  # a negative target
        ["upgrade", "--sql", "--", "head"],
        ["upgrade", "head", "b2", "--sql"],
        ["upgrade", "--sql"],
        ["revision", "-m", "x", "--sql"],
    ],
)
def test_every_other_command_line_is_left_to_click(argv: list[str]) -> None:
    assert quick.read(argv) is None


# ---- answering ------------------------------------------------------------------------------


def quick_outcome(folder: Path, *argv: str, encoding: str = "utf-8") -> tuple[bool, Outcome]:
    """Whether :func:`quick.answer` answered ``argv`` from ``folder``, and what it wrote
    (exit status 0 unless it ended the run), on stdout and stderr files of ``encoding``."""
    with inside(folder), pytest.MonkeyPatch.context() as patch:
        out = open(folder / ".out", "w+", encoding=encoding)  # noqa: SIM115
        err = open(folder / ".err", "w+", encoding=encoding, errors="backslashreplace")  # noqa: SIM115
        patch.setattr(sys, "stdout", out)
        patch.setattr(sys, "stderr", err)
        code = 0
        try:
            done = quick.answer(list(argv))
        except SystemExit as stop:
            done, code = True, int(stop.code or 0)
        finally:
            out.close()
            err.close()
    written = Outcome(
        code,
        (folder / ".out").read_text(encoding=encoding),
        (folder / ".err").read_text(encoding=encoding),
    )
    return done, written


NOTHING = Outcome(0, "", "")


VARIANTS = [
    ("upgrade", "head", "--sql"),
    ("--dialect", "mysql", "upgrade", "head", "--sql"),
    ("upgrade", "head", "--sql", "--dialect", "sqlite", "-x", "k=v"),
    ("-x", "a=1", "upgrade", "a1:head", "--sql", "-x", "b=2", "--no-guard", "--no-preamble"),
    ("-c", "mig.toml", "downgrade", "head:base", "--sql"),
    ("downgrade", "b2:a1", "--sql", "--traceback"),
    ("upgrade", "head", "--sql", "--tag", "release-42"),
    ("-q", "upgrade", "head", "--sql"),
]
"""Runs to stdout, with the global options before and after the command."""


@pytest.mark.parametrize("argv", VARIANTS, ids=" ".join)
def test_a_remembered_script_is_answered_as_the_command_line_prints_it(
    project: Path, argv: tuple[str, ...]
) -> None:
    first = mig(project, *argv)
    assert first.exit_code == 0 and first.stdout and not first.stderr, first.stderr
    done, written = quick_outcome(project, *argv)
    assert done
    assert written == mig(project, *argv) == first


DIRECTORY_VARIANTS = [
    (),
    ("-q",),
    ("--strict",),
    ("--dialect", "postgres", "--no-guard"),
]


@pytest.mark.parametrize("extra", DIRECTORY_VARIANTS, ids=lambda extra: " ".join(extra) or "-")
def test_a_remembered_directory_is_answered_as_the_command_line_says_it(
    project: Path, scratch: Path, extra: tuple[str, ...]
) -> None:
    out = scratch / "out"
    argv = ("upgrade", "head", "--sql", "-o", str(out), "--force", *extra)
    first = mig(project, *argv)
    assert first.exit_code == 0, first.stderr
    files = listing(out)
    done, written = quick_outcome(project, *argv)
    assert done
    assert written == mig(project, *argv) == first
    assert listing(out) == files


def test_a_run_the_memo_does_not_hold_writes_nothing(project: Path, scratch: Path) -> None:
    assert quick_outcome(project, "upgrade", "head", "--sql") == (False, NOTHING)
    out = scratch / "out"
    argv = ("upgrade", "head", "--sql", "-o", str(out), "--force")
    assert quick_outcome(project, *argv) == (False, NOTHING)
    assert not out.exists()
    assert mig(project, *argv).exit_code == 0
    assert quick_outcome(project, *argv, "--no-guard") == (False, NOTHING)  # another key


@pytest.mark.parametrize("to", ["stdout", "directory"])
def test_the_memo_s_no_is_handed_to_the_command_line_once(
    project: Path, scratch: Path, to: str
) -> None:
    """After an edit the quick path's question is a miss; the command line, asking the same
    question next, takes that no instead of reading every script's hash again. Only the
    next question takes it: the run after is asked and answered as usual."""
    argv: tuple[str, ...] = ("upgrade", "head", "--sql")
    if to == "directory":
        argv = (*argv, "-o", str(scratch / "out"), "--force")
    asked_memo = "_holds" if to == "directory" else "_script_held"
    assert mig(project, *argv).exit_code == 0
    script = project / "migrations" / "versions" / "b2_add_email.py"
    script.write_text(script.read_text().replace("String(50)", "String(60)"))
    with pytest.MonkeyPatch.context() as patch:
        asked = counted(patch, result_memo, asked_memo)
        assert quick_outcome(project, *argv) == (False, NOTHING)
        assert len(asked) == 1
        edited = mig(project, *argv)
        assert len(asked) == 1  # the command line took the no
        assert mig(project, *argv) == edited
        assert len(asked) == 2  # and then asked, and was answered
    if to == "directory":
        assert any(b"VARCHAR(60)" in data for data in listing(scratch / "out").values())
    else:
        assert "VARCHAR(60)" in edited.stdout


def test_a_no_to_another_question_is_not_taken(project: Path) -> None:
    assert mig(project, "upgrade", "head", "--sql").exit_code == 0
    with pytest.MonkeyPatch.context() as patch:
        asked = counted(patch, result_memo, "_script_held")
        assert quick_outcome(project, "upgrade", "a1", "--sql") == (False, NOTHING)
        assert mig(project, "upgrade", "head", "--sql").exit_code == 0
    assert len(asked) == 2


def counted(patch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """Count the calls of ``module.name``."""
    real = getattr(module, name)
    calls: list[int] = []

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    patch.setattr(module, name, counting)
    return calls


def test_a_usage_error_and_an_error_are_left_to_the_command_line(
    project: Path, scratch: Path
) -> None:
    a_file = scratch / "a-file"
    a_file.write_text("x")
    assert mig(project, "upgrade", "head", "--sql").exit_code == 0
    for argv in (
        ("upgrade", "head", "--sql", "-o", str(a_file), "--force"),  # a file, not a directory
        ("--dialect", "db2", "upgrade", "head", "--sql"),
        ("-c", "missing.toml", "upgrade", "head", "--sql"),
        ("-c", str(scratch), "upgrade", "head", "--sql"),  # a directory
        ("upgrade", "nowhere", "--sql"),
    ):
        assert quick_outcome(project, *argv) == (False, NOTHING), argv
        assert mig(project, *argv).exit_code != 0, argv


@pytest.mark.parametrize("says", ["warning", "log"])
def test_a_run_that_says_something_on_the_way_is_left_to_the_command_line(
    project: Path, says: str
) -> None:
    first = mig(project, "upgrade", "head", "--sql")
    real = commands.load_command_config

    def saying(*args: object, **kwargs: object) -> object:
        if says == "warning":
            warnings.warn("the configuration says so", UserWarning, stacklevel=1)
        else:
            from offline_sql import logs

            logs.logger("offline_sql.config").info("the configuration says so")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(commands, "load_command_config", saying)
        assert quick_outcome(project, "upgrade", "head", "--sql") == (False, NOTHING)
        full = mig(project, "upgrade", "head", "--sql")
    assert full.stdout == first.stdout
    if says == "warning":  # a log line is shown by main()'s handler, which CliRunner skips
        assert full.stderr == "mig: warning: the configuration says so\n"
    assert not logging.getLogger("offline_sql").handlers  # the quick path's undone


def test_what_click_would_change_on_the_way_out_is_left_to_it(project: Path) -> None:
    """click strips ANSI sequences on a file and re-wraps a stream that is not UTF-8: such a
    script goes to the command line, which writes it as it always did."""
    assert mig(project, "upgrade", "head", "--sql").exit_code == 0
    assert quick_outcome(project, "upgrade", "head", "--sql", encoding="latin-1") == (
        False,
        Outcome(0, "", ""),
    )
    with pytest.MonkeyPatch.context() as patch:

        def coloured(*args: object) -> bool:
            out = args[-1]
            assert isinstance(out, io.StringIO)
            out.write("-- \x1b[31mred\x1b[0m\n")
            return True

        patch.setattr(result_memo, "replay_script", coloured)
        assert quick_outcome(project, "upgrade", "head", "--sql") == (False, NOTHING)


# ---- the console script, end to end ------------------------------------------------------------


def _probe(watched: tuple[str, ...], *, settled: bool = False) -> str:
    """The console script's entry, noting in the file ``$MIG_PROBE`` which of the
    ``watched`` modules it imported. ``settled``: scripts written 50 ms ago are settled (2 s
    in mig): a script written within the racy window is read again, and reading a header
    imports dataclasses."""
    settle = "from offline_sql.script import index\nindex.RACY_WINDOW_NS = 50_000_000\n"
    return f"""
import os, sys
{settle if settled else ""}before = set(sys.modules)
from offline_sql.entry import main
try:
    main()
finally:
    with open(os.environ["MIG_PROBE"], "w") as probe:
        new = set(sys.modules) - before
        probe.write("imported: " + " ".join(m for m in {watched!r} if m in new))
"""


_PROBE = _probe(("click", "sqlalchemy"))
"""Whether the entry imported click (the command line) or SQLAlchemy."""

_SETTLED_PROBE = _probe(
    ("click", "dataclasses", "json", "pickle", "sqlalchemy", "tomllib", "typing"), settled=True
)
""":data:`_PROBE` watching ``dataclasses`` (:mod:`offline_sql.records`), ``tomllib`` and
``typing`` (:mod:`offline_sql.simple_toml`), ``json`` and ``pickle`` (the memo's rows are
``marshal``'s) too, on settled scripts."""

NOTHING_WATCHED = "imported: "
"""What the probe notes of a run the quick path answered."""

_FULL = "from offline_sql.cli import main\nmain()\n"
"""The full command line, as the console script ran it before the quick path."""


def run(folder: Path, code: str, *args: str, stdout: int | None = None) -> tuple[Outcome, str]:
    """``code`` run with ``args`` in a child interpreter from ``folder``: its outcome, and
    what the probe noted (empty for the full command line)."""
    noted = folder.parent / "probe.txt"
    noted.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=folder,
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "MIG_PROBE": str(noted)},
    )
    out = done.stdout.decode() if done.stdout is not None else ""
    probe = noted.read_text() if noted.exists() else ""
    return Outcome(done.returncode, out, done.stderr.decode()), probe


def test_the_console_script_answers_without_click(project: Path, scratch: Path) -> None:
    for argv in (
        ("upgrade", "head", "--sql"),
        ("upgrade", "head", "--sql", "-o", str(scratch / "out"), "--force"),
    ):
        first, _ = run(project, _PROBE, *argv)
        assert first.exit_code == 0, first.stderr
        answered, probe = run(project, _PROBE, *argv)
        assert probe == NOTHING_WATCHED
        full, _ = run(project, _FULL, *argv)
        assert answered == full == first


def test_an_answer_on_settled_scripts_imports_no_dataclasses(project: Path, scratch: Path) -> None:
    """Issue 16: importing dataclasses (with inspect) was 9.5 ms of a memo-answered run's 67,
    tomllib (with typing) 6 ms of the 52 left.
    The second run reads every script's hash (the first was too soon after the scripts were
    written to seal them) and keeps the seal; the third takes the digest from the seal."""
    time.sleep(0.1)
    for argv in (
        ("upgrade", "head", "--sql"),
        ("upgrade", "head", "--sql", "-o", str(scratch / "out"), "--force"),
    ):
        outcomes = [run(project, _SETTLED_PROBE, *argv) for _ in range(3)]
        assert outcomes[0][0].exit_code == 0, outcomes[0][0].stderr
        assert outcomes[2][1] == NOTHING_WATCHED
        assert outcomes[0][0] == outcomes[1][0] == outcomes[2][0]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("traceback", [False, True], ids=["one-line", "traceback"])
def test_a_full_disk_ends_the_run_as_the_command_line_ends_it(
    project: Path, traceback: bool
) -> None:
    argv = ("upgrade", "head", "--sql", *(("--traceback",) if traceback else ()))
    assert mig(project, *argv).exit_code == 0
    outcomes = []
    for code in (_PROBE, _FULL):
        with open("/dev/full", "w") as full_disk:
            outcomes.append(run(project, code, *argv, stdout=full_disk.fileno()))
    (answered, probe), (full, _) = outcomes
    assert probe == NOTHING_WATCHED
    assert full.exit_code == answered.exit_code == 1
    if traceback:
        last = "OutputError: cannot write to standard output: No space left on device\n"
        assert full.stderr.endswith(last) and answered.stderr.endswith(last)
    else:
        assert answered == full
        assert (
            full.stderr == "mig: error: cannot write to standard output: No space left on device\n"
        )


class _FullPartWay(io.TextIOWrapper):
    """A file stdout whose disk fills part-way through a write."""

    def write(self, text: str) -> int:
        super().write(text[: len(text) // 2])
        super().flush()
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_file_that_fills_part_way_is_cut_back_to_what_it_held(
    project: Path, scratch: Path
) -> None:
    """A regular file given as stdout (``>> deploy.sql``) that fails part-way is cut back to
    the bytes it had (:mod:`offline_sql.stdout`): no half script is left behind."""
    assert mig(project, "upgrade", "head", "--sql").exit_code == 0
    target, errors = scratch / "deploy.sql", scratch / "errors.txt"
    held = "-- what the file held\n"
    target.write_text(held)
    with inside(project), pytest.MonkeyPatch.context() as patch:
        out = _FullPartWay(open(target, "ab"), encoding="utf-8")  # noqa: SIM115
        err = open(errors, "w", encoding="utf-8")  # noqa: SIM115
        patch.setattr(sys, "stdout", out)
        patch.setattr(sys, "stderr", err)
        try:
            with pytest.raises(SystemExit) as stop:
                quick.answer(["upgrade", "head", "--sql"])
        finally:
            err.close()
            out.close()
    assert stop.value.code == 1
    assert target.read_text() == held
    assert errors.read_text() == (
        "mig: error: cannot write to standard output: No space left on device; "
        "the partial script was removed\n"
    )


def test_python_m_and_the_console_script_start_at_the_entry() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '\n[project.scripts]\nmig = "offline_sql.entry:main"\n' in pyproject
    assert (
        "from offline_sql.entry import main" in (ROOT / "offline_sql" / "__main__.py").read_text()
    )


def test_a_closed_pipe_ends_the_run_as_the_command_line_ends_it(project: Path) -> None:
    """``mig upgrade head --sql | true``: the reader is gone before the script is written;
    both paths end with exit 1 and say nothing (click's ending of a closed pipe)."""
    argv = ("upgrade", "head", "--sql")
    assert mig(project, *argv).exit_code == 0
    ended = []
    for code in (_PROBE, _FULL):
        reading, writing = os.pipe()
        os.close(reading)  # nobody reads: the first write fails with EPIPE
        try:
            outcome, probe = run(project, code, *argv, stdout=writing)
        finally:
            os.close(writing)
        ended.append((outcome.exit_code, outcome.stderr))
        if code == _PROBE:
            assert probe == NOTHING_WATCHED
    assert ended[0] == ended[1] == (1, "")


def test_an_interrupt_while_asking_ends_as_the_command_line_ends_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """^C while the quick path asks the memo: the blank line and ``Aborted!`` click's main
    prints for ^C during a command, exit 1."""
    from offline_sql import cli, entry

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "load_command_config", interrupted)
    monkeypatch.setattr(sys, "argv", ["mig", "upgrade", "head", "--sql"])
    endings = []
    for main in (entry.main, cli.main):
        code: object = "returned"
        with inside(project):
            try:
                main()
            except SystemExit as stop:
                code = stop.code
            except KeyboardInterrupt:  # escaping, it would end the test session
                code = "the interrupt escaped"
        endings.append((code, capsys.readouterr()))
    assert endings[0] == endings[1]
    assert endings[0][0] == 1 and endings[0][1].err.endswith("Aborted!\n")
