"""SQL Server renderings: restated ALTER COLUMN, default constraints, sp_rename, comments."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
from dialect_support import col, sqls, state_of, table, with_origin

from offline_sql import operations as ops
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

DROP_DEFAULT = (
    "DECLARE @name sysname, @sql nvarchar(max);\n"
    "SELECT @name = dc.name FROM sys.default_constraints AS dc "
    "JOIN sys.columns AS c ON c.object_id = dc.parent_object_id "
    "AND c.column_id = dc.parent_column_id "
    "WHERE dc.parent_object_id = OBJECT_ID(N'[users]') AND c.name = N'name';\n"
    "IF @name IS NOT NULL\n"
    "BEGIN\n"
    "  SET @sql = N'ALTER TABLE users DROP CONSTRAINT ' + QUOTENAME(@name);\n"
    "  EXEC sp_executesql @sql;\n"
    "END"
)
SCHEMA = "DECLARE @mig_schema sysname = SCHEMA_NAME();\n"
"""A table without a schema is in the applying user's default schema (not always dbo)."""
PROPERTY = (
    "@level0type = N'SCHEMA', @level0name = @mig_schema, @level1type = N'TABLE', "
    "@level1name = N'users'"
)


def users_state() -> SchemaState:
    return state_of(
        table(
            "users",
            col("id", sa.Integer(), False),
            col("name", sa.String(50), False, server_default="x", comment="the name"),
            col("note", sa.String(20)),
            pk=("id",),
        )
    )


ALTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    (
        {"column_name": "name", "type_": sa.String(100)},
        ["ALTER TABLE users ALTER COLUMN name VARCHAR(100) NOT NULL"],
    ),
    (
        {"column_name": "name", "nullable": True},
        ["ALTER TABLE users ALTER COLUMN name VARCHAR(50) NULL"],
    ),
    (
        {"column_name": "name", "server_default": "y"},
        [DROP_DEFAULT, "ALTER TABLE users ADD CONSTRAINT [DF_users_name] DEFAULT 'y' FOR name"],
    ),
    ({"column_name": "name", "server_default": None}, [DROP_DEFAULT]),
    (
        {"column_name": "note", "server_default": "n"},
        ["ALTER TABLE users ADD CONSTRAINT [DF_users_note] DEFAULT 'n' FOR note"],
    ),
    (
        {"column_name": "name", "new_column_name": "full_name"},
        ["EXEC sp_rename N'[users].[name]', N'full_name', 'COLUMN'"],
    ),
    (
        {"column_name": "name", "comment": "new"},
        [
            SCHEMA + "EXEC sp_updateextendedproperty @name = N'MS_Description', @value = N'new', "
            f"{PROPERTY}, @level2type = N'COLUMN', @level2name = N'name'"
        ],
    ),
    (
        {"column_name": "note", "comment": "it's"},
        [
            SCHEMA + "EXEC sp_addextendedproperty @name = N'MS_Description', @value = N'it''s', "
            f"{PROPERTY}, @level2type = N'COLUMN', @level2name = N'note'"
        ],
    ),
    (
        {"column_name": "name", "comment": None},
        [
            SCHEMA + "EXEC sp_dropextendedproperty @name = N'MS_Description', "
            f"{PROPERTY}, @level2type = N'COLUMN', @level2name = N'name'"
        ],
    ),
]


@pytest.mark.parametrize(("kw", "expected"), ALTER_CASES)
def test_alter_column(kw: dict[str, Any], expected: list[str]) -> None:
    op = ops.AlterColumn("users", **kw)
    assert sqls(get_dialect("mssql").render(op, users_state())) == expected


