"""A run to stdout imports no sqlglot; a ticket directory, which reviews, still does.

sqlglot and the review's modules cost a first run about 60 ms and 9 MB. Only the review
and raw SQL that might need to leave the transaction parse SQL, so the dialects load their
review rules (``Dialect.review_rules``) and sqlglot's expression classes
(``outside_transaction``) when asked, not when they are defined. Each case runs in a fresh
interpreter: the test process has imported sqlglot long ago.

Nor does raw SQL given as a SQLAlchemy statement (``table.update()``, the data migrations of
many real histories): it changes no table's structure, so the replay does not import its
SQL reader (``offline_sql.rawsql``, and sqlglot with it: a tenth of a first run of ironic's
81 revisions); SQL text is still read.
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


SCRIPT = '''"""touch the labels

Revision ID: 4d5e6f7a8b9c
Revises: 3c4d5e6f7a8b
"""

import sqlalchemy as sa

from offline_sql import op

revision = "4d5e6f7a8b9c"
down_revision = "3c4d5e6f7a8b"
branch_labels = None
depends_on = None

statuses = sa.table("order_statuses", sa.column("label", sa.String))


def upgrade() -> None:
    op.execute({statement})


def downgrade() -> None:
    pass
'''


@pytest.mark.parametrize(
    ("statement", "reads_text"),
    [
        ("statuses.update().values(label='x')", False),
        ("\"UPDATE order_statuses SET label = 'x'\"", True),
    ],
    ids=["sqlalchemy-statement", "sql-text"],
)
def test_sqlglot_is_imported_for_sql_text_only(
    tmp_path: Path, statement: str, reads_text: bool
) -> None:
    project = copy_of_example(tmp_path)
    versions = project / "migrations" / "versions"
    text = SCRIPT.replace("{statement}", statement)
    (versions / "4d5e6f7a8b9c_touch_the_labels.py").write_text(text, encoding="utf-8")
    args = ("--dialect", "postgresql", "upgrade", "head", "--sql")
    script, imported = probe(project, "'sqlglot' in sys.modules", *args)
    assert "UPDATE order_statuses SET label=" in script.replace("label = ", "label=")
    assert imported == str(reads_text)
