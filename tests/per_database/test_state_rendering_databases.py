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
from databases import DIALECTS, DialectName, ScratchDatabase, ScriptFailed, scratch_database
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

    def __init__(self, migrated: Snapshot, expected: Snapshot, warnings: str) -> None:
        self.migrated = migrated
        self.expected = expected
        self.warnings = warnings

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
    script, warnings = mig(config, dialect, "upgrade", "base:head", "--sql")
    with (
        scratch_database(dialect, root) as migrated,
        scratch_database(dialect, root) as expected,
    ):
        migrated.apply_script(script)
        final_models().create_all(expected.engine())
        yield Applied(
            snapshot(migrated.engine(), exclude=["mig_version"]),
            snapshot(expected.engine(), exclude=["mig_version"]),
            warnings,
        )


def test_the_history_gives_no_hint_and_mig_asks_for_none(applied: Applied) -> None:
    """The ALTERs carry no ``existing_*`` hint, and mig renders them (exit 0, checked by
    ``mig``) without a warning: the replayed state stands in for every hint."""
    assert "existing_" not in ALTER
    assert applied.warnings == ""


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


# ---- SQLite rebuilds keep every row --------------------------------------------------------

REBUILD_CREATE = """\
op.create_table(
    "parents",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(30), nullable=False),
)
op.create_table(
    "items",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parents.id"{ondelete}), nullable=False),
    sa.Column("qty", sa.Integer, nullable=False, server_default="0"),
    sa.Column("label", sa.String(50)),
    sa.Column("price", sa.Numeric(10, 2)),
    sa.Column("note", sa.Text),
    sa.Column("legacy", sa.Integer),
    sa.CheckConstraint("legacy > 0", name="ck_items_legacy"),
)
op.create_table(
    "reviews",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"{ondelete})),
    sa.Column("stars", sa.Integer),
)
parents = sa.table("parents", sa.column("id", sa.Integer), sa.column("name", sa.String))
op.bulk_insert(parents, {parents!r})
items = sa.table(
    "items",
    *(sa.column(n, t) for n, t in [
        ("id", sa.Integer()), ("parent_id", sa.Integer()), ("qty", sa.Integer()),
        ("label", sa.String()), ("price", sa.Numeric(10, 2)), ("note", sa.Text()),
        ("legacy", sa.Integer()),
    ]),
)
op.bulk_insert(items, {items!r})
reviews = sa.table(
    "reviews", sa.column("id", sa.Integer), sa.column("item_id", sa.Integer),
    sa.column("stars", sa.Integer),
)
op.bulk_insert(reviews, {reviews!r})"""

REBUILD_ALTER = """\
op.alter_column("items", "qty", type_=sa.BigInteger)
op.create_unique_constraint("uq_items_label", "items", ["label"])
op.create_check_constraint("ck_items_qty", "items", "qty >= 0")
op.drop_column("items", "legacy")
op.alter_column("parents", "name", type_=sa.String(60))"""

PARENTS = [{"id": 1, "name": "first"}, {"id": 2, "name": "zwei \u00e9\u00e8 \u2603"}]
ITEMS: list[dict[str, Any]] = [
    {
        "id": 10,
        "parent_id": 1,
        "qty": 3,
        "label": "it's",
        "price": "12.34",
        "note": "a\tb\nc %s",
        "legacy": 5,
    },
    {
        "id": 11,
        "parent_id": 1,
        "qty": 0,
        "label": None,
        "price": None,
        "note": None,
        "legacy": None,
    },
    {
        "id": 12,
        "parent_id": 2,
        "qty": 2**40,
        "label": "\u4e2d\u6587 \\ %",
        "price": "-0.50",
        "note": "",
        "legacy": 7,
    },
]
REVIEWS = [
    {"id": 100, "item_id": 10, "stars": 5},
    {"id": 101, "item_id": 12, "stars": 1},
    {"id": 102, "item_id": None, "stars": None},
]
EXPECTED_ROWS = {
    "parents": [(1, "first"), (2, "zwei \u00e9\u00e8 \u2603")],
    "items": [
        (10, 1, 3, "it's", 12.34, "a\tb\nc %s"),
        (11, 1, 0, None, None, None),
        (12, 2, 2**40, "\u4e2d\u6587 \\ %", -0.5, ""),
    ],
    "reviews": [(100, 10, 5), (101, 12, 1), (102, None, None)],
}


