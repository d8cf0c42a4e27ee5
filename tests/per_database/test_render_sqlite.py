"""SQLite renderings: native ALTER where SQLite has one, else one rebuild; run by sqlite3."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from databases import ScratchDatabase, ScriptFailed

from offline_sql import operations as o
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

PARENT = o.CreateTable(
    "p",
    items=(sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(20))),
)
CHILD = o.CreateTable(
    "c",
    items=(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("p_id", sa.Integer, sa.ForeignKey("p.id")),
    ),
)
ROWS = [
    o.BulkInsert(
        "p",
        table=sa.table("p", sa.column("id", sa.Integer), sa.column("name", sa.String)),
        rows=[{"id": 1, "name": "a"}, {"id": 2, "name": None}],
    ),
    o.BulkInsert(
        "c",
        table=sa.table("c", sa.column("id", sa.Integer), sa.column("p_id", sa.Integer)),
        rows=[{"id": 10, "p_id": 1}],
    ),
]


@pytest.fixture
def lite() -> Dialect:
    return get_dialect("sqlite")


def state_after(*ops: o.Operation) -> SchemaState:
    state = SchemaState("sqlite")
    for op in ops:
        state.apply(op)
    return state


def test_flags(lite: Dialect) -> None:
    assert lite.apply_hint == "sqlite3 -bail app.db < {file}"
    assert lite.client_preamble == (".bail on",)
    assert (lite.sqlglot_name, lite.begin_statement, lite.commit_statement) == (
        "sqlite",
        "BEGIN",
        "COMMIT",
    )


NATIVE: list[tuple[str, o.Operation, list[str]]] = [
    (
        "add_nullable",
        o.AddColumn("p", column=sa.Column("n", sa.Integer)),
        ["ALTER TABLE p ADD COLUMN n INTEGER"],
    ),
    (
        "add_not_null_constant_default",
        o.AddColumn("p", column=sa.Column("n", sa.Integer, nullable=False, server_default="0")),
        ["ALTER TABLE p ADD COLUMN n INTEGER DEFAULT '0' NOT NULL"],
    ),
    (
        "rename_column",
        o.AlterColumn("p", column_name="name", new_column_name="label"),
        ["ALTER TABLE p RENAME COLUMN name TO label"],
    ),
    ("comment_only", o.AlterColumn("p", column_name="name", comment="x"), []),
    ("rename_table", o.RenameTable("p", new_table_name="q"), ["ALTER TABLE p RENAME TO q"]),
    ("drop_free_column", o.DropColumn("p", column_name="name"), ["ALTER TABLE p DROP COLUMN name"]),
    ("table_comment", o.CreateTableComment("p", comment="x"), []),
]


@pytest.mark.parametrize(("op", "expected"), [c[1:] for c in NATIVE], ids=[c[0] for c in NATIVE])
def test_native(lite: Dialect, op: o.Operation, expected: list[str]) -> None:
    assert [s.sql for s in lite.render(op, state_after(PARENT, CHILD))] == expected


REBUILT: list[tuple[str, o.Operation]] = [
    (
        "add_not_null_no_default",
        o.AddColumn("p", column=sa.Column("n", sa.Integer, nullable=False)),
    ),
    (
        "add_expression_default",
        o.AddColumn("p", column=sa.Column("t", sa.DateTime, server_default=sa.func.now())),
    ),
    ("add_unique", o.AddColumn("p", column=sa.Column("u", sa.Integer, unique=True))),
    ("alter_type", o.AlterColumn("p", column_name="name", type_=sa.String(50))),
    ("alter_nullable", o.AlterColumn("p", column_name="name", nullable=False)),
    ("drop_pk_column", o.DropColumn("p", column_name="id")),
    ("drop_fk_column", o.DropColumn("c", column_name="p_id")),
    ("unique", o.CreateUniqueConstraint("p", constraint_name="uq", columns=("name",))),
    ("check", o.CreateCheckConstraint("p", constraint_name="ck", condition="id > 0")),
    (
        "foreign_key",
        o.CreateForeignKey(
            "p", constraint_name="fk", referent_table="p", local_cols=("id",), remote_cols=("id",)
        ),
    ),
]


@pytest.mark.parametrize("op", [c[1] for c in REBUILT], ids=[c[0] for c in REBUILT])
def test_rebuilt(lite: Dialect, op: o.TableOperation) -> None:
    sql = [s.sql for s in lite.render(op, state_after(PARENT, CHILD))]
    t = op.table_name
    assert sql[:3] == [
        "PRAGMA defer_foreign_keys = ON",
        f"CREATE TABLE _mig_old_{t} AS SELECT * FROM {t}",
        f"DROP TABLE {t}",
    ]
    assert sql[3].startswith(f"CREATE TABLE {t} (")
    assert sql[-1] == f"DROP TABLE _mig_old_{t}" or sql[-1].startswith("CREATE ")


def test_rebuild_of_unknown_table_is_an_error(lite: Dialect) -> None:
    op = o.AlterColumn(
        "ghost", column_name="a", nullable=False, origin=o.Origin("v/x.py", 3, "ae10")
    )
    with pytest.raises(RenderError, match=r"ae10.*ghost.*op.execute"):
        lite.render(op, SchemaState("sqlite"))


def test_batch_rebuilds_once(lite: Dialect) -> None:
    batch = o.BatchAlterTable(
        "p",
        operations=(
            o.AlterColumn("p", column_name="name", nullable=False, server_default="x"),
            o.AlterColumn("p", column_name="name", new_column_name="label"),
            o.AddColumn("p", column=sa.Column("n", sa.Integer, nullable=False)),
        ),
    )
    sql = [s.sql for s in lite.render(batch, state_after(PARENT, CHILD))]
    assert sum(s.startswith("DROP TABLE p") for s in sql) == 1
    assert "INSERT INTO p (id, label) SELECT id, name FROM _mig_old_p" in sql


def test_batch_of_native_operations_is_not_rebuilt(lite: Dialect) -> None:
    batch = o.BatchAlterTable(
        "p",
        operations=(
            o.AddColumn("p", column=sa.Column("n", sa.Integer)),
            o.AlterColumn("p", column_name="n", new_column_name="m"),
        ),
    )
    assert [s.sql for s in lite.render(batch, state_after(PARENT))] == [
        "ALTER TABLE p ADD COLUMN n INTEGER",
        "ALTER TABLE p RENAME COLUMN n TO m",
    ]


def test_batch_recreate_never_refuses_a_rebuild(lite: Dialect) -> None:
    batch = o.BatchAlterTable(
        "p", recreate="never", operations=(o.AlterColumn("p", column_name="name", nullable=False),)
    )
    with pytest.raises(RenderError, match="recreate='auto'"):
        lite.render(batch, state_after(PARENT))


# ---- applied with sqlite3 ---------------------------------------------------------------


def apply(dialect: Dialect, ops: list[o.Operation], database: ScratchDatabase) -> None:
    """Render ``ops`` in order into one script and run it as a DBA would, FKs enforced."""
    state = SchemaState("sqlite")
    statements: list[Statement] = []
    for op in ops:
        statements += dialect.render(op, state)
        state.apply(op)
    body = "".join(f"{s.sql};\n" for s in statements)
    database.apply_script(f".bail on\nPRAGMA foreign_keys = ON;\nBEGIN;\n{body}COMMIT;\n")


def connect(database: ScratchDatabase) -> sqlite3.Connection:
    return sqlite3.connect(str(database.url.database))


REBUILT_OPS = dict(REBUILT)

REFUSED_BY_SQLITE = {
    "add_not_null_no_default": "NOT NULL constraint failed: p.n",
    "alter_nullable": "NOT NULL constraint failed: p.name",
    "drop_pk_column": 'foreign key mismatch - "c" referencing "p"',
}
"""What sqlite3 says for the rebuilds the rows above do not allow: rows without a value,
a key that c still uses. Every other rebuild must apply."""


@pytest.mark.parametrize("case", [name for name in REBUILT_OPS if name not in REFUSED_BY_SQLITE])
def test_each_rebuild_applies_and_keeps_the_rows(
    lite: Dialect, case: str, sqlite_database: ScratchDatabase
) -> None:
    apply(lite, [PARENT, CHILD, *ROWS, REBUILT_OPS[case]], sqlite_database)
    with connect(sqlite_database) as conn:
        assert conn.execute("SELECT id FROM p ORDER BY id").fetchall() == [(1,), (2,)]
        assert conn.execute("SELECT id FROM c").fetchall() == [(10,)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize("case", REFUSED_BY_SQLITE)
def test_a_refused_rebuild_leaves_the_table_as_it_was(
    lite: Dialect, case: str, sqlite_database: ScratchDatabase
) -> None:
    """The rebuild runs inside the script's transaction: sqlite3 -bail stops, nothing stays."""
    apply(lite, [PARENT, CHILD, *ROWS], sqlite_database)
    with connect(sqlite_database) as conn:
        schema = conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    state = state_after(PARENT, CHILD, *ROWS)
    body = "".join(f"{s.sql};\n" for s in lite.render(REBUILT_OPS[case], state))
    with pytest.raises(ScriptFailed, match=REFUSED_BY_SQLITE[case]):
        sqlite_database.apply_script(
            f".bail on\nPRAGMA foreign_keys = ON;\nBEGIN;\n{body}COMMIT;\n"
        )
    with connect(sqlite_database) as conn:
        assert (
            conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() == schema
        )
        assert conn.execute("SELECT id, name FROM p ORDER BY id").fetchall() == [
            (1, "a"),
            (2, None),
        ]


