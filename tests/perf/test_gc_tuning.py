"""The command line freezes its imports out of the garbage collector's scans; nothing else does.

``gc.freeze()`` after the dialect is imported halved the collector's time on a first run
(``offline_sql/gc_tuning.py``). In any other process (a library user's, this test session)
it would keep cyclic garbage alive for good, so only ``cli.main`` enables it, while it runs.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from cli_probe import copy_of_example, probe
from click.testing import CliRunner

from offline_sql.cli import cli, main


def test_a_command_line_run_freezes_its_imports(tmp_path: Path) -> None:
    project = copy_of_example(tmp_path)
    args = ("--dialect", "postgresql", "upgrade", "head", "--sql")
    script, frozen = probe(project, "__import__('gc').get_freeze_count()", *args)
    assert "CREATE TABLE" in script
    assert int(frozen) > 0


@pytest.fixture
def freezes(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """The ``gc.freeze()`` calls from now on. Counted, not read off ``gc.get_freeze_count()``:
    an object frozen earlier in this session leaves the permanent generation when reference
    counting frees it, at any time, so that count can fall during a run that freezes
    nothing (it did once in CI, by 2 of 578,953)."""
    calls: list[None] = []
    real = gc.freeze

    def counting() -> None:
        calls.append(None)
        real()

    monkeypatch.setattr(gc, "freeze", counting)
    return calls


def test_a_run_inside_another_process_leaves_its_collector_alone(
    tmp_path: Path, freezes: list[None]
) -> None:
    frozen = gc.get_freeze_count()
    project = copy_of_example(tmp_path)
    result = CliRunner().invoke(
        cli, ["-c", str(project / "mig.toml"), "--dialect", "mysql", "upgrade", "head", "--sql"]
    )
    assert result.exit_code == 0, result.output
    assert freezes == []
    assert gc.get_freeze_count() <= frozen  # nothing moved in


def test_main_called_in_process_enables_it_only_while_it_runs(
    tmp_path: Path, freezes: list[None]
) -> None:
    project = copy_of_example(tmp_path)
    config = ["-c", str(project / "mig.toml"), "--dialect", "sqlite", "upgrade", "head", "--sql"]
    try:
        main(config)
    except SystemExit as stop:
        assert not stop.code
    assert len(freezes) == 1
    frozen = gc.get_freeze_count()
    assert CliRunner().invoke(cli, config).exit_code == 0
    assert len(freezes) == 1
    assert gc.get_freeze_count() <= frozen  # nothing moved in


def test_no_collection_while_the_dialect_imports_and_as_before_after() -> None:
    """Issue 16: the collector's passes during SQLAlchemy's import walked what lives as long
    as the process (about 20 ms of a first run of an 81-revision history)."""
    from offline_sql import gc_tuning

    assert gc.isenabled()
    with gc_tuning.importing():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ImportError), gc_tuning.importing():
        raise ImportError("a dialect that does not import")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_tuning.importing():
            pass
        assert not gc.isenabled()  # an application that turned it off keeps it off
    finally:
        gc.enable()
