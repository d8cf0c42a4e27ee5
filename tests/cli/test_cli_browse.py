"""heads / branches / history / show through the CLI, on every history shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import BRANCHED, DEPENDS, LINEAR, MERGED, Rev, make_project

from offline_sql import commands
from offline_sql.cli import cli
from offline_sql.config import load_config

HISTORIES = {"linear": LINEAR, "branched": BRANCHED, "merged": MERGED, "depends": DEPENDS}


def run(runner: CliRunner, root: Path, *args: str) -> Result:
    result = runner.invoke(cli, ["-c", str(root / "mig.toml"), *args])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result


@pytest.fixture(params=list(HISTORIES))
def shape(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


HEADS = {
    "linear": "ccc3 (head)\n",
    "branched": "bbb2 (head)\nccc3 (head)\n",
    "merged": "ddd4 (head)\n",
    "depends": "bbb2 (head)\nyyy2 (head)\n",
}

HISTORY = {
    "linear": (
        "bbb2 -> ccc3 (head), add index\naaa1 -> bbb2, add email\n<base> -> aaa1, create users\n"
    ),
    "branched": (
        "aaa1 -> ccc3 (head), right side\n"
        "aaa1 -> bbb2 (head), left side\n"
        "<base> -> aaa1 (branchpoint), create users\n"
    ),
    "merged": (
        "bbb2, ccc3 -> ddd4 (head) (mergepoint), merge sides\n"
        "aaa1 -> ccc3, right side\n"
        "aaa1 -> bbb2, left side\n"
        "<base> -> aaa1 (branchpoint), create users\n"
    ),
    "depends": (
        "xxx1 -> yyy2 (head), needs email\n"
        "<base> -> xxx1 (other), other base\n"
        "aaa1 -> bbb2 (head), add email\n"
        "<base> -> aaa1, create users\n"
    ),
}

BRANCHES = {
    "linear": "",
    "branched": (
        "<base> -> aaa1 (branchpoint), create users\n     -> bbb2 (head)\n     -> ccc3 (head)\n"
    ),
    "merged": "<base> -> aaa1 (branchpoint), create users\n     -> bbb2\n     -> ccc3\n",
    "depends": "",
}


def test_heads(tmp_path: Path, runner: CliRunner, shape: str) -> None:
    make_project(tmp_path, HISTORIES[shape])
    assert run(runner, tmp_path, "heads").stdout == HEADS[shape]


def test_history(tmp_path: Path, runner: CliRunner, shape: str) -> None:
    make_project(tmp_path, HISTORIES[shape])
    assert run(runner, tmp_path, "history").stdout == HISTORY[shape]


def test_branches(tmp_path: Path, runner: CliRunner, shape: str) -> None:
    make_project(tmp_path, HISTORIES[shape])
    assert run(runner, tmp_path, "branches").stdout == BRANCHES[shape]


def test_verbose_history_lists_every_revision(
    tmp_path: Path, runner: CliRunner, shape: str
) -> None:
    make_project(tmp_path, HISTORIES[shape])
    out = run(runner, tmp_path, "history", "--verbose").stdout
    assert out.count("Rev: ") == len(HISTORIES[shape])
    assert out.count("Path: ") == len(HISTORIES[shape])


def test_commands_callable_without_click(tmp_path: Path, shape: str) -> None:
    config = load_config(make_project(tmp_path, HISTORIES[shape]))
    assert commands.heads(config) == HEADS[shape].splitlines()
    assert commands.history(config) == HISTORY[shape].splitlines()


def test_verbose_heads_on_depends(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, DEPENDS)
    out = run(runner, tmp_path, "heads", "-v").stdout
    expected_path = tmp_path / "migrations" / "versions" / "yyy2_needs_email.py"
    assert (
        "Rev: yyy2 (head)\n"
        "Parent: xxx1\n"
        "Also depends on: bbb2\n"
        f"Path: {expected_path.resolve()}\n"
        "\n"
        "    needs email\n"
    ) in out


def test_show_merge_point(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, MERGED)
    out = run(runner, tmp_path, "show", "dd").stdout
    assert out.startswith("Rev: ddd4 (head) (mergepoint)\nMerges: bbb2, ccc3\n")
    assert "    merge sides\n" in out


def test_show_branch_point_and_label(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, BRANCHED)
    out = run(runner, tmp_path, "show", "aaa1").stdout
    assert "Branches into: bbb2, ccc3\n" in out
    make_project(tmp_path / "d", DEPENDS)
    out = run(runner, tmp_path / "d", "show", "other").stdout
    assert out.startswith("Rev: xxx1 (other)\nParent: <base>\n")
    assert "Branch names: other\n" in out


def test_show_heads_shows_each(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, BRANCHED)
    assert run(runner, tmp_path, "show", "heads").stdout.count("Rev: ") == 2


@pytest.mark.parametrize(
    ("rev_range", "revs"),
    [
        ("bbb2:", ["ccc3", "bbb2"]),
        (":bbb2", ["bbb2", "aaa1"]),
        ("aaa1:bbb2", ["bbb2", "aaa1"]),
        ("base:head", ["ccc3", "bbb2", "aaa1"]),
        (":", ["ccc3", "bbb2", "aaa1"]),
        ("ccc3:ccc3", ["ccc3"]),
    ],
)
def test_history_range(tmp_path: Path, runner: CliRunner, rev_range: str, revs: list[str]) -> None:
    make_project(tmp_path, LINEAR)
    lines = run(runner, tmp_path, "history", "-r", rev_range).stdout.splitlines()
    assert [line.split(" -> ")[1].split()[0].rstrip(",") for line in lines] == revs


def test_history_range_on_a_branch(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path, MERGED)
    lines = run(runner, tmp_path, "history", "-r", "aaa1:bbb2").stdout.splitlines()
    assert lines == ["aaa1 -> bbb2, left side", "<base> -> aaa1 (branchpoint), create users"]


def test_empty_history(tmp_path: Path, runner: CliRunner) -> None:
    make_project(tmp_path)
    assert run(runner, tmp_path, "heads").stdout == ""
    assert run(runner, tmp_path, "history").stdout == ""


def test_browsing_never_imports_scripts(tmp_path: Path, runner: CliRunner) -> None:
    """A script that fails on import still lists: headers are read with ast."""
    boom = 'raise RuntimeError("imported!")'
    revisions = (
        Rev("aaa1", None, "create users", prelude=boom),
        Rev("bbb2", "aaa1", "add email", prelude="import not_installed_module"),
    )
    make_project(tmp_path, revisions)
    assert run(runner, tmp_path, "heads").stdout == "bbb2 (head)\n"
    assert len(run(runner, tmp_path, "history", "-v").stdout.splitlines()) > 4
    assert "Rev: aaa1" in run(runner, tmp_path, "show", "aaa1").stdout


def test_config_found_from_working_directory(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path, LINEAR)
    sub = tmp_path / "src"
    sub.mkdir()
    monkeypatch.chdir(sub)
    result = runner.invoke(cli, ["heads"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ccc3 (head)\n"
