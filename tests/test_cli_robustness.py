"""Issue 11, "nothing in a generated script can surprise the DBA": bad input, wrong
directions, hostile revision ids and failing disks give one ``mig: error:`` line, never a
traceback or a silently empty script."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import LINEAR, make_project

from offline_sql import commands
from offline_sql.cli import cli
from offline_sql.config import load_config
from offline_sql.errors import RevisionError


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
