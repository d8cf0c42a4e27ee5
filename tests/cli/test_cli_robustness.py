"""Issue 11, "nothing in a generated script can surprise the DBA": bad input, wrong
directions, hostile revision ids and failing disks give one ``mig: error:`` line, never a
traceback or a silently empty script."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from helpers import LINEAR, Rev, make_project, revision_source

from offline_sql import commands
from offline_sql.cli import cli
from offline_sql.config import load_config
from offline_sql.dialect_api.registry import NAMES
from offline_sql.errors import RevisionError
from offline_sql.revision_ids import VERSION_NUM_LENGTH

MIG = Path(sys.executable).with_name("mig")


def run_mig(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a DBA's shell runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIG_")}
    return subprocess.run(
        [str(MIG), *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


def invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-c", str(root / "mig.toml"), "--dialect", "sqlite", *args])


def assert_one_error_line(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("mig: error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# ---- a range in the wrong direction ---------------------------------------------------------


def test_upgrade_backwards_is_an_error_not_an_empty_script(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    result = invoke(tmp_path, "upgrade", "ccc3:aaa1", "--sql")
    assert_one_error_line(
        result, 1, "cannot upgrade from ccc3 to aaa1", "`mig downgrade ccc3:aaa1 --sql`"
    )


def test_upgrade_backwards_to_a_directory_writes_nothing(tmp_path: Path) -> None:
    make_project(tmp_path / "p", LINEAR)
    result = invoke(tmp_path / "p", "upgrade", "ccc3:aaa1", "--sql", "-o", str(tmp_path / "out"))
    assert_one_error_line(result, 1, "cannot upgrade from ccc3 to aaa1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


def test_downgrade_forwards_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    result = invoke(tmp_path, "downgrade", "aaa1:ccc3", "--sql")
    assert_one_error_line(
        result, 1, "cannot downgrade from aaa1 to ccc3", "`mig upgrade aaa1:ccc3 --sql`"
    )


def test_review_backwards_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    assert_one_error_line(invoke(tmp_path, "review", "ccc3:aaa1"), 1, "cannot upgrade")


def test_stamp_may_go_back_and_is_guarded(tmp_path: Path) -> None:
    """Stamping is how a DBA moves the version table either way (as in Alembic)."""
    make_project(tmp_path, LINEAR)
    result = invoke(tmp_path, "stamp", "ccc3:aaa1", "--sql")
    assert result.exit_code == 0, result.output
    assert "mig_guard" in result.stdout
    assert "SET version_num='aaa1' WHERE mig_version.version_num = 'ccc3'" in result.stdout


@pytest.mark.parametrize(
    ("function", "target", "message"),
    [
        (commands.upgrade, "ccc3:aaa1", "cannot upgrade from ccc3 to aaa1"),
        (commands.downgrade, "aaa1:ccc3", "cannot downgrade from aaa1 to ccc3"),
    ],
)
def test_python_api_refuses_the_wrong_direction(
    tmp_path: Path, function: object, target: str, message: str
) -> None:
    config = load_config(make_project(tmp_path, LINEAR), dialect="sqlite")
    with pytest.raises(RevisionError, match=message):
        function(config, target, sql=True)  # type: ignore[operator]


# ---- revision ids ---------------------------------------------------------------------------

BAD_IDS = [
    "a" * (VERSION_NUM_LENGTH + 1),
    "ab/cd",
    "ab\\cd",
    "ab:cd",
    "ab cd",
    "ab\tcd",
    "ab\ncd",
    ".hidden",
    "-rf",
    "ab'cd",
    "caf\u00e9",
    "ab;cd",
]


def add_script(root: Path, rev: Rev) -> None:
    """``rev`` as ``versions/zz_bad.py`` (its id may not be usable in a file name)."""
    (root / "migrations" / "versions" / "zz_bad.py").write_text(revision_source(rev))


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("command", [["heads"], ["upgrade", "head", "--sql"]])
def test_a_script_with_an_unsafe_id_is_refused(
    tmp_path: Path, bad: str, command: list[str]
) -> None:
    make_project(tmp_path, LINEAR)
    add_script(tmp_path, Rev(bad, "ccc3", "bad id"))
    result = invoke(tmp_path, *command)
    assert_one_error_line(result, 1, "zz_bad.py", repr(bad), "at most 32 characters")


def test_unsafe_id_never_makes_a_subfolder(tmp_path: Path) -> None:
    project = tmp_path / "p"
    make_project(project, LINEAR)
    add_script(project, Rev("dd/x", "ccc3", "slash"))
    out = tmp_path / "out"
    assert_one_error_line(invoke(project, "upgrade", "head", "--sql", "-o", str(out)), 1, "dd/x")
    assert not out.exists()


@pytest.mark.parametrize("good", ["a" * VERSION_NUM_LENGTH, "1.0.2-beta_3", "_x", "9"])
def test_safe_ids_from_existing_scripts_work(tmp_path: Path, good: str) -> None:
    make_project(tmp_path, LINEAR)
    add_script(tmp_path, Rev(good, "ccc3", "fine"))
    result = invoke(tmp_path, "upgrade", "head", "--sql")
    assert result.exit_code == 0, result.output
    assert f"'{good}'" in result.stdout


@pytest.mark.parametrize("bad", [*BAD_IDS, "ab-cd", "ab.cd"])
def test_revision_rev_id_refuses_unsafe_ids(tmp_path: Path, bad: str) -> None:
    make_project(tmp_path, LINEAR)
    before = sorted(p.name for p in (tmp_path / "migrations" / "versions").iterdir())
    result = invoke(tmp_path, "revision", "-m", "x", "--rev-id", bad)
    assert_one_error_line(result, 2, "--rev-id", "at most 32 characters")
    assert sorted(p.name for p in (tmp_path / "migrations" / "versions").iterdir()) == before


def test_revision_rev_id_of_the_full_width_works(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    result = invoke(tmp_path, "revision", "-m", "x", "--rev-id", "b" * VERSION_NUM_LENGTH)
    assert result.exit_code == 0, result.output


def test_the_version_column_is_as_wide_as_the_id_rule() -> None:
    from offline_sql.dialect_api.registry import get_dialect

    for name in NAMES:
        table = get_dialect(name).version_table("mig_version", None)
        column_type = table.c.version_num.type
        assert isinstance(column_type, sa.String)
        assert column_type.length == VERSION_NUM_LENGTH


# ---- script encodings -----------------------------------------------------------------------

LATIN1_SCRIPT = (
    b"# -*- coding: latin-1 -*-\n"
    b'"""caf\xe9 table"""\n'
    b"import sqlalchemy as sa\n"
    b"from offline_sql import op\n"
    b'revision = "a1"\n'
    b"down_revision = None\n\n\n"
    b"def upgrade() -> None:\n"
    b'    op.create_table("t", sa.Column("name", sa.String(10), server_default="caf\xe9"))\n\n\n'
    b"def downgrade() -> None:\n"
    b'    op.drop_table("t")\n'
)


@pytest.mark.parametrize(
    "source",
    [LATIN1_SCRIPT, b"\xef\xbb\xbf" + LATIN1_SCRIPT.split(b"\n", 1)[1].decode("latin-1").encode()],
    ids=["latin-1 coding line", "utf-8 with BOM"],
)
def test_scripts_are_read_as_python_reads_them(tmp_path: Path, source: bytes) -> None:
    """Issue 11: a Latin-1 script with a valid coding line gave a UnicodeDecodeError."""
    make_project(tmp_path)
    (tmp_path / "migrations" / "versions" / "a1_cafe.py").write_bytes(source)
    history = invoke(tmp_path, "history")
    assert (history.exit_code, history.stdout) == (0, "<base> -> a1 (head), caf\u00e9 table\n")
    result = invoke(tmp_path, "upgrade", "head", "--sql")
    assert result.exit_code == 0, result.output
    assert "DEFAULT 'caf\u00e9'" in result.stdout


def test_an_undecodable_script_is_one_error_line(tmp_path: Path) -> None:
    make_project(tmp_path)
    path = tmp_path / "migrations" / "versions" / "a1_cafe.py"
    path.write_bytes(LATIN1_SCRIPT.split(b"\n", 1)[1])  # Latin-1 bytes, no coding line
    for command in (["history"], ["upgrade", "head", "--sql"]):
        assert_one_error_line(invoke(tmp_path, *command), 1, "a1_cafe.py", "utf-8")


def test_the_loader_decodes_like_import(tmp_path: Path) -> None:
    from offline_sql.script.loader import load_script

    path = tmp_path / "a1_cafe.py"
    path.write_bytes(LATIN1_SCRIPT)
    assert load_script(str(path), "a1").__doc__ == "caf\u00e9 table"


# ---- usage errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["--dialect", "db2", "heads"],
            ["'--dialect'", "'db2'", ", ".join(map(repr, NAMES)), "`mig --help`"],
        ),
        (["upgrade", "head", "--sql", "-o", "{file}"], ["-o/--output", "is a file", "directory"]),
        (["upgrade", "head", "--sql", "--bogus"], ["'--bogus'", "`mig upgrade --help`"]),
        (["upgrade"], ["Missing argument 'TARGET'", "`mig upgrade --help`"]),
        (["upgrayedd"], ["No such command 'upgrayedd'", "Did you mean 'upgrade'?"]),
        (["upgrade", "head", "--force"], ["--force", "--sql"]),
        (["review", "head", "--format", "xml"], ["'--format'", "'text', 'markdown', 'json'"]),
        (["baseline"], ["'--from'", "database, models"]),
        (["-c", "{dir}", "heads"], ["'--config'", "is a directory"]),
        (["verify", "{file}"], ["'DIRECTORY'", "is a file"]),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    """Issue 11: click printed three lines (usage, hint, error); README promises one."""
    project = tmp_path / "p"
    make_project(project, LINEAR)
    (tmp_path / "afile").write_text("x")
    places = {"{file}": str(tmp_path / "afile"), "{dir}": str(tmp_path)}
    args = [places.get(arg, arg) for arg in args]
    result = CliRunner().invoke(
        cli, args if args[0] == "-c" else ["-c", str(project / "mig.toml"), *args]
    )
    assert_one_error_line(result, 2, *fragments)
    assert (tmp_path / "afile").read_text() == "x"


def test_usage_error_is_one_line_from_the_console_script(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    done = run_mig("--dialect", "db2", "heads", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "mig: error: Invalid value for '--dialect': 'db2' is not one of "
        f"{', '.join(map(repr, NAMES))} (see `mig --help`)\n"
    )


def test_bare_mig_still_shows_the_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, [])
    assert "[OPTIONS] COMMAND [ARGS]" in result.output
    assert "mig: error" not in result.output


# ---- data and disks that cannot take the script ---------------------------------------------

SURROGATE_DATA = Rev(
    "ddd4",
    "ccc3",
    "bad data",
    upgrade=(
        't = op.create_table("notes", sa.Column("body", sa.String(20)))\n'
        'op.bulk_insert(t, [{"body": "bad \\ud800 here"}])'
    ),
    downgrade='op.drop_table("notes")',
)


@pytest.mark.parametrize("dialect", NAMES)
def test_a_lone_surrogate_in_data_is_one_error_line(tmp_path: Path, dialect: str) -> None:
    make_project(tmp_path / "p", (*LINEAR, SURROGATE_DATA))
    config = str(tmp_path / "p" / "mig.toml")
    for extra in ([], ["-o", str(tmp_path / "out")]):
        args = ["-c", config, "--dialect", dialect, "upgrade", "head", "--sql", *extra]
        result = CliRunner().invoke(cli, args)
        assert_one_error_line(result, 1, "revision ddd4", "'\\ud800'", "lone surrogate")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


def test_a_lone_surrogate_in_a_message_is_one_error_line(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    (tmp_path / "migrations" / "versions" / "ddd4_x.py").write_text(
        '"""bad \\ud800 message"""\nrevision = "ddd4"\ndown_revision = "ccc3"\n'
    )
    assert_one_error_line(invoke(tmp_path, "history"), 1, "ddd4_x.py", "lone surrogate")


def test_dev_full_as_stdout_is_one_error_line(tmp_path: Path) -> None:
    """Issue 11: ``mig upgrade head --sql > /dev/full`` printed a traceback."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    make_project(tmp_path, LINEAR)
    for command in (["upgrade", "head", "--sql"], ["heads"], ["history"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [str(MIG), "--dialect", "sqlite", *command],
                cwd=tmp_path,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
        assert done.returncode == 1, done.stderr
        assert done.stderr == (
            "mig: error: cannot write to standard output: No space left on device\n"
        )


class _DiskFillsUp(io.FileIO):
    """A file on a disk with room for ``room`` more bytes."""

    room = 200

    def write(self, data: Any) -> int:
        if _DiskFillsUp.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = super().write(bytes(data)[: _DiskFillsUp.room])
        _DiskFillsUp.room -= written or 0
        return written or 0


def test_a_full_disk_leaves_no_partial_script_in_the_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``mig upgrade head --sql >> deploy.sql`` on a disk that fills up: the file is cut back
    to what it held before, never left with half a script."""
    from offline_sql.cli import main

    make_project(tmp_path, LINEAR)
    target = tmp_path / "deploy.sql"
    target.write_bytes(b"-- kept\n")
    raw = _DiskFillsUp(str(target), "a")
    stream = io.TextIOWrapper(io.BufferedWriter(raw, buffer_size=64), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["--dialect", "sqlite", "upgrade", "head", "--sql"])
    assert exited.value.code == 1
    stream.close()  # what reached the file at exit goes to the null device instead
    assert target.read_bytes() == b"-- kept\n"
    assert capsys.readouterr().err == (
        "mig: error: cannot write to standard output: No space left on device; "
        "the partial script was removed\n"
    )


def test_a_full_temporary_folder_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long script is spooled to the temporary folder; a full one is not a traceback."""
    import tempfile

    from offline_sql import offline

    def full(*args: object, **kwargs: object) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(offline, "SPOOL_IN_MEMORY", 16)
    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    make_project(tmp_path, LINEAR)
    result = invoke(tmp_path, "upgrade", "head", "--sql")
    assert_one_error_line(result, 1, "temporary folder", "No space left on device", "TMPDIR")


def test_a_full_disk_under_o_is_one_error_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offline_sql import output

    real = output._write_file
    calls: list[object] = []

    def fills_up(root: Path, relative: Any, data: bytes) -> None:
        calls.append(relative)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(root, relative, data)

    monkeypatch.setattr(output, "_write_file", fills_up)
    make_project(tmp_path / "p", LINEAR)
    result = invoke(tmp_path / "p", "upgrade", "head", "--sql", "-o", str(tmp_path / "out"))
    assert_one_error_line(result, 1, "No space left on device; nothing was changed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


# ---- a run killed while writing -o ----------------------------------------------------------

KILLED_MID_WRITE = """
import os, signal, sys
from offline_sql import output
from offline_sql.cli import main

real = output._write_file
count = 0
MIG = os.getpid()  # the run itself, also when a forked writer writes the files

def dies(root, relative, data):
    global count
    count += 1
    if count == 3:
        os.kill(MIG, signal.SIGKILL)  # as `kill -9` or the OOM killer would
        signal.pause()  # a writer: until it ends with the run
    real(root, relative, data)

output._write_file = dies
main(sys.argv[1:])
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_runs_leftover_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """Issue 11: a killed ``-o`` run left a hidden ``.out.tmp-*`` folder for ever."""
    make_project(tmp_path / "p", LINEAR)
    args = ["-c", str(tmp_path / "p" / "mig.toml"), "--dialect", "sqlite", "upgrade", "head"]
    args += ["--sql", "-o", str(tmp_path / "out")]
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_WRITE, *args], capture_output=True, check=False
    )
    assert killed.returncode == -9
    (leftover,) = [p.name for p in tmp_path.iterdir() if p.name != "p"]
    assert leftover.startswith(".out.tmp-")
    done = run_mig(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "p"]


def test_progress_lines_go_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An embedding program may replace ``sys.stderr`` while ``main`` runs (a test runner
    does, per test): a progress line goes to the stream in place when it is logged, not to
    the one the handler found when ``main`` began, which may be closed by then."""
    import logging

    from offline_sql.cli import _show_progress

    logger = logging.getLogger("offline_sql")
    monkeypatch.setattr(logger, "handlers", [])
    first, then = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    with _show_progress():
        monkeypatch.setattr(sys, "stderr", then)
        logger.info("took the migration lock")
    assert then.getvalue() == "mig: took the migration lock\n"
    assert first.getvalue() == ""
    assert logger.handlers == []
