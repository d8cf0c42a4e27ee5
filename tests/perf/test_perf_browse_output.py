"""``mig history`` writes its lines at once, not one flushed ``click.echo`` a revision."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import Rev, make_project

from offline_sql import cli as cli_module
from offline_sql import commands
from offline_sql.cli import cli
from offline_sql.config import load_config
from offline_sql.stdout import echo


@pytest.mark.parametrize("args", [("history",), ("history", "-v"), ("heads",), ("show", "r005")])
def test_entries_in_one_write_with_the_same_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    revs = [Rev(f"r{i:03d}", f"r{i - 1:03d}" if i else None, f"step {i}") for i in range(40)]
    config_file = make_project(tmp_path, revs)
    config = load_config(config_file)
    entries = {
        "history": lambda: commands.history(config, verbose="-v" in args),
        "heads": lambda: commands.heads(config),
        "show": lambda: commands.show(config, "r005"),
    }[args[0]]()
    writes: list[str] = []
    def counted(text: str, nl: bool = True) -> None:
        writes.append(text)
        echo(text, nl)

    monkeypatch.setattr(cli_module, "echo", counted)
    result = CliRunner().invoke(cli, ["-c", str(config_file), *args])
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(entry + "\n" for entry in entries)
    assert len(writes) == 1


def test_no_entries_write_nothing(tmp_path: Path) -> None:
    config_file = make_project(tmp_path, [])
    result = CliRunner().invoke(cli, ["-c", str(config_file), "history"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
