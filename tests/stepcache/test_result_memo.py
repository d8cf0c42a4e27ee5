"""The result memo (:mod:`offline_sql.result_memo`): a ``-o DIR --force`` run repeated with
nothing changed is answered without generating, and prints exactly what a full run prints;
anything the directory's bytes depend on, or the directory itself, changed means a full
run, with the full run's outcome."""

from __future__ import annotations

import marshal
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import USERS_AND_EMAIL, Rev, listing, make_project, write_revisions
from stepcache_helpers import Outcome, inside, mig, scratch_folder, small_project, steps_file

from offline_sql import generate, result_memo, ticket

HISTORY = [
    *USERS_AND_EMAIL,
    Rev("c3", "b2", "seed", upgrade=(
        "from pathlib import Path\n"
        'op.execute(Path(__file__).with_name("seed.sql").read_text(encoding="utf-8"))'),
        downgrade='op.execute("DELETE FROM users")'),
    Rev("d4", "c3", "drop users", upgrade='op.drop_table("users")',
        downgrade='op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))'),
]  # fmt: skip
"""Findings for the review (a NOT NULL column without default, a data change, a drop), rollback
files, and a script reading a file beside it."""

OLD = 1_000_000_000_000_000_000
"""An mtime long past (the header index re-reads files modified in the last 2 s)."""


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    yield from scratch_folder(tmp_path)


@pytest.fixture
def project(scratch: Path) -> Path:
    folder = small_project(scratch / "project", HISTORY)
    versions = folder / "migrations" / "versions"
    (versions / "seed.sql").write_text("INSERT INTO users (name) VALUES ('a')", encoding="utf-8")
    age(folder)
    return folder


def rewrite(path: Path, text: str) -> None:
    """Edit a project file, leaving it with its old mtime (the index then sees the edit by
    its size or ctime, as after a checkout)."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(OLD, OLD))


def age(folder: Path) -> None:
    """Every script and file of the project long unchanged."""
    for path in folder.rglob("*"):
        if path.is_file() and ".mig_cache" not in path.parts:
            os.utime(path, ns=(OLD, OLD))


def counted(
    patch: pytest.MonkeyPatch, target: str, real: Callable[..., object], *, forbidden: bool = False
) -> list[int]:
    """Count the calls of ``target`` (a dotted name, patched with a wrapper of ``real``): a
    run the memo answers makes none, and with ``forbidden`` the first call fails the test."""
    calls: list[int] = []

    def counting(*args: object, **kwargs: object) -> object:
        if forbidden:
            raise AssertionError(f"{target} ran: the memo did not answer")
        calls.append(1)
        return real(*args, **kwargs)

    patch.setattr(target, counting)
    return calls


def generations(patch: pytest.MonkeyPatch, *, forbidden: bool = False) -> list[int]:
    """The ``-o`` runs that generated (``generate``, which migrate imports when it runs)."""
    return counted(patch, "offline_sql.generate.generate", generate.generate, forbidden=forbidden)


def to_dir(folder: Path, out: Path, *extra: str, force: bool = True) -> Outcome:
    """``mig upgrade head --sql -o OUT [--force] [extra]`` from the project folder (global
    options are accepted after the command too)."""
    forced = ("--force",) if force else ()
    return mig(folder, "upgrade", "head", "--sql", "-o", str(out), *forced, *extra)


def full_run(folder: Path, out: Path, *extra: str) -> Outcome:
    """The same run with the memo never answering: what the memo must reproduce."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(result_memo, "answered", lambda *args: False)
        return to_dir(folder, out, *extra)


def memo_rows(folder: Path) -> int:
    path = steps_file(folder)
    if not path.exists():
        return 0
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM result").fetchone()[0])
    finally:
        connection.close()


def answered(folder: Path, out: Path, *extra: str) -> Outcome:
    """A run the memo must answer (generating or framing anything fails the test)."""
    with pytest.MonkeyPatch.context() as patch:
        generations(patch, forbidden=True)

        def no_framing(*args: object) -> None:
            raise AssertionError("frame_files ran: the memo did not answer")

        patch.setattr(ticket, "frame_files", no_framing)
        return to_dir(folder, out, *extra)


