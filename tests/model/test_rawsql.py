"""Raw SQL from op.execute: DDL sqlglot understands updates the state, the rest marks tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from offline_sql.operations import CreateTable, Execute, Origin
from offline_sql.schema_items import RawType
from offline_sql.state import SchemaState
from offline_sql.table_state import TableState

ORIGIN = Origin("versions/r5.py", 9, "r5")


def state_with_t(dialect: str = "postgres") -> SchemaState:
    state = SchemaState(dialect)
    state.apply(
        CreateTable(
            "t",
            items=(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("a", sa.String(10)),
                sa.Column("b", sa.Integer, nullable=False),
                sa.Index("ix_t_a", "a"),
            ),
        )
    )
    return state


def run(state: SchemaState, sql: str | sa.TextClause) -> SchemaState:
    state.apply(Execute(sqltext=sql, origin=ORIGIN))
    return state


def table(state: SchemaState, name: str, schema: str | None = None) -> TableState:
    found = state.get(schema, name)
    assert found is not None
    return found


def test_create_table() -> None:
    state = run(
        SchemaState("postgres"),
        "CREATE TABLE s.u (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x', "
        "price NUMERIC(10, 2), data JSONB, geo GEOMETRY, CONSTRAINT uq_u UNIQUE (name), "
        "CONSTRAINT fk_u FOREIGN KEY (price) REFERENCES t (id) ON DELETE CASCADE, CHECK (id > 0))",
    )
    u = table(state, "u", "s")
    assert list(u.columns) == ["id", "name", "price", "data", "geo"]
    assert u.primary_key is not None and u.primary_key.columns == ("id",)
    assert u.columns["id"].autoincrement is True and not u.columns["id"].nullable
    assert isinstance(u.columns["name"].type, sa.String) and u.columns["name"].type.length == 20
    assert not u.columns["name"].nullable
    assert u.columns["name"].server_default.text == "'x'"
    price = u.columns["price"].type
    assert isinstance(price, sa.Numeric) and (price.precision, price.scale) == (10, 2)
    assert isinstance(u.columns["data"].type, sa.JSON)
    assert isinstance(u.columns["geo"].type, RawType)
    assert [(q.name, q.columns) for q in u.uniques] == [("uq_u", ("name",))]
    assert [(f.name, f.referent_table, f.ondelete) for f in u.foreign_keys] == [
        ("fk_u", "t", "CASCADE")
    ]
    assert [c.sqltext for c in u.checks] == ["id > 0"]


def test_create_table_mysql_auto_increment() -> None:
    state = run(SchemaState("mysql"), "CREATE TABLE m (id INT AUTO_INCREMENT PRIMARY KEY)")
    assert table(state, "m").columns["id"].autoincrement is True


def test_create_table_as_select_is_unknown() -> None:
    state = run(state_with_t(), "CREATE TABLE copy AS SELECT * FROM t")
    assert table(state, "copy").unknown_since == ORIGIN
    assert table(state, "t").unknown_since is None


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        ("ALTER TABLE t ADD COLUMN c INT NOT NULL", ["id", "a", "b", "c"]),
        ("ALTER TABLE t DROP COLUMN a", ["id", "b"]),
        ("ALTER TABLE t RENAME COLUMN a TO z", ["id", "z", "b"]),
        ("alter table T add column c text, drop column b", ["id", "a", "c"]),
    ],
)
def test_alter_columns(sql: str, columns: list[str]) -> None:
    t = table(run(state_with_t(), sql), "t")
    assert list(t.columns) == columns
    assert t.unknown_since is None


def test_rename_column_moves_index() -> None:
    t = table(run(state_with_t(), "ALTER TABLE t RENAME COLUMN a TO z"), "t")
    assert t.indexes["ix_t_a"].columns == ("z",)


def test_rename_table() -> None:
    state = run(state_with_t(), "ALTER TABLE t RENAME TO t2")
    assert state.get(None, "t") is None
    assert table(state, "t2").name == "t2"


@pytest.mark.parametrize(
    ("sql", "nullable", "default"),
    [
        ("ALTER TABLE t ALTER COLUMN b DROP NOT NULL", True, None),
        ("ALTER TABLE t ALTER COLUMN b SET DEFAULT 5", False, "5"),
    ],
)
def test_alter_column(sql: str, nullable: bool, default: str | None) -> None:
    column = table(run(state_with_t(), sql), "t").columns["b"]
    assert column.nullable is nullable
    assert (column.server_default.text if column.server_default is not None else None) == default


def test_alter_column_type() -> None:
    column = table(run(state_with_t(), "ALTER TABLE t ALTER COLUMN b TYPE BIGINT"), "t").columns[
        "b"
    ]
    assert isinstance(column.type, sa.BigInteger)


def test_mysql_modify() -> None:
    state = run(state_with_t("mysql"), "ALTER TABLE t MODIFY a VARCHAR(50) NOT NULL")
    column = table(state, "t").columns["a"]
    assert not column.nullable and isinstance(column.type, sa.String) and column.type.length == 50


def test_drop_table_and_indexes() -> None:
    state = run(state_with_t(), "DROP INDEX ix_t_a")
    assert table(state, "t").indexes == {}
    run(state, "DROP TABLE IF EXISTS t")
    assert state.tables == {}


def test_create_index() -> None:
    state = run(state_with_t(), "CREATE UNIQUE INDEX ix_t_b ON t (b, lower(a))")
    index = table(state, "t").indexes["ix_t_b"]
    assert index.unique
    assert index.columns == ("b", "LOWER(a)")


def test_mysql_drop_index_on_table() -> None:
    state = run(state_with_t("mysql"), "DROP INDEX ix_t_a ON t")
    assert table(state, "t").indexes == {}


def test_comment_on_table() -> None:
    assert table(run(state_with_t(), "COMMENT ON TABLE t IS 'hi'"), "t").comment == "hi"


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t (a) VALUES ('x')",
        "UPDATE t SET a = :a WHERE id = 1",
        "DELETE FROM t",
        "SELECT * FROM t",
        "CREATE VIEW v AS SELECT * FROM t",
        "GRANT SELECT ON t TO bob",
    ],
)
def test_no_schema_change(sql: str) -> None:
    state = state_with_t()
    before = repr(state.tables)
    run(state, sql)
    assert repr(state.tables) == before
    assert state.unparsed == []


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE t ADD CONSTRAINT pk2 PRIMARY KEY (a)",
        "ALTER TABLE t SET TABLESPACE fast",
        "DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD x int'; END $$",
        "THIS IS NOT (SQL t",
    ],
)
def test_not_understood_marks_table(sql: str) -> None:
    state = run(state_with_t(), sql)
    assert table(state, "t").unknown_since == ORIGIN


def test_unknown_since_keeps_first_origin() -> None:
    state = run(state_with_t(), "ALTER TABLE t SET TABLESPACE fast")
    state.apply(Execute(sqltext="ALTER TABLE t SET TABLESPACE slow", origin=Origin("x.py", 1, "x")))
    assert table(state, "t").unknown_since == ORIGIN


def test_unparsed_without_tables_is_listed() -> None:
    state = run(state_with_t(), "DO $$ BEGIN PERFORM 1; END $$")
    assert table(state, "t").unknown_since is None
    assert [origin for origin, _ in state.unparsed] == [ORIGIN]


def test_text_clause_and_multiple_statements() -> None:
    state = run(
        state_with_t(), sa.text("ALTER TABLE t ADD COLUMN c INT; ALTER TABLE t DROP COLUMN a")
    )
    assert list(table(state, "t").columns) == ["id", "b", "c"]


def test_sqlalchemy_dml_construct_changes_nothing() -> None:
    state = state_with_t()
    before = repr(state.tables)
    state.apply(Execute(sqltext=sa.table("t", sa.column("a")).delete(), origin=ORIGIN))
    assert repr(state.tables) == before


def test_dialect_given_to_apply() -> None:
    state = state_with_t("")
    state.apply(Execute(sqltext="ALTER TABLE t MODIFY a TEXT", origin=ORIGIN), "mysql")
    assert isinstance(table(state, "t").columns["a"].type, sa.Text)