def rebuild_history(ondelete: str | None) -> tuple[Rev, ...]:
    # Numeric rows are given as strings in the script text; sqlite3 stores them as numbers.
    items = [{**row, "price": _decimal(row["price"])} for row in ITEMS]
    create = (
        REBUILD_CREATE.format(
            ondelete=f", ondelete={ondelete!r}" if ondelete else "",
            parents=PARENTS,
            items=items,
            reviews=REVIEWS,
        )
        .replace("'__DECIMAL__", "__import__('decimal').Decimal('")
        .replace("__DECIMAL__'", "')")
    )
    return (
        Rev("r1", None, "tables with rows", upgrade=create),
        Rev("r2", "r1", "changes sqlite rebuilds", upgrade=REBUILD_ALTER),
    )


def _decimal(value: str | None) -> str | None:
    """A marker the history text turns into ``Decimal('...')``."""
    return None if value is None else f"__DECIMAL__{value}__DECIMAL__"


def _rows(database: ScratchDatabase, table: str) -> list[tuple[Any, ...]]:
    with database.engine().connect() as connection:
        result = connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")
        return [tuple(row) for row in result]


def _sqlite_scripts(tmp_path: Path, ondelete: str | None) -> tuple[str, str]:
    """(base:r1, r1:head) offline scripts for SQLite."""
    config = make_project(
        tmp_path / "project", rebuild_history(ondelete), settings={"script_location": "migrations"}
    )
    first, _ = mig(config, "sqlite", "upgrade", "base:r1", "--sql")
    second, _ = mig(config, "sqlite", "upgrade", "r1:head", "--sql")
    return first, second


FOREIGN_KEYS_ON = "PRAGMA foreign_keys = ON;\n"
"""How a DBA whose sqlite3 enforces foreign keys (.sqliterc) runs the scripts."""


@pytest.mark.parametrize("foreign_keys", ["", FOREIGN_KEYS_ON], ids=["sqlite3-default", "fk-on"])
@pytest.mark.parametrize("ondelete", [None, "RESTRICT", "NO ACTION"])
def test_sqlite_rebuilds_keep_every_row(
    sqlite_database: ScratchDatabase, tmp_path: Path, ondelete: str | None, foreign_keys: str
) -> None:
    first, second = _sqlite_scripts(tmp_path, ondelete)
    assert second.count("CREATE TABLE _mig_old_items AS SELECT") == 4
    assert second.count("CREATE TABLE _mig_old_parents AS SELECT") == 1
    sqlite_database.apply_script(foreign_keys + first)
    sqlite_database.apply_script(foreign_keys + second)
    for table, rows in EXPECTED_ROWS.items():
        assert _rows(sqlite_database, table) == rows, table


@pytest.mark.parametrize("ondelete", ["CASCADE", "SET NULL"])
def test_sqlite_rebuild_with_delete_actions_keeps_every_row_with_sqlite3_defaults(
    sqlite_database: ScratchDatabase, tmp_path: Path, ondelete: str
) -> None:
    first, second = _sqlite_scripts(tmp_path, ondelete)
    sqlite_database.apply_script(first)
    sqlite_database.apply_script(second)
    for table, rows in EXPECTED_ROWS.items():
        assert _rows(sqlite_database, table) == rows, table


