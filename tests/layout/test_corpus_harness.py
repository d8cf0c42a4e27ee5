"""The corpus harness (``benchmarks/corpus.py``, issue 12) on a tiny local history.

Nothing is downloaded: the harness's rewrites, header reading, error lines and report are
checked directly, and one whole comparison (mig offline with ``sqlite3`` versus Alembic
online, upgrade and downgrade) runs on a four-revision history written here, and again
without its third revision, which reads the database: the case the corpus meets most.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import DialectName, ScratchDatabase, scratch_database

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the repository's benchmarks/ package (not installed)

from benchmarks import corpus  # noqa: E402

FIRST = '''\
"""create owners"""
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = None


def upgrade():
    op.create_table(
        "owners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
    )


def downgrade():
    op.drop_table("owners")
'''

SECOND = '''\
"""add pets"""
from alembic import op
import sqlalchemy as sa

revision: str = "b2"
down_revision: str = "a1"


def upgrade():
    op.create_table(
        "pets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id", ondelete="CASCADE")),
    )
    op.create_index("ix_pets_owner", "pets", ["owner_id"])


def downgrade():
    op.drop_index("ix_pets_owner", "pets")
    op.drop_table("pets")
'''

READS = '''\
"""refuse to run on bad data (reads the database)"""
from alembic import context
import sqlalchemy as sa

revision = "c3"
down_revision = "b2"


def upgrade():
    connection = context.get_bind()
    if connection.scalar(sa.text("SELECT count(*) FROM pets WHERE owner_id IS NULL")):
        raise Exception("pets without owner")


def downgrade():
    pass
'''


LAST = '''\
"""pets get a name"""
from alembic import op
import sqlalchemy as sa

revision = "d4"
down_revision = "c3"


def upgrade():
    op.add_column("pets", sa.Column("name", sa.String(30), server_default="rex"))


def downgrade():
    op.drop_column("pets", "name")
'''


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    folder = tmp_path / "versions"
    folder.mkdir()
    scripts = {"a1_o.py": FIRST, "b2_p.py": SECOND, "c3_c.py": READS, "d4_n.py": LAST}
    for name, text in scripts.items():
        (folder / name).write_text(text)
    return folder


def test_scripts_are_copied_unmodified() -> None:
    """mig runs `from alembic import op/context` itself (issue 15): no rewrite is applied."""
    counts: dict[str, int] = {}
    text = (
        "from alembic import op\nfrom alembic import context\n"
        "def f():\n    from alembic import context, op\n"
    )
    assert corpus.rewrite_script(text, counts) == text
    assert counts == {}


def test_headers_and_failed_revision(versions: Path) -> None:
    headers = corpus.read_headers(versions)
    assert headers == {"a1": (), "b2": ("a1",), "c3": ("b2",), "d4": ("c3",)}
    message = "mig: error: revision c3 (migrations/versions/c3_check.py:11): upgrade() raised"
    assert corpus._failed_revision(message, headers) == "c3"
    assert corpus._failed_revision("mig: error: revision zz failed", headers) is None
    assert corpus.resolve("head", headers) == "d4"
    assert corpus.without_downgrade(versions) == set()
    assert corpus.downgrade_floor("head", headers, {"b2"}) == "b2"
    assert corpus.downgrade_floor("head", headers, {"d4"}) == "d4"
    assert corpus.downgrade_floor("b2", headers, {"c3"}) == "base"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("noise\nmig: error: bad thing\n", "mig: error: bad thing"),
        (
            "NOTICE: n\nERROR 1170 (42000) at line 5: no\n",
            "ERROR 1170 (42000) at line 5: no",
        ),
        (
            "Traceback (most recent call last):\n  File x\nsqlalchemy.exc.OperationalError: (x) y\n"
            "(Background on this error at: https://sqlalche.me/e/21/e3q8)\n",
            "sqlalchemy.exc.OperationalError: (x) y",
        ),
        ("", "(no output)"),
    ],
)
def test_first_error_line(output: str, expected: str) -> None:
    assert corpus.first_error_line(output) == expected


def test_report_table_notes_and_differences() -> None:
    history = corpus.History("tiny", "tiny-dist", "1.0", "tiny/versions")
    results = {
        "tiny": {
            "postgresql": corpus.Outcome("equal", downgrade="equal"),
            "sqlite": corpus.Outcome(
                "differ",
                ["mig upgrade head: mig: error: x"],
                ["table t: only in mig offline"],
                target="b2",
            ),
        }
    }
    text = corpus.report(
        results,
        [history],
        {"tiny": {"`from alembic import op`": 2}},
        ["postgresql", "mariadb", "sqlite"],
    )
    lines = text.splitlines()
    assert lines[0] == "| history | postgresql | mariadb | sqlite |"
    assert lines[2] == "| tiny 1.0 | equal; downgrade: equal | not run | 1 diff(s) up to b2 |"
    assert "- tiny on sqlite: mig upgrade head: mig: error: x" in lines
    assert "- table t: only in mig offline" in lines
    assert "- tiny: rewrites: `from alembic import op` x2. Shims: none." in lines


@pytest.mark.skipif(importlib.util.find_spec("alembic") is None, reason="alembic not installed")
def test_compare_tiny_history_on_sqlite(versions: Path, tmp_path: Path) -> None:
    @contextlib.contextmanager
    def databases(dialect: DialectName) -> Iterator[ScratchDatabase]:
        with scratch_database(dialect, tmp_path) as database:
            yield database

    history = corpus.History("tiny", "tiny-dist", "1.0", "tiny/versions")
    counts: dict[str, int] = {}
    outcome = corpus.compare_history(history, versions, "sqlite", databases, counts=counts)
    # c3 reads data: mig refuses it inside the range; Alembic runs it on both databases and
    # mig goes on from it: `c3:head` replays c3 (already applied) with its read answered as
    # on empty tables (docs/corpus.md F3), so both reach head.
    assert (outcome.status, outcome.target, outcome.diffs) == ("equal", "head", [])
    assert outcome.stepped == ["c3"]
    assert outcome.notes[0].startswith("mig upgrade head: mig: error: ")
    assert "(revision c3): op.get_bind().scalar needs a database" in outcome.notes[0]
    assert outcome.notes[1:] == ["c3: run by Alembic online on both databases"]
    # c3's downgrade() is empty: mig's downgrade script undoes d4..a1.
    assert (outcome.downgrade, outcome.downgrade_diffs) == ("equal", [])
    assert outcome.cell() == "equal (1 stepped over); downgrade: equal"
    assert counts == {}  # mig ran the unmodified `from alembic import op/context` scripts


@pytest.mark.skipif(importlib.util.find_spec("alembic") is None, reason="alembic not installed")
def test_compare_upgrade_and_downgrade_on_sqlite(versions: Path, tmp_path: Path) -> None:
    (versions / "c3_c.py").unlink()
    (versions / "d4_n.py").write_text(LAST.replace('"c3"', '"b2"'))

    @contextlib.contextmanager
    def databases(dialect: DialectName) -> Iterator[ScratchDatabase]:
        with scratch_database(dialect, tmp_path) as database:
            yield database

    history = corpus.History("tiny", "tiny-dist", "1.0", "tiny/versions")
    outcome = corpus.compare_history(history, versions, "sqlite", databases)
    assert (outcome.status, outcome.target, outcome.diffs, outcome.notes) == (
        "equal",
        "head",
        [],
        [],
    )
    assert (outcome.downgrade, outcome.downgrade_diffs) == ("equal", [])
    assert outcome.cell() == "equal; downgrade: equal"


def test_document_keeps_the_hand_written_part(tmp_path: Path) -> None:
    history = corpus.History("tiny", "tiny-dist", "1.0", "tiny/versions")
    path = tmp_path / "corpus.md"
    corpus.write_document(path, "| first |\n", [history])
    first = path.read_text()
    assert first.startswith("# Corpus: ")
    assert "tiny-dist 1.0" in first
    assert first.endswith("| first |\n" + corpus.KEPT_MARKER + "\n")
    path.write_text(first + "## Findings\n\nby hand\n")
    corpus.write_document(path, "| second |\n", [history])
    second = path.read_text()
    assert "| first |" not in second
    assert second.endswith("| second |\n\n" + corpus.KEPT_MARKER + "\n## Findings\n\nby hand\n")