def generated(folder: Path, out: Path, *extra: str) -> Outcome:
    """A run that must generate (the memo must not answer it)."""
    with pytest.MonkeyPatch.context() as patch:
        runs = generations(patch)
        outcome = to_dir(folder, out, *extra)
    assert len(runs) == 1, outcome.stderr
    return outcome


# ---- answered --------------------------------------------------------------------------------


@pytest.mark.parametrize("first_forced", [False, True], ids=["first-new", "first-forced"])
def test_a_second_run_is_answered_and_prints_what_a_full_run_prints(
    project: Path, scratch: Path, first_forced: bool
) -> None:
    out = scratch / "out"
    first = to_dir(project, out, force=first_forced)
    assert first.exit_code == 0, first.stderr
    written = listing(out)
    assert b"drop-table" in written["REVIEW.md"]  # the review found things: not a message
    second = answered(project, out)  # the files were just written: each is read again
    third = answered(project, out)  # the snapshot was taken again: nothing is read
    full = full_run(project, out)
    assert second == third == full == first
    assert full.stderr == f"Wrote {out}\n"
    assert listing(out) == written
    assert memo_rows(project) == 1


@pytest.mark.parametrize(
    "args",
    [("downgrade", "head:base"), ("stamp", "base:head"), ("upgrade", "b2:d4")],
    ids=["downgrade", "stamp", "range"],
)
def test_other_commands_and_ranges_are_answered(
    project: Path, scratch: Path, args: tuple[str, str]
) -> None:
    out = scratch / "out"
    command = (*args, "--sql", "-o", str(out), "--force")
    first = mig(project, *command)
    assert first.exit_code == 0, first.stderr
    written = listing(out)
    with pytest.MonkeyPatch.context() as patch:
        generations(patch, forbidden=True)
        assert mig(project, *command) == first
    assert listing(out) == written


def test_each_directory_has_its_memo(project: Path, scratch: Path) -> None:
    one, two = scratch / "one", scratch / "two"
    assert to_dir(project, one).exit_code == 0
    assert to_dir(project, two, "--no-guard").exit_code == 0
    assert answered(project, one).exit_code == answered(project, two, "--no-guard").exit_code == 0
    assert memo_rows(project) == 2


def test_a_failed_run_is_not_remembered(scratch: Path) -> None:
    broken = Rev("d4", "c3", "drop users", upgrade='op.drop_table("users")',
                 downgrade='raise RuntimeError("no way back")')  # fmt: skip
    project = small_project(scratch / "project", [*HISTORY[:3], broken])
    (project / "migrations" / "versions" / "seed.sql").write_text("SELECT 1", encoding="utf-8")
    age(project)
    out = scratch / "out"
    failed = to_dir(project, out)
    assert failed.exit_code == 1 and "no way back" in failed.stderr
    assert memo_rows(project) == 0 and not out.exists()
    assert generated(project, out) == failed


def test_quiet_runs_are_answered_too(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out, "-q").exit_code == 0
    assert answered(project, out, "-q") == full_run(project, out, "-q") == Outcome(0, "", "")
    assert answered(project, out).stderr == f"Wrote {out}\n"


# ---- the directory changed -----------------------------------------------------------------


def _edit(out: Path) -> None:
    path = out / "0001_a1_create_users.sql"
    path.write_bytes(path.read_bytes() + b"-- mine\n")


def _add(out: Path) -> None:
    (out / "notes.txt").write_text("mine", encoding="utf-8")


def _remove(out: Path) -> None:
    (out / "rollback" / "0001_d4_drop_users.sql").unlink()


def _touch(out: Path) -> None:
    os.utime(out / "REVIEW.md", ns=(OLD, OLD))


def _add_and_remove(out: Path) -> None:
    (out / "x.txt").write_text("x", encoding="utf-8")
    (out / "x.txt").unlink()


def _delete_all(out: Path) -> None:
    shutil.rmtree(out)


def _replace_folder(out: Path) -> None:
    copy = out.with_name("copy")
    shutil.copytree(out, copy, copy_function=shutil.copy2)
    shutil.rmtree(out)
    copy.rename(out)