@pytest.mark.parametrize("ondelete", ["CASCADE", "SET NULL"])
def test_sqlite_rebuild_refuses_to_run_delete_actions_when_foreign_keys_are_on(
    sqlite_database: ScratchDatabase, tmp_path: Path, ondelete: str
) -> None:
    """DROP TABLE runs ON DELETE actions even with checks deferred: the script stops
    before any change instead of deleting or blanking the children's rows."""
    first, second = _sqlite_scripts(tmp_path, ondelete)
    sqlite_database.apply_script(FOREIGN_KEYS_ON + first)
    with pytest.raises(ScriptFailed, match=r"mig: rebuilding items with foreign keys on") as info:
        sqlite_database.apply_script(FOREIGN_KEYS_ON + second)
    assert f"reviews (ON DELETE {ondelete})" in str(info.value)
    assert "PRAGMA foreign_keys = OFF" in str(info.value)
    for table, rows in EXPECTED_ROWS.items():
        before = [row[:-1] if table == "items" else row for row in _rows(sqlite_database, table)]
        assert before == rows, table
    with sqlite_database.engine().connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM mig_version").all() == [("r1",)]


BAD_ROWS = {
    "review of a missing item": (
        "INSERT INTO reviews (id, item_id, stars) VALUES (900, 999, 1)",
        "FOREIGN KEY constraint failed",
    ),
    "item of a missing parent": (
        "INSERT INTO items (id, parent_id, qty) VALUES (900, 999, 1)",
        "FOREIGN KEY constraint failed",
    ),
    "duplicate label": (
        "INSERT INTO items (id, parent_id, qty, label) VALUES (900, 1, 1, 'it''s')",
        "UNIQUE constraint failed: items.label",
    ),
    "negative qty": (
        "INSERT INTO items (id, parent_id, qty) VALUES (900, 1, -1)",
        "CHECK constraint failed: ck_items_qty",
    ),
    "missing name": ("INSERT INTO parents (id) VALUES (900)", "NOT NULL constraint failed"),
}


@pytest.fixture
def rebuilt(sqlite_database: ScratchDatabase, tmp_path: Path) -> ScratchDatabase:
    """The CASCADE history applied with sqlite3's defaults."""
    first, second = _sqlite_scripts(tmp_path, "CASCADE")
    sqlite_database.apply_script(first + second)
    return sqlite_database


@pytest.mark.parametrize(("sql", "error"), list(BAD_ROWS.values()), ids=list(BAD_ROWS))
def test_constraints_still_enforce_after_the_rebuilds(
    rebuilt: ScratchDatabase, sql: str, error: str
) -> None:
    with pytest.raises(ScriptFailed, match=error):
        rebuilt.apply_script(f"PRAGMA foreign_keys = ON;\n{sql};\n")
    assert _rows(rebuilt, "items") == EXPECTED_ROWS["items"]


def test_rebuilt_database_is_consistent(rebuilt: ScratchDatabase) -> None:
    done = rebuilt.apply_script(
        "PRAGMA foreign_keys = ON;\nPRAGMA integrity_check;\nPRAGMA foreign_key_check;\n"
        "SELECT name FROM sqlite_master WHERE name LIKE '%mig_old%' OR name LIKE 'mig_foreign%';\n"
    )
    assert done.stdout == "ok\n"


def test_cascade_still_runs_after_the_rebuilds(rebuilt: ScratchDatabase) -> None:
    rebuilt.apply_script("PRAGMA foreign_keys = ON;\nDELETE FROM parents WHERE id = 2;\n")
    assert [row[0] for row in _rows(rebuilt, "items")] == [10, 11]
    assert [row[0] for row in _rows(rebuilt, "reviews")] == [100, 102]


# ---- PostgreSQL enums follow the tables that use them -------------------------------------

