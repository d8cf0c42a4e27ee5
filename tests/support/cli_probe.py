"""``mig`` run in a fresh interpreter that then reports something about its own process.

Some facts about a run (which modules it imported, what its garbage collector froze) can only
be seen from inside the process that ran it, and the test session has long imported
everything: the probe runs ``offline_sql.cli.main`` in a child interpreter and prints a
Python expression's value, evaluated after the run, as its last line on stderr.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"

_PROBE = """
import sys
from offline_sql.cli import main
before, report, args = sys.argv[1], sys.argv[2], sys.argv[3:]
exec(before)
try:
    main(args)
except SystemExit as stop:
    if stop.code:
        raise
print(eval(report), file=sys.stderr)
"""


def copy_of_example(tmp_path: Path) -> Path:
    """The bundled example project, without caches, in ``tmp_path``."""
    copy = tmp_path / "shop"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".mig_cache", "__pycache__"))
    return copy


def probe(project: Path, report: str, *args: str, before: str = "") -> tuple[str, str]:
    """(the run's stdout, the value of ``report`` after ``mig args`` in ``project``);
    ``before``: Python code run first, in the same interpreter."""
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, before, report, *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = run.stderr.strip().splitlines()
    return run.stdout, lines[-1] if lines else ""


def imported_by(code: str, cwd: Path | None = None) -> set[str]:
    """The modules ``code`` imports when run in a fresh interpreter (from ``cwd``), not
    counting those the interpreter had imported before it."""
    report = (
        "import sys; __before = set(sys.modules)\n"
        f"{code}\n"
        "print(' '.join(sorted(set(sys.modules) - __before)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", report], cwd=cwd, capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())