def test_rebuilds_keep_rows_and_foreign_keys(
    lite: Dialect, sqlite_database: ScratchDatabase
) -> None:
    ops: list[o.Operation] = [
        PARENT,
        CHILD,
        *ROWS,
        o.AddColumn("p", column=sa.Column("n", sa.Integer, nullable=False, server_default="0")),
        o.AlterColumn("p", column_name="name", type_=sa.String(50), server_default="x"),
        o.CreateUniqueConstraint("p", constraint_name="uq_p_name", columns=("name",)),
        o.CreateCheckConstraint("p", constraint_name="ck_n", condition="n >= 0"),
        o.AlterColumn("p", column_name="n", new_column_name="m"),
        o.CreateIndex("c", index_name="ix_c_p", columns=("p_id",)),
        o.AlterColumn("c", column_name="p_id", nullable=False),
    ]
    apply(lite, ops, sqlite_database)
    with connect(sqlite_database) as conn:
        assert conn.execute("SELECT id, name, m FROM p ORDER BY id").fetchall() == [
            (1, "a", 0),
            (2, None, 0),
        ]
        assert conn.execute("SELECT id, p_id FROM c").fetchall() == [(10, 1)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = [r[1] for r in conn.execute("PRAGMA index_list(c)")]
        assert "ix_c_p" in indexes
        conn.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO c (id, p_id) VALUES (11, 99)")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO p (id, name, m) VALUES (3, 'z', -1)")


def test_sqlite_is_recent_enough(lite: Dialect) -> None:
    assert sqlite3.sqlite_version_info >= lite.minimum_version  # type: ignore[attr-defined]
