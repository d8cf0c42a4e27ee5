"""Every user error is one stderr line ``mig: error: ...`` with the right exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import BRANCHED, DEPENDS, LINEAR, MERGED, Rev, make_project, write_revisions

from offline_sql.cli import cli
from offline_sql.errors import MigError, UnknownRevisionError


def invoke(runner: CliRunner, root: Path, *args: str) -> Result:
    return runner.invoke(cli, ["-c", str(root / "mig.toml"), *args])


def assert_one_error_line(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("mig: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr


def broken(tmp_path: Path, source: str) -> Path:
    make_project(tmp_path, LINEAR)
    (tmp_path / "migrations" / "versions" / "zzz_broken.py").write_text(source)
    return tmp_path


BROKEN_SCRIPTS = {
    "syntax error": ('revision = "zzz"\ndef upgrade(:\n', ["zzz_broken.py:2", "syntax"]),
    "missing revision": ('"""no header"""\ndown_revision = None\n', ["zzz_broken.py", "revision"]),
    "non-literal header": ('revision = "z" + "zz"\n', ["zzz_broken.py:1", "literal"]),
    "missing parent": ('revision = "zzz"\ndown_revision = "nope"\n', ["nope", "zzz"]),
    "duplicate id": ('revision = "bbb2"\ndown_revision = "aaa1"\n', ["bbb2"]),
}


@pytest.mark.parametrize("case", list(BROKEN_SCRIPTS))
@pytest.mark.parametrize("command", [["heads"], ["history"], ["revision", "-m", "x"]])
def test_broken_history(tmp_path: Path, runner: CliRunner, case: str, command: list[str]) -> None:
    source, fragments = BROKEN_SCRIPTS[case]
    result = invoke(runner, broken(tmp_path, source), *command)
    assert_one_error_line(result, 1, *fragments)


def test_cycle(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, (Rev("aaa1", "ccc3"), Rev("bbb2", "aaa1"), Rev("ccc3", "bbb2")))
    assert_one_error_line(invoke(runner, tmp_path, "heads"), 1, "cycle")


def test_unknown_revision_suggests(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, LINEAR)
    result = invoke(runner, tmp_path, "show", "aaa2")
    assert_one_error_line(result, 1, "'aaa2'", "did you mean", "aaa1")


def test_ambiguous_prefix(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, (Rev("ab1"), Rev("ab2", "ab1")))
    assert_one_error_line(invoke(runner, tmp_path, "show", "ab"), 1, "'ab'", "ab1", "ab2")


def test_multiple_heads(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, BRANCHED)
    result = invoke(runner, tmp_path, "revision", "-m", "next")
    assert_one_error_line(result, 1, "2 heads", "mig merge heads")


def test_duplicate_rev_id_on_revision(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, LINEAR)
    result = invoke(runner, tmp_path, "revision", "-m", "x", "--rev-id", "aaa1")
    assert_one_error_line(result, 1, "'aaa1' already exists")


def test_non_head_without_splice(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, LINEAR)
    result = invoke(runner, tmp_path, "revision", "-m", "x", "--head", "aaa1")
    assert_one_error_line(result, 1, "--splice")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["revision", "-m", "x", "--rev-id", "bad-id"], "--rev-id"),
        (["revision", "-m", "x", "--head", "heads"], "--head heads"),
        (["revision", "-m", "x", "--branch-label", "a@b"], "--branch-label"),
        (["merge", "ccc3", "-m", "x"], "at least two"),
        (["history", "-r", "aaa1"], "FROM:TO"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, runner: CliRunner, args: list[str], fragment: str
) -> None:
    make_project(tmp_path, LINEAR)
    assert_one_error_line(invoke(runner, tmp_path, *args), 2, fragment)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('script_location = "m"\nurl = \n', ["mig.toml:2", "invalid TOML"]),
        ('script_locaton = "m"\n', ["unknown key", "did you mean 'script_location'"]),
        ('dialect = "postgress"\n', ["unknown dialect", "postgresql, mysql"]),
        ("transaction_per_migration = 1\n", ["'transaction_per_migration' must be"]),
    ],
)
def test_config_errors(tmp_path: Path, runner: CliRunner, text: str, fragments: list[str]) -> None:
    (tmp_path / "mig.toml").write_text(text)
    assert_one_error_line(invoke(runner, tmp_path, "heads"), 1, "mig.toml", *fragments)


def test_no_config(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_one_error_line(runner.invoke(cli, ["heads"]), 1, "run `mig init`")


@pytest.mark.parametrize("command", [["heads"], ["upgrade", "head", "--sql"]])
def test_missing_versions_folder(tmp_path: Path, runner: CliRunner, command: list[str]) -> None:
    (tmp_path / "mig.toml").write_text('script_location = "nowhere"\ndialect = "sqlite"\n')
    result = invoke(runner, tmp_path, *command)
    assert_one_error_line(result, 1, "versions folder", "nowhere", "mig init")


def test_bad_dialect_option_is_a_click_usage_error(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, LINEAR)
    result = invoke(runner, tmp_path, "--dialect", "db2", "heads")
    assert result.exit_code == 2
    assert "'db2' is not one of" in result.stderr
    assert "Traceback" not in result.output


def test_bad_environment_dialect(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path, LINEAR)
    monkeypatch.setenv("MIG_DIALECT", "db2")
    result = invoke(runner, tmp_path, "upgrade", "head", "--sql")
    assert_one_error_line(result, 1, "MIG_DIALECT", "'db2'")


def test_unknown_command_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["upgrayedd"])
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_multiline_messages_are_flattened(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offline_sql import commands

    def fail(*args: object, **kwargs: object) -> list[str]:
        raise MigError("first line\n  second line\n")

    monkeypatch.setattr(commands, "heads", fail)
    make_project(tmp_path, LINEAR)
    result = invoke(runner, tmp_path, "heads")
    assert result.stderr == "mig: error: first line second line\n"


def test_traceback_flag_reraises(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, LINEAR)
    result = runner.invoke(cli, ["--traceback", "-c", str(tmp_path / "mig.toml"), "show", "zz"])
    assert isinstance(result.exception, UnknownRevisionError)
    assert "mig: error:" not in result.stderr


def test_bugs_keep_their_traceback(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only MigError is translated; anything else is a bug and must stay visible."""
    from offline_sql import commands

    def bug(*args: object, **kwargs: object) -> list[str]:
        raise KeyError("oops")

    monkeypatch.setattr(commands, "heads", bug)
    make_project(tmp_path, LINEAR)
    result = invoke(runner, tmp_path, "heads")
    assert isinstance(result.exception, KeyError)


