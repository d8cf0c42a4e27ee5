"""A run to stdout imports no sqlglot; a ticket directory, which reviews, still does.

sqlglot and the review's modules cost a first run about 60 ms and 9 MB. Only the review
and raw SQL that might need to leave the transaction parse SQL, so the dialects load their
review rules (``Dialect.review_rules``) and sqlglot's expression classes
(``outside_transaction``) when asked, not when they are defined. Each case runs in a fresh
interpreter: the test process has imported sqlglot long ago.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline_sql.dialect_api.registry import NAMES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"

_PROBE = """
import sys
from offline_sql.cli import main
try:
    main(sys.argv[1:])
except SystemExit as stop:
    if stop.code:
        raise
found = (m for m in sys.modules if m == "sqlglot" or ".review" in m and m.startswith("offline_sql"))
print(",".join(sorted(found)), file=sys.stderr)
"""


def _imported(project: Path, *args: str) -> set[str]:
    """The sqlglot and review modules a fresh interpreter imported for ``mig args``."""
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    last = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
    return set(filter(None, last.split(",")))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "shop"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".mig_cache", "__pycache__"))
    return copy


@pytest.mark.parametrize("name", NAMES)
def test_a_first_run_to_stdout_imports_no_sqlglot(project: Path, name: str) -> None:
    assert _imported(project, "--dialect", name, "upgrade", "head", "--sql", "--no-cache") == set()


def test_a_ticket_directory_still_reviews_with_sqlglot(project: Path) -> None:
    imported = _imported(
        project, "--dialect", "postgresql", "upgrade", "head", "--sql", "-o", "ticket"
    )
    assert {"sqlglot", "offline_sql.review", "offline_sql.dialects.postgresql.review"} <= imported
    assert any((project / "ticket").iterdir())
