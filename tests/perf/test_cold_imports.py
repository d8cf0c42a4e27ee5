"""A run to stdout imports no sqlglot; nor does a ticket directory's, whose review parses
its statements in a child process (``offline_sql.review_child``): the parent imports the
review's modules for the rules about the steps' flags, which need no parser
(``offline_sql.review.lazy``). Where mig does not fork, the parent parses, and imports it.

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

import re
from pathlib import Path

import pytest
from cli_probe import copy_of_example, probe

from offline_sql.dialect_api.registry import NAMES

IMPORTED = (
    "','.join(sorted(m for m in sys.modules"
    " if m == 'sqlglot' or '.review' in m and m.startswith('offline_sql')))"
)
"""The sqlglot and review modules the run imported, comma-separated."""


def _imported(project: Path, *args: str, before: str = "") -> set[str]:
    return set(filter(None, probe(project, IMPORTED, *args, before=before)[1].split(",")))


@pytest.mark.parametrize("name", NAMES)
def test_a_first_run_to_stdout_imports_no_sqlglot(tmp_path: Path, name: str) -> None:
    project = copy_of_example(tmp_path)
    args = ("--dialect", name, "upgrade", "head", "--sql", "--no-cache")
    assert _imported(project, *args) == set()


NO_FORK = "import offline_sql.review_child as child; child.can_fork = lambda: False"
FORK = "import offline_sql.review_child as child; child.can_fork = lambda: True"


@pytest.mark.parametrize("name", ["postgresql", "mysql", "sqlite"])
def test_a_ticket_directory_is_parsed_in_the_child(tmp_path: Path, name: str) -> None:
    project = copy_of_example(tmp_path)
    args = ("--dialect", name, "upgrade", "head", "--sql", "-o", "ticket")
    imported = _imported(project, *args, before=FORK)
    assert {"offline_sql.review", "offline_sql.review.rules"} <= imported
    assert "sqlglot" not in imported
    review = (project / "ticket" / "REVIEW.md").read_text()
    assert re.search(r"Statements: [1-9]\d* create", review), review  # parsed and classified


def test_without_the_child_the_parent_parses(tmp_path: Path) -> None:
    project = copy_of_example(tmp_path)
    args = ("--dialect", "postgresql", "upgrade", "head", "--sql", "-o", "ticket")
    imported = _imported(project, *args, before=NO_FORK)
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