def test_drop_default_is_a_batch_of_its_own() -> None:
    op = ops.AlterColumn("users", column_name="name", server_default=None)
    [statement] = get_dialect("mssql").render(op, users_state())
    assert statement.block


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("name", [DROP_DEFAULT, "ALTER TABLE users DROP COLUMN name"]),
        ("note", ["ALTER TABLE users DROP COLUMN note"]),
    ],
)
def test_drop_column_drops_its_default_first(column: str, expected: list[str]) -> None:
    op = ops.DropColumn("users", column_name=column)
    assert sqls(get_dialect("mssql").render(op, users_state())) == expected


def test_alter_unknown_column_needs_type_hint() -> None:
    op = with_origin(ops.AlterColumn("ghost", column_name="c", nullable=False))
    with pytest.raises(RenderError, match=r"existing_type=\.\.\..*ae10|ae10.*existing_type"):
        get_dialect("mssql").render(op, SchemaState())


def test_alter_identity_is_an_error() -> None:
    op = ops.AlterColumn("users", column_name="id", autoincrement=False)
    with pytest.raises(RenderError, match="IDENTITY"):
        get_dialect("mssql").render(op, users_state())


def test_comment_on_unknown_column_needs_hint() -> None:
    op = ops.AlterColumn("ghost", column_name="c", comment="x")
    with pytest.raises(RenderError, match="existing_comment"):
        get_dialect("mssql").render(op, SchemaState())


def test_rename_table() -> None:
    op = ops.RenameTable("users", new_table_name="people", schema="app")
    assert sqls(get_dialect("mssql").render(op, SchemaState())) == [
        "EXEC sp_rename N'[app].[users]', N'people'"
    ]


