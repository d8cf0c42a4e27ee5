"""The base dialect's dispatch, generic renderings and version-table statements."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from offline_sql import operations as o
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState

ORIGIN = o.Origin("versions/ae10_x.py", 7, "ae10")


@pytest.fixture
def pg() -> Dialect:
    return get_dialect("postgresql")


def test_dispatch_covers_every_operation(pg: Dialect) -> None:
    assert set(pg.renderers()) == set(o.ALL_OPERATIONS)


def test_unknown_operation_is_a_render_error(pg: Dialect) -> None:
    class Strange(o.Operation):
        pass

    with pytest.raises(RenderError, match="no rendering for Strange"):
        pg.render(Strange(origin=ORIGIN), SchemaState())


ITEMS = sa.table("t", sa.column("a", sa.Integer), sa.column("b", sa.String))

CASES: list[tuple[o.Operation, list[str]]] = [
    (o.RenameTable("t", new_table_name="u"), ["ALTER TABLE t RENAME TO u"]),
    (o.DropTable("t", schema="s", if_exists=True), ["DROP TABLE IF EXISTS s.t"]),
    (o.DropColumn("t", column_name="c"), ["ALTER TABLE t DROP COLUMN c"]),
    (
        o.CreatePrimaryKey("t", constraint_name="pk_t", columns=("a", "b")),
        ["ALTER TABLE t ADD CONSTRAINT pk_t PRIMARY KEY (a, b)"],
    ),
    (
        o.CreateCheckConstraint("t", constraint_name="ck", condition="a > 0"),
        ["ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0)"],
    ),
    (o.DropConstraint("t", constraint_name="ck"), ["ALTER TABLE t DROP CONSTRAINT ck"]),
    (
        o.Execute(sqltext="UPDATE t SET b = :v WHERE b LIKE '50%'", parameters={"v": "x\ty"}),
        ["UPDATE t SET b = 'x\ty' WHERE b LIKE '50%'"],
    ),
    (
        o.BulkInsert("t", table=ITEMS, rows=[{"a": 1, "b": "x"}, {"a": 2, "b": "it's"}]),
        ["INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'it''s')"],
    ),
    (
        o.BulkInsert("t", table=ITEMS, rows=[{"a": 1, "b": "x"}], multiinsert=False),
        ["INSERT INTO t (a, b) VALUES (1, 'x')"],
    ),
    (
        o.BulkInsert("t", table=ITEMS, rows=[{"a": 1}, {"a": 2, "b": "y"}]),
        ["INSERT INTO t (a) VALUES (1)", "INSERT INTO t (a, b) VALUES (2, 'y')"],
    ),
]


@pytest.mark.parametrize(("op", "expected"), CASES, ids=lambda v: type(v).__name__)
def test_generic_sql(pg: Dialect, op: o.Operation, expected: list[str]) -> None:
    assert [s.sql for s in pg.render(op, SchemaState())] == expected


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("CREATE TABLE q (a int)", "ddl"),
        ("-- note\nALTER TABLE q ADD b int", "ddl"),
        ("DELETE FROM q", "dml"),
    ],
)
def test_execute_kind(pg: Dialect, sql: str, kind: str) -> None:
    [statement] = pg.render(o.Execute(sqltext=sql), SchemaState())
    assert statement.kind == kind


def test_unbound_parameter_is_an_error_naming_the_revision(pg: Dialect) -> None:
    op = o.Execute(sqltext="UPDATE t SET a = :missing", origin=ORIGIN)
    with pytest.raises(RenderError, match=r"ae10.*:missing.*parameters="):
        pg.render(op, SchemaState())


VALUE_FAULTS: dict[str, o.Operation] = {
    "literal": o.BulkInsert("t", table=ITEMS, rows=[{"a": 1, "b": "a\x00b"}]),
    "unbound-in-statement": o.Execute(
        sqltext=sa.update(ITEMS).values(b=sa.bindparam("v")),
    ),
    "inside-a-batch": o.BatchAlterTable(
        "t",
        operations=(o.AddColumn("t", column=sa.Column("c", sa.String, server_default="a\x00b")),),
    ),
}


@pytest.mark.parametrize("op", VALUE_FAULTS.values(), ids=VALUE_FAULTS.keys())
def test_value_errors_name_the_operation_and_line_once(pg: Dialect, op: o.Operation) -> None:
    """Literals and unbound parameters are found while compiling, where the operation is
    not known: the message still says which line of which revision to fix."""
    for inner in (op, *getattr(op, "operations", ())):
        inner.origin = ORIGIN
    with pytest.raises(RenderError) as info:
        pg.render(op, SchemaState())
    message = str(info.value)
    assert message.startswith("op.") and message.count(str(ORIGIN)) == 1, message
    assert "NUL" in message or ":v with no value" in message


def test_bulk_insert_unknown_column_is_an_error(pg: Dialect) -> None:
    op = o.BulkInsert("t", table=ITEMS, rows=[{"zz": 1}], origin=ORIGIN)
    with pytest.raises(RenderError, match="zz"):
        pg.render(op, SchemaState())


def test_bulk_insert_without_rows_renders_nothing(pg: Dialect) -> None:
    assert pg.render(o.BulkInsert("t", table=ITEMS, rows=[]), SchemaState()) == []


def test_sqlalchemy_compile_errors_become_render_errors(pg: Dialect) -> None:
    op = o.CreateIndex("t", index_name="x" * 80, columns=("a",), origin=ORIGIN)
    with pytest.raises(RenderError, match="ae10"):
        pg.render(op, SchemaState())


def test_create_table_does_not_mutate_the_scripts_objects(pg: Dialect) -> None:
    col = sa.Column("id", sa.Integer, primary_key=True)
    uq = sa.UniqueConstraint("id", name="uq")
    op = o.CreateTable("t", items=(col, uq))
    first = pg.render(op, SchemaState())
    assert pg.render(op, SchemaState()) == first
    assert col.table is None


def test_version_table_statements(pg: Dialect) -> None:
    [create] = pg.create_version_table("alembic_version", None)
    assert create.kind == "version"
    assert "CREATE TABLE IF NOT EXISTS alembic_version" in create.sql
    assert "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)" in create.sql
    assert "VARCHAR(32) NOT NULL" in create.sql
    insert = pg.insert_version("alembic_version", "s", "ae10")
    assert insert.sql == "INSERT INTO s.alembic_version (version_num) VALUES ('ae10')"
    update = pg.update_version("alembic_version", None, "a1", "b2")
    assert update.sql.startswith("UPDATE alembic_version SET version_num='b2' WHERE")
    assert update.sql.endswith("version_num = 'a1'")
    delete = pg.delete_version("alembic_version", None, "a1")
    assert delete.sql.startswith("DELETE FROM alembic_version WHERE")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("sql", ["DELETE FROM t WHERE id = 1;", "DELETE FROM t WHERE id = 1 ;\n  "])
def test_execute_drops_the_users_own_terminator(name: str, sql: str) -> None:
    [stmt] = get_dialect(name).render(o.Execute(sqltext=sql), SchemaState())
    assert stmt.sql == "DELETE FROM t WHERE id = 1"
    assert not stmt.block


def test_execute_keeps_a_procedural_blocks_own_terminators() -> None:
    block = "BEGIN\n  UPDATE t SET a = 1;\nEND;"
    [stmt] = get_dialect("oracle").render(o.Execute(sqltext=block), SchemaState())
    assert stmt.sql == block
    assert stmt.block


@pytest.mark.parametrize("name", NAMES)
def test_drop_index_without_its_table(name: str) -> None:
    """Where DROP INDEX names the table, an index the state cannot place is refused (it
    would be ``DROP INDEX ix ON <nothing>``); the state places it when it knows it."""
    dialect = get_dialect(name)
    op = o.DropIndex("", index_name="ix_t_a", origin=ORIGIN)
    known = SchemaState()
    known.apply(o.CreateTable("t", items=(sa.Column("a", sa.Integer),)))
    known.apply(o.CreateIndex("t", index_name="ix_t_a", columns=("a",)))
    [placed] = dialect.render(op, known)
    assert "ix_t_a" in placed.sql
    if not dialect.drop_index_names_table:
        assert " ON " not in dialect.render(op, SchemaState())[0].sql
        return
    assert " ON t" in placed.sql
    with pytest.raises(RenderError, match=r"ae10.*ix_t_a.*pass table_name= to op.drop_index"):
        dialect.render(op, SchemaState())