ENUM = 'sa.Enum("open", "closed", name="ticket_state")'
ENUM_HISTORY = (
    Rev(
        "e1",
        None,
        "tickets",
        upgrade=f'op.create_table("tickets", sa.Column("id", sa.Integer, primary_key=True),'
        f' sa.Column("state", {ENUM}, nullable=False))',
        downgrade='op.drop_table("tickets")\nop.execute("DROP TYPE ticket_state")',
    ),
    Rev(
        "e2",
        "e1",
        "two more tables with the same enum",
        upgrade=f'op.create_table("archive", sa.Column("id", sa.Integer, primary_key=True),'
        f' sa.Column("state", {ENUM}))\n'
        f'op.create_table("archive2", sa.Column("id", sa.Integer, primary_key=True),'
        f' sa.Column("state", {ENUM}))',
        downgrade='op.drop_table("archive2")\nop.drop_table("archive")',
    ),
    Rev(
        "e3",
        "e2",
        "drop all but one",
        upgrade='op.drop_table("tickets")\nop.drop_table("archive2")',
    ),
    Rev(
        "e4",
        "e3",
        "drop the last user, then the type",
        upgrade='op.drop_table("archive")\nop.execute("DROP TYPE ticket_state")',
    ),
)


def _types(database: ScratchDatabase) -> str:
    """What ``\\dT`` prints (user-defined types in the search path)."""
    done = database.apply_script("\\dT\n")
    return done.stdout + done.stderr


@pytest.fixture
def enum_project(tmp_path: Path) -> Path:
    return make_project(
        tmp_path / "project", ENUM_HISTORY, settings={"script_location": "migrations"}
    )


@pytest.mark.postgresql
def test_enum_is_created_once_and_dropped_when_the_script_says_so(
    postgresql_database: ScratchDatabase, enum_project: Path
) -> None:
    steps = {"base:e1": True, "e1:e2": True, "e2:e3": True, "e3:e4": False}
    scripts = {rng: mig(enum_project, "postgresql", "upgrade", rng, "--sql")[0] for rng in steps}
    assert sum(s.count("CREATE TYPE ticket_state") for s in scripts.values()) == 1
    assert "DROP TYPE" not in scripts["e2:e3"]
    assert "DROP TYPE ticket_state" in scripts["e3:e4"]
    for rng, type_exists in steps.items():
        postgresql_database.apply_script(scripts[rng])
        assert ("ticket_state" in _types(postgresql_database)) is type_exists, rng
    assert "(0 rows)" in _types(postgresql_database)


@pytest.mark.postgresql
def test_enum_downgrade_drops_the_type_once_as_the_script_says(
    postgresql_database: ScratchDatabase, enum_project: Path
) -> None:
    up, _ = mig(enum_project, "postgresql", "upgrade", "base:e2", "--sql")
    down, _ = mig(enum_project, "postgresql", "downgrade", "e2:base", "--sql")
    postgresql_database.apply_script(up)
    postgresql_database.apply_script(down)
    assert down.count("DROP TYPE ticket_state") == 1
    assert "(0 rows)" in _types(postgresql_database)
    assert snapshot(postgresql_database.engine())["tables"].keys() == {"mig_version"}


# ---- MariaDB: an index a foreign key needs ------------------------------------------------

FK_INDEX = Rev(
    "f1",
    None,
    "parents and children",
    upgrade="""\
op.create_table("parents", sa.Column("id", sa.Integer, primary_key=True))
op.create_table(
    "children",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, nullable=False),
)
op.create_index("ix_children_parent", "children", ["parent_id"])
op.create_foreign_key("fk_children_parent", "children", "parents", ["parent_id"], ["id"])""",
    downgrade="""\
op.drop_index("ix_children_parent", table_name="children")
op.drop_table("children")
op.drop_table("parents")""",
)
DROP_FK_INDEX = Rev(
    "f2",
    "f1",
    "drop the index only",
    upgrade='op.drop_index("ix_children_parent", table_name="children")',
)