def test_add_column_uses_add() -> None:
    op = ops.AddColumn(
        "users", column=sa.Column("flag", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    assert sqls(get_dialect("mssql").render(op, users_state())) == [
        "ALTER TABLE users ADD flag BIT NOT NULL DEFAULT 0"
    ]


def test_bulk_insert_at_most_1000_rows_per_values() -> None:
    t = sa.table("users", sa.column("id", sa.Integer()))
    op = ops.BulkInsert("users", table=t, rows=[{"id": i} for i in range(2500)])
    out = get_dialect("mssql").render(op, users_state())
    assert [s.sql.count("(") - 1 for s in out] == [1000, 1000, 500]
    assert all("OUTPUT" not in s.sql for s in out)


def test_version_table_if_not_exists() -> None:
    [statement] = get_dialect("mssql").create_version_table("alembic_version", None)
    assert statement.sql.startswith("IF OBJECT_ID(N'alembic_version', N'U') IS NULL\nCREATE TABLE")
    assert "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)" in statement.sql


def test_flags() -> None:
    dialect = get_dialect("mssql")
    assert dialect.transactional_ddl
    assert (dialect.begin_statement, dialect.commit_statement) == ("BEGIN TRANSACTION", "COMMIT")
    assert dialect.batch_separator == "GO"
    preamble = dialect.client_preamble
    assert preamble[0] == ":on error exit"
    assert preamble[-3:] == ("SET XACT_ABORT ON", "SET QUOTED_IDENTIFIER ON", "SET ANSI_NULLS ON")
    assert dialect.apply_hint == "sqlcmd -b -I -i {file}"
    assert dialect.max_identifier_length == 128


def every_statement() -> list[Statement]:
    dialect = get_dialect("mssql")
    state = users_state()
    out: list[Statement] = []
    for kw, _ in ALTER_CASES:
        out += dialect.render(ops.AlterColumn("users", **kw), state)
    out += dialect.render(ops.DropColumn("users", column_name="name"), state)
    out += dialect.render(ops.RenameTable("users", new_table_name="p"), state)
    out += dialect.render(ops.CreateTableComment("users", comment="t"), state)
    out += dialect.render(
        ops.CreateTable(
            "t",
            items=(
                sa.Column("id", sa.Integer(), primary_key=True),
                sa.Column("b", sa.Boolean(), comment="c"),
            ),
            comment="tc",
        ),
        state,
    )
    out += dialect.create_version_table("alembic_version", None)
    return out


@pytest.mark.parametrize("statement", every_statement(), ids=lambda s: s.sql[:40])
def test_sqlglot_parses_what_we_emit(statement: Statement) -> None:
    parsed = sqlglot.parse(statement.sql, read="tsql")
    assert parsed and all(p is not None for p in parsed)
    if not statement.block:
        sqlglot.parse_one(statement.sql, read="tsql")


# ---- ALTER/DROP COLUMN around what SQL Server forbids on the column -----------------------


def keyed_state(user_id: sa.types.TypeEngine[Any] | None = None) -> SchemaState:
    """``orders.user_id`` references ``users.id``; it is BIGINT (the type ``users.id`` is
    changed to below) unless ``user_id`` says otherwise."""
    from offline_sql.table_state import CheckState, ForeignKeyState, IndexState, UniqueState

    users = table(
        "users",
        col("id", sa.Integer(), False),
        col("name", sa.String(50), False, server_default="x"),
        col("code", sa.Integer()),
        pk=("id",),
        indexes=(IndexState("ix_users_name", ("name",)), IndexState("ix_users_code", ("code",))),
        uniques=(UniqueState("uq_users_name", ("name",)),),
    )
    users.checks.append(CheckState("ck_users_code", "code > 0"))
    orders = table(
        "orders",
        col("id", sa.Integer(), False),
        col("user_id", user_id if user_id is not None else sa.BigInteger(), False),
        pk=("id",),
        fks=(ForeignKeyState("fk_orders_user", ("user_id",), None, "users", ("id",)),),
    )
    return state_of(users, orders)


DEPENDENT_CASES: list[tuple[dict[str, Any], list[str]]] = [
    # a varchar growing keeps its index, unique constraint and default (documented exception)
    (
        {"column_name": "name", "type_": sa.String(100)},
        ["ALTER TABLE users ALTER COLUMN name VARCHAR(100) NOT NULL"],
    ),
    # a varchar shrinking keeps its unique constraint, not its index
    (
        {"column_name": "name", "type_": sa.String(40)},
        [
            "DROP INDEX ix_users_name ON users",
            "ALTER TABLE users ALTER COLUMN name VARCHAR(40) NOT NULL",
            "CREATE INDEX ix_users_name ON users (name)",
        ],
    ),
    # a new data type: the default goes too, and comes back as DF_<table>_<column>
    (
        {"column_name": "name", "type_": sa.Unicode(50)},
        [
            "ALTER TABLE users DROP CONSTRAINT uq_users_name",
            "DROP INDEX ix_users_name ON users",
            "DROP_DEFAULT",
            "ALTER TABLE users ALTER COLUMN name NVARCHAR(50) NOT NULL",
            "ALTER TABLE users ADD CONSTRAINT [DF_users_name] DEFAULT 'x' FOR name",
            "CREATE INDEX ix_users_name ON users (name)",
            "ALTER TABLE users ADD CONSTRAINT uq_users_name UNIQUE (name)",
        ],
    ),
    (
        {"column_name": "code", "type_": sa.BigInteger()},
        [
            "ALTER TABLE users DROP CONSTRAINT ck_users_code",
            "DROP INDEX ix_users_code ON users",
            "ALTER TABLE users ALTER COLUMN code BIGINT NULL",
            "CREATE INDEX ix_users_code ON users (code)",
            "ALTER TABLE users ADD CONSTRAINT ck_users_code CHECK (code > 0)",
        ],
    ),
    # a primary key column whose foreign keys already have the new type (see
    # test_retyped_key_with_foreign_keys_of_the_old_type_is_refused): the foreign keys
    # pointing at it go first, come back last
    (
        {"column_name": "id", "type_": sa.BigInteger()},
        [
            "ALTER TABLE orders DROP CONSTRAINT fk_orders_user",
            "ALTER TABLE users DROP CONSTRAINT users_pkey",
            "ALTER TABLE users ALTER COLUMN id BIGINT NOT NULL",
            "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id)",
            "ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY(user_id) "
            "REFERENCES users (id)",
        ],
    ),
    # nothing changes: nothing is dropped
    (
        {"column_name": "code", "type_": sa.Integer(), "nullable": True},
        ["ALTER TABLE users ALTER COLUMN code INTEGER NULL"],
    ),
]


def _expand(sql: list[str], column: str) -> list[str]:
    drop = DROP_DEFAULT.replace("N'name'", f"N'{column}'")
    return [drop if s == "DROP_DEFAULT" else s for s in sql]


@pytest.mark.parametrize(("kw", "expected"), DEPENDENT_CASES)
def test_alter_column_drops_and_recreates_what_blocks_it(
    kw: dict[str, Any], expected: list[str]
) -> None:
    op = with_origin(ops.AlterColumn("users", **kw))
    out = get_dialect("mssql").render(op, keyed_state())
    assert sqls(out) == _expand(expected, kw["column_name"])
    assert all(s.comment for s in out if s.sql.startswith(("DROP INDEX", "ALTER TABLE orders D")))


def test_drop_column_drops_its_index_and_check_first() -> None:
    op = with_origin(ops.DropColumn("users", column_name="code"))
    out = get_dialect("mssql").render(op, keyed_state())
    assert sqls(out) == [
        "ALTER TABLE users DROP CONSTRAINT ck_users_code",
        "DROP INDEX ix_users_code ON users",
        "ALTER TABLE users DROP COLUMN code",
    ]


def test_drop_primary_key_column_is_refused() -> None:
    op = with_origin(ops.DropColumn("users", column_name="id"))
    with pytest.raises(RenderError, match="primary key"):
        get_dialect("mssql").render(op, keyed_state())


def test_unnamed_unique_in_the_way_is_refused_with_the_way_out() -> None:
    from offline_sql.table_state import UniqueState

    state = keyed_state()
    state.tables[(None, "users")].uniques = [UniqueState(None, ("code",))]
    op = with_origin(ops.AlterColumn("users", column_name="code", type_=sa.BigInteger()))
    with pytest.raises(RenderError, match=r"unnamed unique constraint.*name the constraint"):
        get_dialect("mssql").render(op, state)


def test_unnamed_primary_key_is_looked_up() -> None:
    state = keyed_state()
    pk = state.tables[(None, "users")].primary_key
    assert pk is not None
    pk.name = None
    state.tables[(None, "orders")].foreign_keys = []
    op = with_origin(ops.AlterColumn("users", column_name="id", type_=sa.BigInteger()))
    out = get_dialect("mssql").render(op, state)
    assert "sys.key_constraints" in out[0].sql and out[0].block
    assert out[-1].sql == "ALTER TABLE users ADD PRIMARY KEY (id)"


def test_max_column_in_an_index_is_refused() -> None:
    op = with_origin(ops.AlterColumn("users", column_name="name", type_=sa.Text()))
    with pytest.raises(RenderError, match=r"VARCHAR\(max\)"):
        get_dialect("mssql").render(op, keyed_state())


def test_guard_throws() -> None:
    (guard,) = get_dialect("mssql").guard_statements("mig_version", None, ("a1",))
    assert "THROW 50000, @mig_message, 1;" in guard.sql
    assert "RAISERROR" not in guard.sql


def test_descriptions_are_unicode_literals() -> None:
    op = with_origin(
        ops.CreateTable(
            "t",
            items=(sa.Column("id", sa.Integer, primary_key=True, comment="clé"),),
            comment="漢字",
        )
    )
    out = sqls(get_dialect("mssql").render(op, SchemaState()))
    assert any("@value = N'漢字'" in s and "@level2type" not in s for s in out)
    assert any("@value = N'clé'" in s and "@level2name = N'id'" in s for s in out)
