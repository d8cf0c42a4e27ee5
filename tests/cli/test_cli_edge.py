"""The CLI edge: console script, cheap import, warnings, --version, wiring to migrate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import LINEAR, make_project

from offline_sql import __version__, migrate
from offline_sql.cli import cli
from offline_sql.config import Config

MIG = Path(sys.executable).with_name("mig")


def run_mig(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIG_")}
    return subprocess.run(
        [str(MIG), *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


# ---- the real console script ------------------------------------------------------------


def test_console_script_heads(tmp_path: Path) -> None:
    assert MIG.is_file(), f"{MIG} missing: install the project (pip install -e .)"
    make_project(tmp_path, LINEAR)
    done = run_mig("heads", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ccc3 (head)\n", "")


def test_console_script_error_is_one_line(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    done = run_mig("show", "nope", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == "mig: error: no revision matches 'nope' (see `mig history`)\n"


def test_console_script_traceback_flag(tmp_path: Path) -> None:
    make_project(tmp_path, LINEAR)
    done = run_mig("--traceback", "show", "nope", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "UnknownRevisionError" in done.stderr


def test_python_dash_m(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "offline_sql", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert __version__ in done.stdout


def test_cli_import_is_cheap() -> None:
    code = (
        "import sys, offline_sql.cli\n"
        "heavy = [m for m in ('sqlalchemy', 'sqlglot', 'offline_sql.graph') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_help_without_config(tmp_path: Path) -> None:
    done = run_mig("--help", cwd=tmp_path)
    assert done.returncode == 0
    for command in ("init", "revision", "merge", "heads", "history", "upgrade", "current"):
        assert command in done.stdout


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"mig, version {__version__}\n"


def test_warnings_are_one_line(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, LINEAR)
    cache = tmp_path / "migrations" / ".mig_cache"
    cache.mkdir()
    (cache / "index.json").write_text("{not json")
    result = runner.invoke(cli, ["-c", str(config), "heads"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ccc3 (head)\n"
    assert result.stderr.startswith("mig: warning: ")
    assert result.stderr.count("\n") == 1
    assert "index.json" in result.stderr


# ---- migration commands: parsed options reach offline_sql.migrate -----------------------


class Recorder:
    def __init__(self, returns: str | None) -> None:
        self.calls: list[tuple[Config, str, dict[str, Any]]] = []
        self.returns = returns

    def __call__(self, config: Config, target: str, **options: Any) -> str | None:
        self.calls.append((config, target, options))
        return self.returns


DEFAULTS = {
    "sql": False,
    "output": None,
    "force": False,
    "guard": True,
    "preamble": True,
    "strict": False,
}


@pytest.mark.parametrize("command", ["upgrade", "downgrade", "stamp"])
def test_migration_defaults(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    fake = Recorder(None)
    monkeypatch.setattr(migrate, command, fake)
    config = make_project(tmp_path, LINEAR)
    result = runner.invoke(cli, ["-c", str(config), command, "aaa1:head"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    [(loaded, target, options)] = fake.calls
    assert loaded.config_file == config.resolve()
    assert target == "aaa1:head"
    out = options.pop("out")  # where a --sql script is streamed: the command's stdout
    assert out.writable()
    assert options == DEFAULTS


@pytest.mark.parametrize("command", ["upgrade", "downgrade", "stamp"])
def test_migration_options(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    script = "-- 100% literal\tSQL\n\\set x\nCOMMIT;"
    fake = Recorder(script)
    monkeypatch.setattr(migrate, command, fake)
    config = make_project(tmp_path, LINEAR)
    args = ["--sql", "-o", str(tmp_path / "out"), "--force", "--no-guard", "--no-preamble"]
    args += ["--strict"]
    result = runner.invoke(cli, ["-c", str(config), command, "base:ccc3", *args])
    assert result.exit_code == 0, result.output
    assert result.stdout == script
    [(_, target, options)] = fake.calls
    assert target == "base:ccc3"
    assert options.pop("out").writable()
    assert options == {
        "sql": True,
        "output": tmp_path / "out",
        "force": True,
        "guard": False,
        "preamble": False,
        "strict": True,
    }


@pytest.mark.parametrize(
    "flags",
    [["-o", "out"], ["--no-guard"], ["--no-preamble"], ["--strict"], ["--sql", "--force"]],
)
def test_offline_only_options_need_sql_and_output(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, flags: list[str]
) -> None:
    fake = Recorder(None)
    monkeypatch.setattr(migrate, "upgrade", fake)
    config = make_project(tmp_path, LINEAR)
    result = runner.invoke(cli, ["-c", str(config), "upgrade", "head", *flags])
    assert result.exit_code == 2
    assert "only make" in result.stderr
    assert fake.calls == []


def test_current(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def current(config: Config, verbose: bool = False) -> list[str]:
        seen.append(verbose)
        return ["ccc3 (head)"]

    monkeypatch.setattr(migrate, "current", current)
    config = make_project(tmp_path, LINEAR)
    result = runner.invoke(cli, ["-c", str(config), "current", "--verbose"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ccc3 (head)\n"
    assert seen == [True]


@pytest.mark.parametrize(
    ("env", "option", "expected"),
    [
        (None, None, "postgresql"),
        ("mysql", None, "mysql"),
        ("mysql", "oracle", "oracle"),
        (None, "sqlite", "sqlite"),
    ],
)
def test_dialect_precedence(
    tmp_path: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    env: str | None,
    option: str | None,
    expected: str,
) -> None:
    """--dialect > MIG_DIALECT > the config file."""
    fake = Recorder("")
    monkeypatch.setattr(migrate, "upgrade", fake)
    if env:
        monkeypatch.setenv("MIG_DIALECT", env)
    config = make_project(tmp_path, LINEAR, settings={"dialect": "postgresql"})
    args = ["-c", str(config), *(["--dialect", option] if option else []), "upgrade", "head"]
    result = runner.invoke(cli, [*args, "--sql"])
    assert result.exit_code == 0, result.output
    assert fake.calls[0][0].dialect == expected


def test_migrate_errors_are_translated(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offline_sql.errors import RenderError

    def fail(config: Config, target: str, **options: Any) -> str | None:
        raise RenderError("revision ccc3: cannot do that on sqlite; use batch_alter_table")

    monkeypatch.setattr(migrate, "upgrade", fail)
    config = make_project(tmp_path, LINEAR)
    result = runner.invoke(cli, ["-c", str(config), "upgrade", "head", "--sql"])
    assert result.exit_code == 1
    assert result.stderr == (
        "mig: error: revision ccc3: cannot do that on sqlite; use batch_alter_table\n"
    )
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["upgrade", "downgrade", "stamp"])
def test_negative_relative_target_is_an_argument(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    fake = Recorder(None)
    monkeypatch.setattr(migrate, command, fake)
    config = make_project(tmp_path, LINEAR)
    result = runner.invoke(cli, ["-c", str(config), command, "-1"])
    assert result.exit_code == 0, result.output
    [(_, target, _)] = fake.calls
    assert target == "-1"


def test_unknown_option_is_still_a_usage_error(tmp_path: Path, runner: CliRunner) -> None:
    config = make_project(tmp_path, LINEAR)
    result = runner.invoke(cli, ["-c", str(config), "downgrade", "--bogus"])
    assert result.exit_code == 2
    assert "No such option '--bogus'" in result.stderr


def test_negative_target_with_options_after_it(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = Recorder("script")
    monkeypatch.setattr(migrate, "downgrade", fake)
    config = make_project(tmp_path, LINEAR)
    result = runner.invoke(cli, ["-c", str(config), "downgrade", "-2", "--sql"])
    assert result.exit_code == 0, result.output
    [(_, target, options)] = fake.calls
    assert (target, options["sql"]) == ("-2", True)
