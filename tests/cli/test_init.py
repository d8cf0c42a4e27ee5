"""`mig init`: scaffolds a working project and never overwrites anything."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from offline_sql import commands
from offline_sql.cli import cli
from offline_sql.config import _parse_toml, load_config
from offline_sql.errors import ConfigError, OutputError
from offline_sql.script.template import package_template
from offline_sql.script.writer import append_text, write_new_file


def test_init_writes_mig_toml_and_folders(tmp_path: Path) -> None:
    created = commands.init(tmp_path)
    assert created == [
        tmp_path / "mig.toml",
        tmp_path / "migrations" / "versions",
        tmp_path / "migrations" / "script.py.tmpl",
    ]
    assert (tmp_path / "migrations" / "versions").is_dir()
    assert (tmp_path / "migrations" / "script.py.tmpl").read_text() == package_template()


def test_init_config_loads_with_the_documented_defaults(tmp_path: Path) -> None:
    commands.init(tmp_path)
    config = load_config(cwd=tmp_path)
    assert config.script_location == (tmp_path / "migrations").resolve()
    assert config.version_table == "mig_version"
    assert config.dialect == "sqlite"
    assert config.url == f"sqlite:///{(tmp_path / 'app.db').resolve().as_posix()}"


def test_init_creates_a_missing_directory(tmp_path: Path) -> None:
    commands.init(tmp_path / "new" / "project")
    assert (tmp_path / "new" / "project" / "mig.toml").is_file()


def test_init_appends_tool_mig_to_pyproject(tmp_path: Path) -> None:
    original = '[project]\nname = "app"\nversion = "1"'
    (tmp_path / "pyproject.toml").write_text(original, encoding="utf-8")
    created = commands.init(tmp_path)
    assert created[0] == tmp_path / "pyproject.toml"
    assert not (tmp_path / "mig.toml").exists()
    text = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(original + "\n")
    data = _parse_toml(tmp_path / "pyproject.toml")
    assert data["project"]["name"] == "app"
    assert data["tool"]["mig"]["script_location"] == "migrations"
    assert load_config(cwd=tmp_path).config_file == (tmp_path / "pyproject.toml").resolve()


def test_init_refuses_pyproject_that_already_has_tool_mig(tmp_path: Path) -> None:
    text = '[tool.mig]\nscript_location = "db"\n'
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"already has a \[tool.mig\] table"):
        commands.init(tmp_path)
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == text
    assert not (tmp_path / "migrations").exists()


@pytest.mark.parametrize(
    "existing", ["mig.toml", "migrations/versions/", "migrations/script.py.tmpl"]
)
def test_init_refuses_to_overwrite(tmp_path: Path, existing: str) -> None:
    path = tmp_path / existing
    if existing.endswith("/"):
        path.mkdir(parents=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine", encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(ConfigError, match="already exists") as info:
        commands.init(tmp_path)
    assert str(path.resolve()).rstrip("/") in str(info.value)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_cli_init_reports_what_it_created(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"Created {tmp_path.resolve() / 'mig.toml'}" in result.stdout
    assert "script.py.tmpl" in result.stdout


def test_cli_init_twice_is_one_error_line(tmp_path: Path, runner: CliRunner) -> None:
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    result = runner.invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("mig: error: ")
    assert "already exists" in result.stderr


def test_init_then_revision_then_heads(tmp_path: Path, runner: CliRunner) -> None:
    """The scaffold is immediately usable, with the project's template copy."""
    commands.init(tmp_path)
    template = tmp_path / "migrations" / "script.py.tmpl"
    template.write_text(template.read_text() + "\n# project template\n", encoding="utf-8")
    config = str(tmp_path / "mig.toml")
    result = runner.invoke(cli, ["-c", config, "revision", "-m", "first", "--rev-id", "r1"])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "migrations" / "versions" / "r1_first.py").read_text()
    assert written.endswith("# project template\n")
    heads = runner.invoke(cli, ["-c", config, "heads"])
    assert heads.stdout == "r1 (head)\n"


# ---- the atomic writer used by init and revision ----------------------------------------


def test_write_new_file_never_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    write_new_file(target, "one\n")
    with pytest.raises(FileExistsError):
        write_new_file(target, "two\n")
    assert target.read_text() == "one\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_write_new_file_uses_normal_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    target = tmp_path / "a.py"
    write_new_file(target, "x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_write_new_file_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write in"):
        write_new_file(tmp_path / "missing" / "a.py", "x")


@pytest.mark.parametrize(("original", "joined"), [("a = 1", "a = 1\nb"), ("a = 1\n", "a = 1\nb")])
def test_append_text_keeps_mode_and_adds_a_line_break(
    tmp_path: Path, original: str, joined: str
) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text(original)
    target.chmod(0o640)
    append_text(target, "b")
    assert target.read_text() == joined
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["pyproject.toml"]
