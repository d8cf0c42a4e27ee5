"""The replayed schema state on real databases: ALTERs written without ``existing_*`` hints
keep every attribute the script did not mention.

One history (create two tables with NOT NULL columns, defaults, comments, an index, a unique
constraint and a foreign key; then change a type, a nullability and a default, rename the
indexed, unique and foreign-key columns and comment a column, all without hints) is rendered
offline for each database, applied with the database's own client, and reflected. The result
must equal a database built by ``metadata.create_all`` from the models the history describes,
and each kept attribute is also checked on its own so a failure says which one was lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import DIALECTS, DialectName, ScratchDatabase, scratch_database
from helpers import Rev, make_project
from reflection import Snapshot, diff, snapshot

from offline_sql.cli import cli

CREATE = """\
op.create_table(
    "authors",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)
op.create_table(
    "books",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(20), nullable=False, server_default="none", comment="the code"),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("price", sa.Numeric(8, 2), nullable=False, server_default="0"),
    sa.Column("weight", sa.Integer),
    sa.Column(
        "author_id",
        sa.Integer,
        sa.ForeignKey("authors.id", name="fk_books_author", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("isbn", sa.String(20), nullable=False),
    sa.Column("notes", sa.String(200)),
    sa.UniqueConstraint("isbn", name="uq_books_isbn"),
)
op.create_index("ix_books_title", "books", ["title"])"""

ALTER = """\
op.alter_column("books", "code", type_=sa.String(40))
op.alter_column("books", "weight", nullable=False, server_default="0")
op.alter_column("books", "price", server_default="1.00")
op.alter_column("books", "title", new_column_name="name")
op.alter_column("books", "isbn", new_column_name="isbn13")
op.alter_column("books", "author_id", new_column_name="writer_id")
op.alter_column("books", "notes", comment="free text")"""

HISTORY = (
    Rev("a1", None, "create books", upgrade=CREATE),
    Rev("a2", "a1", "alter without hints", upgrade=ALTER),
)


def final_models() -> sa.MetaData:
    """What the history describes at its head, written as models."""
    metadata = sa.MetaData()
    sa.Table(
        "authors",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )
    sa.Table(
        "books",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, server_default="none", comment="the code"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("price", sa.Numeric(8, 2), nullable=False, server_default="1.00"),
        sa.Column("weight", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "writer_id",
            sa.Integer,
            sa.ForeignKey("authors.id", name="fk_books_author", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("isbn13", sa.String(20), nullable=False),
        sa.Column("notes", sa.String(200), comment="free text"),
        sa.UniqueConstraint("isbn13", name="uq_books_isbn"),
        sa.Index("ix_books_title", "name"),
    )
    return metadata


def mig(config: Path, dialect: str, *args: str) -> tuple[str, str]:
    """Run ``mig --dialect DIALECT ARGS`` in-process: (stdout, stderr); exit 0 expected."""
    result = CliRunner().invoke(cli, ["-c", str(config), "--dialect", dialect, *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout, result.stderr


class Applied:
    """The history applied offline to one database, and the models built on another."""

    def __init__(self, migrated: Snapshot, expected: Snapshot, script: str) -> None:
        self.migrated = migrated
        self.expected = expected
        self.script = script

    def column(self, name: str) -> dict[str, Any]:
        columns: dict[str, Any] = self.migrated["tables"]["books"]["columns"]
        return dict(columns[name])

    @property
    def books(self) -> dict[str, Any]:
        return dict(self.migrated["tables"]["books"])


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(
            name,
            id=name,
            marks={"postgresql": [pytest.mark.postgresql], "mariadb": [pytest.mark.mysql]}.get(
                name, []
            ),
        )
        for name in DIALECTS
    ],
)
def applied(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Applied]:
    dialect: DialectName = request.param
    root = tmp_path_factory.mktemp(f"hintless_{dialect}")
    config = make_project(root / "project", HISTORY, settings={"script_location": "migrations"})
    script, _ = mig(config, dialect, "upgrade", "base:head", "--sql")
    with (
        scratch_database(dialect, root) as migrated,
        scratch_database(dialect, root) as expected,
    ):
        migrated.apply_script(script)
        final_models().create_all(expected.engine())
        yield Applied(
            snapshot(migrated.engine(), exclude=["mig_version"]),
            snapshot(expected.engine(), exclude=["mig_version"]),
            script,
        )


def test_the_script_names_no_hint_and_needs_none(applied: Applied) -> None:
    assert "existing_" not in applied.script


def test_migrated_database_equals_the_models(applied: Applied) -> None:
    assert applied.migrated["versions"] == ["a2"]
    migrated = {**applied.migrated, "versions": None}
    assert diff(migrated, applied.expected, labels=("migrated", "models")) == []


def test_type_change_keeps_not_null_default_and_comment(applied: Applied) -> None:
    code = applied.column("code")
    assert code["type"] == applied.expected["tables"]["books"]["columns"]["code"]["type"]
    assert "40" in code["type"]
    assert code["nullable"] is False
    assert "none" in str(code["default"])
    if applied.expected["tables"]["books"]["columns"]["code"]["comment"] is not None:
        assert code["comment"] == "the code"


def test_nullability_change_keeps_type(applied: Applied) -> None:
    weight = applied.column("weight")
    assert weight["nullable"] is False
    assert "0" in str(weight["default"])
    assert "INT" in weight["type"]


def test_default_change_keeps_type_and_not_null(applied: Applied) -> None:
    price = applied.column("price")
    assert price["nullable"] is False
    assert "1.00" in str(price["default"])
    assert "8, 2" in price["type"] or "8,2" in price["type"]


@pytest.mark.parametrize("column", ["name", "isbn13", "writer_id"])
def test_renamed_columns_keep_type_and_not_null(applied: Applied, column: str) -> None:
    assert applied.column(column) == applied.expected["tables"]["books"]["columns"][column]
    assert applied.column(column)["nullable"] is False


def test_index_follows_the_renamed_column(applied: Applied) -> None:
    assert applied.books["indexes"]["ix_books_title"]["columns"] == ["name"]


def test_unique_follows_the_renamed_column(applied: Applied) -> None:
    assert "(isbn13)" in applied.books["unique_constraints"]


def test_foreign_key_follows_the_renamed_column(applied: Applied) -> None:
    fk = applied.books["foreign_keys"]["(writer_id) -> authors(id)"]
    assert fk["name"] in ("fk_books_author", None)  # SQLite reports no names
    assert fk["ondelete"] == "CASCADE"


def test_column_order_is_kept(applied: Applied) -> None:
    assert applied.books["column_order"] == [
        "id",
        "code",
        "name",
        "price",
        "weight",
        "writer_id",
        "isbn13",
        "notes",
    ]


# ---- a hint that contradicts the state -----------------------------------------------------

CONTRADICTING = """\
op.alter_column(
    "books",
    "code",
    type_=sa.String(60),
    existing_nullable=True,
    existing_server_default="other",
)"""


def test_contradicting_hint_warns_with_script_and_line_and_state_wins(
    mariadb_database: ScratchDatabase, tmp_path: Path
) -> None:
    history = (*HISTORY, Rev("a3", "a2", "contradicting hint", upgrade=CONTRADICTING))
    config = make_project(tmp_path / "project", history, settings={"script_location": "migrations"})
    script, warnings = mig(config, "mariadb", "upgrade", "base:head", "--sql")
    lines = warnings.splitlines()
    assert len(lines) == 2, warnings
    script_path = config.parent / "migrations" / "versions" / history[-1].filename
    where = f"{script_path}:{_first_line_of_upgrade(script_path)} (revision a3)"
    for hint, text in zip(
        lines, ("existing_nullable=True", "existing_server_default='other'"), strict=True
    ):
        assert hint.startswith("mig: warning: "), hint
        assert where in hint, hint
        assert text in hint and "contradicts" in hint, hint
    mariadb_database.apply_script(script)
    code = snapshot(mariadb_database.engine())["tables"]["books"]["columns"]["code"]
    assert code["nullable"] is False  # the state, not the hint
    assert code["default"] == "'none'"
    assert code["comment"] == "the code"
    assert code["type"] == "VARCHAR(60)"


def _first_line_of_upgrade(path: Path) -> int:
    """The line of the first statement in ``upgrade()``: where the recorder says the
    operation comes from."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("def upgrade() -> None:")
    return start + 2