@pytest.mark.parametrize(
    "change",
    [_edit, _add, _remove, _touch, _add_and_remove, _delete_all, _replace_folder],
    ids=lambda change: change.__name__.strip("_"),
)
def test_a_changed_directory_is_generated_again(project: Path, scratch: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Edited, added or removed files are refused as before; a touched file, a folder made
    again or deleted is written (or kept) by the full run."""
    out, twin = scratch / "out", scratch / "twin"
    for folder in (out, twin):
        assert to_dir(project, folder).exit_code == 0
        change(folder)
    with pytest.MonkeyPatch.context() as patch:
        runs = generations(patch)
        outcome = to_dir(project, out)
    expected = full_run(project, twin)
    assert len(runs) == (expected.exit_code == 0)  # a refused directory: before generating
    assert outcome.exit_code == expected.exit_code
    assert outcome.stderr == expected.stderr.replace(str(twin), str(out))
    if expected.exit_code == 0:
        assert listing(out) == listing(twin)
        assert answered(project, out).exit_code == 0  # remembered again


def test_an_edit_the_file_times_do_not_show_is_seen(
    project: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file edited within the snapshot's racy window, on a file system whose times do not
    move (simulated: the scan returns the entries as snapshot), is read again."""
    from offline_sql import verify

    monkeypatch.setattr(verify, "RACY_NS", 10**18)  # however slow the first run was
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    before = verify._scan(out)
    path = out / "0001_a1_create_users.sql"
    data = path.read_bytes()
    path.write_bytes(data.replace(b"users", b"USERS"))
    monkeypatch.setattr(verify, "_scan", lambda root: dict(before))
    outcome = to_dir(project, out)  # the memo would say "Wrote": refused, before generating
    assert outcome.exit_code == 1
    assert "edited: 0001_a1_create_users.sql" in outcome.stderr


# ---- what the bytes depend on changed --------------------------------------------------------


def _same_as_a_new_directory(project: Path, scratch: Path, out: Path, *extra: str) -> None:
    fresh = scratch / "fresh"
    assert (
        mig(project, "--no-cache", *extra, "upgrade", "head", "--sql", "-o", str(fresh)).exit_code
        == 0
    )
    assert listing(out) == listing(fresh)


def test_an_edited_script_is_generated_again(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    script = project / "migrations" / "versions" / "b2_add_email.py"
    rewrite(script, script.read_text().replace("String(50)", "String(60)"))
    assert generated(project, out).exit_code == 0
    assert b"VARCHAR(60)" in (out / "0002_b2_add_email.sql").read_bytes()
    _same_as_a_new_directory(project, scratch, out)


def test_a_new_script_is_generated_again(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    small_project(project, [*HISTORY, Rev("e5", "d4", "recreate", upgrade=(
        'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))'))])  # fmt: skip
    assert generated(project, out).exit_code == 0
    assert (out / "0005_e5_recreate.sql").is_file()


def test_a_file_a_script_reads_is_seen(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    rewrite(project / "migrations" / "versions" / "seed.sql", "INSERT INTO users VALUES ('b')")
    assert generated(project, out).exit_code == 0
    assert b"VALUES ('b')" in (out / "0003_c3_seed.sql").read_bytes()
    _same_as_a_new_directory(project, scratch, out)


def test_a_changed_configuration_is_generated_again(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    config = project / "mig.toml"
    config.write_text(config.read_text() + 'version_table = "schema_version"\n')
    assert generated(project, out).exit_code == 0
    assert b"schema_version" in (out / "0001_a1_create_users.sql").read_bytes()
    _same_as_a_new_directory(project, scratch, out)


@pytest.mark.parametrize(
    "extra",
    [
        ("--dialect", "mysql"),
        ("--no-guard",),
        ("--no-preamble",),
        ("-x", "tenant=b"),
        ("--tag", "release-2"),
    ],
    ids=lambda extra: extra[0].strip("-"),
)
def test_another_option_is_generated_again(
    project: Path, scratch: Path, extra: tuple[str, ...]
) -> None:
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    before = listing(out)
    assert generated(project, out, *extra) == full_run(project, out, *extra)
    if extra[0] in ("--dialect", "--no-guard", "--no-preamble"):
        assert listing(out) != before
    assert answered(project, out, *extra).exit_code == 0  # now remembered


def test_strict_and_another_target_are_generated_again(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    assert generated(project, out, "--strict") == full_run(project, out, "--strict")
    with pytest.MonkeyPatch.context() as patch:
        runs = generations(patch)
        ranged = mig(project, "upgrade", "a1:head", "--sql", "-o", str(out), "--force")
    assert ranged.exit_code == 0 and len(runs) == 1
    assert (out / "0001_b2_add_email.sql").is_file()


def test_no_cache_neither_reads_nor_writes_the_memo(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out, "--no-cache").exit_code == 0
    assert memo_rows(project) == 0
    assert to_dir(project, out).exit_code == 0
    assert memo_rows(project) == 1
    assert generated(project, out, "--no-cache") == full_run(project, out)


def test_without_force_the_directory_is_refused_as_before(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out, force=False).exit_code == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(result_memo, "_holds", lambda *args: pytest.fail("memo consulted"))
        refused = to_dir(project, out, force=False)
    assert refused.exit_code == 1
    assert "is not empty: pass --force to replace it" in refused.stderr


def test_a_run_inside_the_directory_is_refused_as_before(project: Path, scratch: Path) -> None:
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    config = str(project / "mig.toml")
    with inside(out):
        from click.testing import CliRunner

        from offline_sql.cli import cli

        args = ["-c", config, "upgrade", "head", "--sql", "-o", str(out), "--force"]
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "it contains the current or home directory" in result.stderr


# ---- the memo itself ---------------------------------------------------------------------------


def _set_memo(project: Path, data: bytes, *, raw: bool) -> None:
    """Replace the memo row's data: ``raw`` bytes as stored (a checksum that fails), or
    data stored as the store stores it (it decodes, then is not a memo row)."""
    path = steps_file(project)
    if raw:
        connection = sqlite3.connect(path)
        with connection:
            connection.execute("UPDATE result SET data = ?", (data,))
        connection.close()
        return
    from offline_sql.stepcache.store import CacheStore

    connection = sqlite3.connect(path)
    (key,) = connection.execute("SELECT key FROM result").fetchone()
    connection.close()
    store = CacheStore(path.parent)
    store.put("result", key, (), data)
    store.flush()


@pytest.mark.parametrize(
    ("data", "raw"),
    [
        (b"garbage", True),
        (b"\xffnot marshal data", False),
        (marshal.dumps(None), False),
        (marshal.dumps({"key": "k", "deps": [("a", 1)]}), False),
        (marshal.dumps({"key": "k", "deps": [], "snapshot": (1, 2)}), False),
    ],
    ids=["checksum", "marshal", "none", "deps", "snapshot"],
)
def test_a_corrupt_memo_is_a_full_run(project: Path, scratch: Path, data: bytes, raw: bool) -> None:
    out = scratch / "out"
    assert to_dir(project, out).exit_code == 0
    written = listing(out)
    _set_memo(project, data, raw=raw)
    outcome = generated(project, out)
    assert outcome == Outcome(0, "", f"Wrote {out}\n")
    assert listing(out) == written
    assert answered(project, out) == outcome  # written again by the full run


# ---- runs that said something -----------------------------------------------------------------


@pytest.mark.parametrize(
    "says",
    [
        'import warnings\nwarnings.warn("careful", UserWarning, stacklevel=1)',
        'import logging\nlogging.getLogger("somewhere").warning("careful")',
    ],
    ids=["warning", "log"],
)
@pytest.mark.parametrize("quiet", [False, True], ids=["shown", "quiet"])
def test_a_run_that_said_something_is_not_remembered(scratch: Path, says: str, quiet: bool) -> None:
    """The step cache shows a cached step's warnings again; a memo would not: such a run
    is generated every time (also when -q hid what it said the first time)."""
    last = Rev("d4", "c3", "drop users", upgrade=f'{says}\nop.drop_table("users")')
    _said_something(scratch, last, quiet)


def test_listening_hears_ignored_warnings_and_logs() -> None:
    """What ``-q`` (or any filter) hides is heard; nothing shown changes."""
    import logging
    import warnings

    from offline_sql.said import listening

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("ignore")
        with listening() as said:
            warnings.warn("hidden", UserWarning, stacklevel=1)
        assert said.warnings == 1 and said.anything
        warnings.simplefilter("always")
        with listening() as said:
            warnings.warn("shown", UserWarning, stacklevel=1)
            warnings.warn("shown", UserWarning, stacklevel=1)
    assert [str(w.message) for w in shown] == ["shown", "shown"]
    assert said.warnings == 2
    with listening() as said:
        logging.getLogger("test_result_memo").debug("below every level: never handled")
    assert not said.anything
    with listening() as said:
        logging.getLogger("test_result_memo").warning("handled")
    assert said.records == 1 and said.anything


def test_listening_cannot_hear_past_a_filter_put_before_it() -> None:
    """A script turning warnings off when imported hides them from the first run only (a
    cached run does not import it): what it hid cannot be known, so it counts as said."""
    import warnings

    from offline_sql.said import listening

    with listening() as said:
        warnings.simplefilter("ignore")
        warnings.warn("unheard", UserWarning, stacklevel=1)
    assert said.warnings == 0 and said.deaf and said.anything
    with listening() as said:
        warnings.resetwarnings()
    assert said.anything


def _said_something(scratch: Path, last: Rev, quiet: bool) -> None:
    project = small_project(scratch / "project", [*HISTORY[:3], last])
    (project / "migrations" / "versions" / "seed.sql").write_text("SELECT 1", encoding="utf-8")
    age(project)
    out = scratch / "out"
    first = to_dir(project, out, *(("-q",) if quiet else ()))
    assert first.exit_code == 0, first.stderr
    assert memo_rows(project) == 0
    second = generated(project, out)
    assert second == full_run(project, out)
    if "warnings.warn" in last.upgrade:
        assert "mig: warning: careful" in second.stderr


# ---- the script of a run to stdout -----------------------------------------------------------


def to_stdout(folder: Path, *args: str) -> Outcome:
    """``mig ARGS --sql`` to stdout (default ``upgrade head``)."""
    return mig(folder, *(args or ("upgrade", "head")), "--sql")


def spools(patch: pytest.MonkeyPatch, *, forbidden: bool = False) -> list[int]:
    """The stdout runs that generated their script (``offline._spool``)."""
    from offline_sql import offline

    return counted(patch, "offline_sql.offline._spool", offline._spool, forbidden=forbidden)


def replayed(folder: Path, *args: str) -> Outcome:
    with pytest.MonkeyPatch.context() as patch:
        spools(patch, forbidden=True)
        return to_stdout(folder, *args)


def regenerated(folder: Path, *args: str) -> Outcome:
    with pytest.MonkeyPatch.context() as patch:
        runs = spools(patch)
        outcome = to_stdout(folder, *args)
    assert runs == [1], outcome.stderr
    return outcome


@pytest.mark.parametrize(
    "args",
    [("upgrade", "head"), ("downgrade", "head:base"), ("upgrade", "b2:d4")],
    ids=["upgrade", "downgrade", "range"],
)
def test_a_repeated_stdout_run_is_replayed_byte_for_byte(
    project: Path, args: tuple[str, str]
) -> None:
    first = to_stdout(project, *args)
    assert first.exit_code == 0 and first.stdout and first.stderr == "", first.stderr
    assert replayed(project, *args) == first
    assert to_stdout(project, *args, "--no-cache") == first


def test_an_edited_script_or_a_file_it_reads_is_generated_again(project: Path) -> None:
    assert to_stdout(project).exit_code == 0
    script = project / "migrations" / "versions" / "b2_add_email.py"
    rewrite(script, script.read_text().replace("String(50)", "String(60)"))
    edited = regenerated(project)
    assert "VARCHAR(60)" in edited.stdout
    rewrite(project / "migrations" / "versions" / "seed.sql", "INSERT INTO users VALUES ('b')")
    reread = regenerated(project)
    assert "VALUES ('b')" in reread.stdout
    assert reread == to_stdout(project, "upgrade", "head", "--no-cache") == replayed(project)


@pytest.mark.parametrize(
    "extra",
    [("--dialect", "mysql"), ("--no-guard",), ("--no-preamble",), ("-x", "tenant=b")],
    ids=lambda extra: extra[0].strip("-"),
)
def test_another_option_or_configuration_is_generated_again(
    project: Path, extra: tuple[str, ...]
) -> None:
    first = to_stdout(project)
    assert first.exit_code == 0
    other = regenerated(project, "upgrade", "head", *extra)
    assert other == to_stdout(project, "upgrade", "head", *extra, "--no-cache")
    assert replayed(project) == first  # each command line keeps its own
    config = project / "mig.toml"
    config.write_text(config.read_text() + 'version_table = "schema_version"\n')
    assert "schema_version" in regenerated(project).stdout


def test_no_cache_neither_reads_nor_writes_the_script_memo(project: Path) -> None:
    assert to_stdout(project, "upgrade", "head", "--no-cache").exit_code == 0
    assert memo_rows(project) == 0
    first = to_stdout(project)
    assert memo_rows(project) == 1
    with pytest.MonkeyPatch.context() as patch:
        runs = spools(patch)
        assert to_stdout(project, "upgrade", "head", "--no-cache") == first
    assert runs == [1]


@pytest.mark.parametrize(
    "data",
    [b"garbage", marshal.dumps(None), marshal.dumps({"key": "k", "deps": [], "script": 1})],
    ids=["checksum", "none", "script"],
)
def test_a_corrupt_script_memo_is_a_full_run(project: Path, data: bytes) -> None:
    first = to_stdout(project)
    _set_memo(project, data, raw=data == b"garbage")
    assert regenerated(project) == first
    assert replayed(project) == first


@pytest.mark.parametrize(
    "says",
    [
        'import warnings\nwarnings.warn("careful", UserWarning, stacklevel=1)',
        'import logging\nlogging.getLogger("somewhere").warning("careful")',
    ],
    ids=["warning", "log"],
)
def test_a_stdout_run_that_said_something_is_not_remembered(scratch: Path, says: str) -> None:
    last = Rev("d4", "c3", "drop users", upgrade=f'{says}\nop.drop_table("users")')
    project = small_project(scratch / "project", [*HISTORY[:3], last])
    (project / "migrations" / "versions" / "seed.sql").write_text("SELECT 1", encoding="utf-8")
    age(project)
    first = to_stdout(project)
    assert first.exit_code == 0
    if "warnings.warn" in says:  # a log record goes to the process's stderr, not the runner's
        assert "mig: warning: careful" in first.stderr
    assert memo_rows(project) == 0
    assert regenerated(project) == to_stdout(project, "upgrade", "head", "--no-cache")


def test_a_script_past_the_limit_is_not_remembered(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = to_stdout(project)
    monkeypatch.setattr(result_memo, "SCRIPT_LIMIT", len(first.stdout) - 1)
    steps_file(project).unlink()
    assert to_stdout(project) == first
    assert memo_rows(project) == 0
    assert regenerated(project) == first


def test_a_script_remembered_a_block_at_a_time_is_replayed_byte_for_byte(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: the spooled script is compressed in blocks (a first run's peak memory is
    where it is remembered); blocks of a few characters give the same script back."""
    monkeypatch.setattr(result_memo, "MEMO_BLOCK", 7)
    first = to_stdout(project)
    assert first.exit_code == 0 and len(first.stdout) > 7 * 10
    assert replayed(project) == first


def test_a_script_edited_while_the_run_ends_is_generated_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script edited after the run ran it, before the run is remembered: the memo is keyed
    by the scripts as the run read them, so the next run generates again and shows the
    edit (keyed by the files as they were at the end, it answered with the old output)."""
    script = project / "migrations" / "versions" / "b2_add_email.py"
    real = result_memo.remember_script

    def edit_then_remember(*args: object, **kwargs: object) -> None:
        rewrite(script, script.read_text().replace("String(50)", "String(60)"))
        real(*args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(result_memo, "remember_script", edit_then_remember)
        first = to_stdout(project)
    assert first.exit_code == 0 and "VARCHAR(50)" in first.stdout
    again = regenerated(project)
    assert "VARCHAR(60)" in again.stdout


def test_scripts_unchanged_since_their_seal_are_not_looked_up_one_by_one(
    project: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: a memo row keeps the versions folder's seal from when its run read the
    scripts; a check that finds the same seal does not ask the header index for every
    script's hash (a megabyte of JSON at 5,000 scripts). An edit that keeps the file's size
    and mtime still moves the seal (its ctime), and the run generates again."""
    from offline_sql.script import index

    monkeypatch.setattr(index, "RACY_WINDOW_NS", 50_000_000)
    time.sleep(0.1)  # the scripts' ctimes (moved when they were dated back) settle
    first, out = to_stdout(project), scratch / "out"
    assert first.exit_code == 0 and to_dir(project, out).exit_code == 0
    with pytest.MonkeyPatch.context() as patch:
        looked_up = "offline_sql.script.index.RevisionIndex.known_hashes"
        counted(patch, looked_up, index.RevisionIndex.known_hashes, forbidden=True)
        assert replayed(project) == first
        assert answered(project, out).exit_code == 0
    script = project / "migrations" / "versions" / "b2_add_email.py"
    rewrite(script, script.read_text().replace("String(50)", "String(60)"))
    time.sleep(0.1)
    assert "VARCHAR(60)" in regenerated(project).stdout
    assert generated(project, out).exit_code == 0


def test_a_row_remembered_without_a_seal_is_sealed_by_the_next_answer(
    project: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run right after a script was written keeps no seal (the file is too recent to
    trust its ``stat``). The first check that answers from every script's hash keeps the
    seal it took before reading them; the checks after it read no hash. A cache that
    cannot be written then leaves the answer as it is."""
    from offline_sql.script import index

    monkeypatch.setattr(index, "RACY_WINDOW_NS", 3_600 * 10**9)  # every script is recent
    first, out = to_stdout(project), scratch / "out"
    assert first.exit_code == 0 and to_dir(project, out).exit_code == 0
    monkeypatch.setattr(index, "RACY_WINDOW_NS", 50_000_000)
    time.sleep(0.1)
    looked_up = "offline_sql.script.index.RevisionIndex.known_hashes"
    with pytest.MonkeyPatch.context() as patch:
        calls = counted(patch, looked_up, index.RevisionIndex.known_hashes)
        assert replayed(project) == first
        assert answered(project, out).exit_code == 0
        assert len(calls) == 2
    with pytest.MonkeyPatch.context() as patch:
        counted(patch, looked_up, index.RevisionIndex.known_hashes, forbidden=True)
        assert replayed(project) == first
        assert answered(project, out).exit_code == 0


def test_a_seal_that_cannot_be_kept_leaves_the_answer(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keeping a fresh seal only makes the next check faster: a store that refuses the
    write (and warns) does not turn the answer into a full run."""
    from offline_sql.script import index
    from offline_sql.stepcache.store import CacheStore

    monkeypatch.setattr(index, "RACY_WINDOW_NS", 3_600 * 10**9)
    first = to_stdout(project)
    assert first.exit_code == 0
    monkeypatch.setattr(index, "RACY_WINDOW_NS", 50_000_000)
    time.sleep(0.1)

    def refused(store: CacheStore) -> None:
        store._fail("cannot write the step cache, ignored: disk I/O error")

    monkeypatch.setattr(CacheStore, "flush", refused)
    assert replayed(project) == first


def test_scripts_in_several_folders_are_checked_one_by_one(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several versions folders (``version_locations``) have no seal: the memo asks for every
    script's hash as before, and an edit in the second folder is seen."""
    from offline_sql.script import index

    monkeypatch.setattr(index, "RACY_WINDOW_NS", 50_000_000)
    root = scratch / "two-folders"
    settings = {
        "script_location": "migrations",
        "dialect": "postgresql",
        "version_locations": ["migrations/versions", "more"],
    }
    make_project(root, USERS_AND_EMAIL[:1], settings=settings)
    write_revisions(root / "more", USERS_AND_EMAIL[1:])
    age(root)
    time.sleep(0.1)  # the scripts' ctimes settle: a seal could be taken, were there one folder
    first = to_stdout(root)
    assert first.exit_code == 0 and "ix_users_email" in first.stdout, first.stderr
    assert replayed(root) == first
    script = next((root / "more").glob("*.py"))
    rewrite(script, script.read_text().replace("String(50)", "String(60)"))
    time.sleep(0.1)
    assert "VARCHAR(60)" in regenerated(root).stdout
