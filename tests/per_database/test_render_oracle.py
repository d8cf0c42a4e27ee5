"""Oracle renderings: SQL*Plus-runnable statements and blocks, MODIFY, NUMBER(1) booleans."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
from dialect_support import col, sqls, state_of, table, with_origin

from offline_sql import operations as ops
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.dialects.oracle.dialect import EmptyStringWarning
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement


def users_state() -> SchemaState:
    return state_of(
        table(
            "users",
            col("id", sa.Integer(), False),
            col("name", sa.String(50), False, server_default="x"),
            col("note", sa.String(20)),
            pk=("id",),
        )
    )


ALTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    (
        {"column_name": "name", "type_": sa.String(100)},
        ["ALTER TABLE users MODIFY (name VARCHAR2(100 CHAR))"],
    ),
    ({"column_name": "name", "nullable": True}, ["ALTER TABLE users MODIFY (name NULL)"]),
    ({"column_name": "name", "nullable": False}, []),
    ({"column_name": "note", "nullable": False}, ["ALTER TABLE users MODIFY (note NOT NULL)"]),
    (
        {"column_name": "name", "server_default": "y", "type_": sa.String(60)},
        ["ALTER TABLE users MODIFY (name VARCHAR2(60 CHAR) DEFAULT 'y')"],
    ),
    (
        {"column_name": "name", "server_default": None},
        ["ALTER TABLE users MODIFY (name DEFAULT NULL)"],
    ),
    (
        {"column_name": "name", "new_column_name": "full_name"},
        ["ALTER TABLE users RENAME COLUMN name TO full_name"],
    ),
    ({"column_name": "name", "comment": "it's"}, ["COMMENT ON COLUMN users.name IS 'it''s'"]),
    ({"column_name": "name", "comment": None}, ["COMMENT ON COLUMN users.name IS ''"]),
]


@pytest.mark.parametrize(("kw", "expected"), ALTER_CASES)
def test_alter_column(kw: dict[str, Any], expected: list[str]) -> None:
    op = ops.AlterColumn("users", **kw)
    assert sqls(get_dialect("oracle").render(op, users_state())) == expected


def test_unknown_nullability_is_guarded() -> None:
    op = ops.AlterColumn("ghost", column_name="c", nullable=False)
    [statement] = get_dialect("oracle").render(op, SchemaState())
    assert statement.block
    assert statement.sql.startswith(
        "BEGIN\n  EXECUTE IMMEDIATE 'ALTER TABLE ghost MODIFY (c NOT NULL)';"
    )
    assert "SQLCODE NOT IN (-1442, -1451)" in statement.sql


def test_unknown_nullability_is_guarded_apart_from_the_type_change() -> None:
    """ORA-01442 ("already NOT NULL") fails the whole MODIFY: swallowing it in a statement
    that also changes the type would leave the old type in place without a word."""
    op = ops.AlterColumn(
        "ghost", column_name="c", nullable=False, type_=sa.String(20), server_default="d"
    )
    plain, guarded = get_dialect("oracle").render(op, SchemaState())
    assert (plain.sql, plain.block) == (
        "ALTER TABLE ghost MODIFY (c VARCHAR2(20 CHAR) DEFAULT 'd')",
        False,
    )
    assert guarded.block
    assert "EXECUTE IMMEDIATE 'ALTER TABLE ghost MODIFY (c NOT NULL)';" in guarded.sql


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (
            ops.AddColumn(
                "users", column=sa.Column("flag", sa.Boolean(), nullable=False, server_default="0")
            ),
            ["ALTER TABLE users ADD flag NUMBER(1) DEFAULT '0' NOT NULL"],
        ),
        (ops.RenameTable("users", new_table_name="people"), ["ALTER TABLE users RENAME TO people"]),
        (ops.CreateTableComment("users", comment="t"), ["COMMENT ON TABLE users IS 't'"]),
        (ops.DropTableComment("users"), ["COMMENT ON TABLE users IS ''"]),
        (
            ops.CreateTable("t", items=(sa.Column("b", sa.Boolean()),)),
            ["CREATE TABLE t (\n\tb NUMBER(1)\n)"],
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, ops.Operation) else "",
)
def test_render(op: ops.Operation, expected: list[str]) -> None:
    assert sqls(get_dialect("oracle").render(op, users_state())) == expected


def test_too_long_identifier_is_an_error() -> None:
    op = with_origin(ops.AddColumn("users", column=sa.Column("c" * 129, sa.Integer())))
    with pytest.raises(RenderError, match=r"ae10.*longer than Oracle's 128"):
        get_dialect("oracle").render(op, users_state())


BULK = sa.table("users", sa.column("id", sa.Integer()), sa.column("name", sa.String()))


def test_bulk_insert_all() -> None:
    op = ops.BulkInsert(
        "users", table=BULK, rows=[{"id": 1, "name": "a"}, {"id": 2, "name": "b\tc"}]
    )
    assert sqls(get_dialect("oracle").render(op, users_state())) == [
        "INSERT ALL\n"
        "  INTO users (id, name) VALUES (1, 'a')\n"
        "  INTO users (id, name) VALUES (2, 'b\tc')\n"
        "SELECT * FROM dual"
    ]


def test_bulk_insert_one_per_row() -> None:
    op = ops.BulkInsert("users", table=BULK, rows=[{"id": 1}, {"id": 2}], multiinsert=False)
    assert sqls(get_dialect("oracle").render(op, users_state())) == [
        "INSERT INTO users (id) VALUES (1)",
        "INSERT INTO users (id) VALUES (2)",
    ]


def test_empty_string_into_not_null_warns() -> None:
    op = with_origin(ops.BulkInsert("users", table=BULK, rows=[{"id": 1, "name": ""}]))
    with pytest.warns(EmptyStringWarning, match=r"ae10_add.py:12.*users.name"):
        get_dialect("oracle").render(op, users_state())


def test_version_table_block_ignores_existing() -> None:
    [statement] = get_dialect("oracle").create_version_table("alembic_version", None)
    assert statement.block and statement.kind == "version"
    assert "EXECUTE IMMEDIATE 'CREATE TABLE alembic_version" in statement.sql
    assert "IF SQLCODE != -955 THEN RAISE; END IF;" in statement.sql
    assert "RETURNING" not in get_dialect("oracle").insert_version("alembic_version", None, "a").sql


def test_flags() -> None:
    dialect = get_dialect("oracle")
    assert not dialect.transactional_ddl and dialect.begin_statement is None
    assert dialect.block_terminator == "/"
    assert dialect.client_preamble[:2] == (
        "WHENEVER SQLERROR EXIT FAILURE ROLLBACK",
        "WHENEVER OSERROR EXIT FAILURE ROLLBACK",
    )
    assert dialect.client_epilogue == ("EXIT SUCCESS",)
    assert dialect.apply_hint == "NLS_LANG=.AL32UTF8 sqlplus -L user@db @{file}"
    assert dialect.max_identifier_length == 128


def every_statement() -> list[Statement]:
    dialect = get_dialect("oracle")
    state = users_state()
    out: list[Statement] = []
    for kw, _ in ALTER_CASES:
        out += dialect.render(ops.AlterColumn("users", **kw), state)
    out += dialect.render(ops.AlterColumn("ghost", column_name="c", nullable=False), SchemaState())
    out += dialect.render(ops.BulkInsert("users", table=BULK, rows=[{"id": 1}, {"id": 2}]), state)
    out += dialect.render(ops.CreateTableComment("users", comment="t"), state)
    out += dialect.create_version_table("alembic_version", None)
    return out


@pytest.mark.parametrize("statement", every_statement(), ids=lambda s: s.sql[:40])
def test_sqlglot_parses_what_we_emit(statement: Statement) -> None:
    """sqlglot does not read PL/SQL blocks: for those, the SQL they run is parsed."""
    if statement.block:
        match = re.search(r"EXECUTE IMMEDIATE '((?:[^']|'')*)';", statement.sql)
        assert match is not None
        sqlglot.parse_one(match.group(1).replace("''", "'"), read="oracle")
    else:
        sqlglot.parse_one(statement.sql, read="oracle")


# ---- INSERT ALL limits, empty BLOB, time zones ---------------------------------------------


def test_insert_all_names_at_most_999_target_columns() -> None:
    names = [f"c{i}" for i in range(100)]
    t = sa.table("wide", *(sa.column(n, sa.Integer()) for n in names))
    rows = [dict.fromkeys(names, i) for i in range(25)]
    op = ops.BulkInsert("wide", table=t, rows=rows)
    out = get_dialect("oracle").render(op, SchemaState())
    assert [s.sql.count("\n  INTO ") for s in out] == [9, 9, 7]
    assert all(s.sql.startswith("INSERT ALL\n") for s in out)


def test_insert_all_single_row_left_over_is_a_plain_insert() -> None:
    names = [f"c{i}" for i in range(500)]
    t = sa.table("wide", *(sa.column(n, sa.Integer()) for n in names))
    op = ops.BulkInsert("wide", table=t, rows=[dict.fromkeys(names, i) for i in range(3)])
    out = get_dialect("oracle").render(op, SchemaState())
    assert [s.sql.startswith("INSERT ALL") for s in out] == [False, False, False]


def test_empty_bytes_into_a_blob_stay_empty_not_null() -> None:
    t = sa.table("b", sa.column("data", sa.LargeBinary()))
    op = ops.BulkInsert("b", table=t, rows=[{"data": b""}])
    (statement,) = get_dialect("oracle").render(op, SchemaState())
    assert "EMPTY_BLOB()" in statement.sql and "HEXTORAW('')" not in statement.sql


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        (sa.DateTime(timezone=True), "TIMESTAMP WITH TIME ZONE"),
        (sa.DateTime(), "DATE"),
        (sa.TIMESTAMP(), "TIMESTAMP"),
    ],
)
def test_datetime_types(type_: Any, expected: str) -> None:
    assert get_dialect("oracle").type_sql(type_) == expected
