"""A run to stdout imports no sqlglot; a ticket directory, which reviews, still does.

sqlglot and the review's modules cost a first run about 60 ms and 9 MB. Only the review
and raw SQL that might need to leave the transaction parse SQL, so the dialects load their
review rules (``Dialect.review_rules``) and sqlglot's expression classes
(``outside_transaction``) when asked, not when they are defined. Each case runs in a fresh
interpreter: the test process has imported sqlglot long ago.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_probe import copy_of_example, probe

from offline_sql.dialect_api.registry import NAMES

IMPORTED = (
    "','.join(sorted(m for m in sys.modules"
    " if m == 'sqlglot' or '.review' in m and m.startswith('offline_sql')))"
)
"""The sqlglot and review modules the run imported, comma-separated."""


def _imported(project: Path, *args: str) -> set[str]:
    return set(filter(None, probe(project, IMPORTED, *args)[1].split(",")))


@pytest.mark.parametrize("name", NAMES)
def test_a_first_run_to_stdout_imports_no_sqlglot(tmp_path: Path, name: str) -> None:
    project = copy_of_example(tmp_path)
    args = ("--dialect", name, "upgrade", "head", "--sql", "--no-cache")
    assert _imported(project, *args) == set()


def test_a_ticket_directory_still_reviews_with_sqlglot(tmp_path: Path) -> None:
    project = copy_of_example(tmp_path)
    args = ("--dialect", "postgresql", "upgrade", "head", "--sql", "-o", "ticket")
    imported = _imported(project, *args)
    assert {"sqlglot", "offline_sql.review", "offline_sql.dialects.postgresql.review"} <= imported
    assert any((project / "ticket").iterdir())