def test_error_after_partial_history_writes_nothing(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, LINEAR)
    write_revisions(tmp_path / "migrations" / "versions", [Rev("zzz9", "missing")])
    before = sorted((tmp_path / "migrations" / "versions").iterdir())
    assert_one_error_line(invoke(runner, tmp_path, "revision", "-m", "x"), 1, "zzz9", "missing")
    assert sorted((tmp_path / "migrations" / "versions").iterdir()) == before


SHAPES = {"linear": LINEAR, "branched": BRANCHED, "merged": MERGED, "depends": DEPENDS}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["show", "aaa9"], ["no revision matches 'aaa9'", "did you mean aaa1"]),
        (["history", "-r", "zzzz:"], ["no revision matches 'zzzz'"]),
        (["revision", "-m", "x", "--depends-on", "qqq"], ["'qqq'"]),
        (["merge", "aaa1", "nope", "-m", "x"], ["'nope'"]),
    ],
)
def test_unknown_revisions_on_every_shape(
    tmp_path: Path, runner: CliRunner, shape: str, args: list[str], fragments: list[str]
) -> None:
    make_project(tmp_path, SHAPES[shape])
    if args[0] == "revision" and shape in ("branched", "depends"):
        args = [*args, "--head", "bbb2"]
    assert_one_error_line(invoke(runner, tmp_path, *args), 1, *fragments)