@pytest.mark.mysql
def test_downgrade_dropping_an_index_a_foreign_key_needs_then_the_table(
    mariadb_database: ScratchDatabase, tmp_path: Path
) -> None:
    config = make_project(
        tmp_path / "project", (FK_INDEX,), settings={"script_location": "migrations"}
    )
    up, _ = mig(config, "mariadb", "upgrade", "base:f1", "--sql")
    down, _ = mig(config, "mariadb", "downgrade", "f1:base", "--sql")
    mariadb_database.apply_script(up)
    mariadb_database.apply_script(down)
    found = snapshot(mariadb_database.engine())
    assert found["tables"].keys() == {"mig_version"}
    assert found["versions"] == []


@pytest.mark.mysql
def test_dropping_an_index_a_foreign_key_needs_keeps_the_foreign_key(
    mariadb_database: ScratchDatabase, tmp_path: Path
) -> None:
    config = make_project(
        tmp_path / "project", (FK_INDEX, DROP_FK_INDEX), settings={"script_location": "migrations"}
    )
    script, _ = mig(config, "mariadb", "upgrade", "base:head", "--sql")
    mariadb_database.apply_script(script)
    children = snapshot(mariadb_database.engine())["tables"]["children"]
    assert "ix_children_parent" not in children["indexes"]
    assert list(children["foreign_keys"]) == ["(parent_id) -> parents(id)"]
    with pytest.raises(ScriptFailed, match="foreign key constraint fails"):
        mariadb_database.apply_script("INSERT INTO children (id, parent_id) VALUES (1, 999);\n")


# ---- SQL Server default constraints (golden/mssql_defaults) -------------------------------

MSSQL_GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "mssql_defaults" / "mssql.sql"
DEFAULT_LOOKUP = (
    "SELECT @name = dc.name FROM sys.default_constraints AS dc JOIN sys.columns AS c"
    " ON c.object_id = dc.parent_object_id AND c.column_id = dc.parent_column_id"
    " WHERE dc.parent_object_id = OBJECT_ID(N'[orders]') AND c.name = N'{column}';"
)


DROP_FOUND = [
    "IF @name IS NOT NULL",
    "BEGIN",
    "  SET @sql = N'ALTER TABLE orders DROP CONSTRAINT ' + QUOTENAME(@name);",
    "  EXEC sp_executesql @sql;",
    "END;",
]
"""EXEC (...) takes only variables and literals: the statement is built in @sql."""


def _after_lookup(column: str) -> list[str]:
    """The statements following the default-constraint lookup of ``column``, up to the
    next lookup or the version update."""
    text = MSSQL_GOLDEN.read_text(encoding="utf-8")
    lookup = DEFAULT_LOOKUP.format(column=column)
    assert text.count(lookup) == 1, f"no sys.default_constraints lookup for {column}"
    rest = text.split(lookup, 1)[1]
    rest = rest.split("DECLARE @name sysname, @sql nvarchar(max);", 1)[0]
    rest = rest.split("UPDATE mig_version", 1)[0]
    return [line for line in rest.splitlines() if line and line != "GO" and line[:2] != "--"]


@pytest.mark.parametrize(
    ("column", "statements"),
    [
        (
            "legacy_flag",
            [
                *DROP_FOUND,
                "ALTER TABLE orders DROP COLUMN legacy_flag;",
            ],
        ),
        (
            "status",
            [
                *DROP_FOUND,
                "ALTER TABLE orders ADD CONSTRAINT [DF_orders_status] DEFAULT 'open' FOR status;",
            ],
        ),
        (
            "amount",
            [
                *DROP_FOUND,
                "ALTER TABLE orders ALTER COLUMN amount NUMERIC(12, 2) NOT NULL;",
                "ALTER TABLE orders ADD CONSTRAINT [DF_orders_amount] DEFAULT '0' FOR amount;",
            ],
        ),
    ],
)
def test_mssql_golden_finds_default_constraints_by_lookup(
    column: str, statements: list[str]
) -> None:
    """Dropping a column with a default, changing a default and changing the type of a NOT
    NULL column with a default: each drops the unnamed constraint found in
    sys.default_constraints first; the type change keeps NOT NULL and puts the default back."""
    assert _after_lookup(column) == statements
