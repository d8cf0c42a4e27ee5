"""The command line freezes its imports out of the garbage collector's scans; nothing else does.

``gc.freeze()`` after the dialect is imported halved the collector's time on a first run
(``offline_sql/gc_tuning.py``). In any other process (a library user's, this test session)
it would keep cyclic garbage alive for good, so only ``cli.main`` enables it, while it runs.
"""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from offline_sql.cli import cli, main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"

_PROBE = """
import gc, sys
from offline_sql.cli import main
try:
    main(sys.argv[1:])
except SystemExit as stop:
    if stop.code:
        raise
print(gc.get_freeze_count(), file=sys.stderr)
"""


def _project(tmp_path: Path) -> Path:
    copy = tmp_path / "shop"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".mig_cache", "__pycache__"))
    return copy


def test_a_command_line_run_freezes_its_imports(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, "--dialect", "postgresql", "upgrade", "head", "--sql"],
        cwd=_project(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "CREATE TABLE" in run.stdout
    assert int(run.stderr.strip().splitlines()[-1]) > 0


def test_a_run_inside_another_process_leaves_its_collector_alone(tmp_path: Path) -> None:
    frozen = gc.get_freeze_count()
    project = _project(tmp_path)
    result = CliRunner().invoke(
        cli, ["-c", str(project / "mig.toml"), "--dialect", "mysql", "upgrade", "head", "--sql"]
    )
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == frozen


def test_main_called_in_process_enables_it_only_while_it_runs(tmp_path: Path) -> None:
    project = _project(tmp_path)
    config = ["-c", str(project / "mig.toml"), "--dialect", "sqlite", "upgrade", "head", "--sql"]
    try:
        main(config)
    except SystemExit as stop:
        assert not stop.code
    frozen = gc.get_freeze_count()
    assert CliRunner().invoke(cli, config).exit_code == 0
    assert gc.get_freeze_count() == frozen
