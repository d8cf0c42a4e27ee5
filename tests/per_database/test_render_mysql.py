"""MySQL/MariaDB renderings: full column restatement, drops by kind, index rules."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from dialect_support import (
    MariaDB,
    col,
    mariadb,
    script,
    sqls,
    state_of,
    table,
    with_origin,
)

from offline_sql import operations as ops
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.existing import AlterColumnHintWarning
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.dialects.mysql.dialect import MySQLDialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.table_state import ForeignKeyState, IndexState, UniqueState

__all__ = ["mariadb"]


def users_state() -> SchemaState:
    return state_of(
        table(
            "users",
            col("id", sa.Integer(), False),
            col("name", sa.String(50), False, server_default="x", comment="the name"),
            col("bio", sa.Text()),
            pk=("id",),
        )
    )


def orders_state() -> SchemaState:
    """orders.user_id has a foreign key whose only index is ix_orders_user_id."""
    fk = ForeignKeyState("fk_orders_user", ("user_id",), None, "users", ("id",), ondelete="CASCADE")
    return state_of(
        table("users", col("id", sa.Integer(), False), pk=("id",)),
        table(
            "orders",
            col("id", sa.Integer(), False),
            col("user_id", sa.Integer(), False),
            pk=("id",),
            fks=(fk,),
            indexes=(IndexState("ix_orders_user_id", ("user_id",)),),
            uniques=(UniqueState("uq_orders_id_user", ("id", "user_id")),),
        ),
    )


ALTER = "ALTER TABLE users"
ALTER_CASES: list[tuple[dict[str, Any], str]] = [
    (
        {"column_name": "name", "type_": sa.String(100)},
        f"{ALTER} MODIFY COLUMN name VARCHAR(100) NOT NULL COMMENT 'the name' DEFAULT 'x'",
    ),
    (
        {"column_name": "name", "nullable": True},
        f"{ALTER} MODIFY COLUMN name VARCHAR(50) COMMENT 'the name' DEFAULT 'x'",
    ),
    (
        {"column_name": "name", "new_column_name": "full_name"},
        f"{ALTER} CHANGE COLUMN name full_name VARCHAR(50) NOT NULL COMMENT 'the name' DEFAULT 'x'",
    ),
    (
        {"column_name": "name", "comment": None},
        f"{ALTER} MODIFY COLUMN name VARCHAR(50) NOT NULL DEFAULT 'x'",
    ),
    ({"column_name": "name", "server_default": "y"}, f"{ALTER} ALTER COLUMN name SET DEFAULT 'y'"),
    ({"column_name": "name", "server_default": None}, f"{ALTER} ALTER COLUMN name DROP DEFAULT"),
    (
        {"column_name": "name", "server_default": sa.text("uuid()")},
        f"{ALTER} MODIFY COLUMN name VARCHAR(50) NOT NULL COMMENT 'the name' DEFAULT (uuid())",
    ),
    (
        {"column_name": "id", "type_": sa.BigInteger()},
        f"{ALTER} MODIFY COLUMN id BIGINT NOT NULL AUTO_INCREMENT",
    ),
    (
        {"column_name": "name", "type_": sa.String(80), "nullable": True, "server_default": "z"},
        f"{ALTER} MODIFY COLUMN name VARCHAR(80) COMMENT 'the name' DEFAULT 'z'",
    ),
]


@pytest.mark.parametrize(
    "dialect", [get_dialect("mysql"), get_dialect("mariadb")], ids=["mysql", "mariadb"]
)
@pytest.mark.parametrize(("kw", "expected"), ALTER_CASES)
def test_alter_column_restates_the_column(
    dialect: Dialect, kw: dict[str, Any], expected: str
) -> None:
    assert sqls(dialect.render(ops.AlterColumn("users", **kw), users_state())) == [expected]


def test_alter_unknown_column_without_hints_names_the_hints() -> None:
    op = with_origin(ops.AlterColumn("ghost", column_name="c", nullable=False))
    with pytest.raises(RenderError) as err:
        get_dialect("mysql").render(op, SchemaState())
    message = str(err.value)
    assert "existing_type=..." in message
    assert "existing_server_default=..." in message
    assert "existing_nullable" not in message
    assert "ae10" in message


def test_alter_unknown_column_uses_hints() -> None:
    op = ops.AlterColumn(
        "ghost",
        column_name="c",
        nullable=False,
        existing_type=sa.String(10),
        existing_server_default="a",
        existing_comment="note",
    )
    assert sqls(get_dialect("mysql").render(op, SchemaState())) == [
        "ALTER TABLE ghost MODIFY COLUMN c VARCHAR(10) NOT NULL COMMENT 'note' DEFAULT 'a'"
    ]


def test_contradicting_hint_warns_and_state_wins() -> None:
    op = with_origin(
        ops.AlterColumn("users", column_name="name", type_=sa.String(60), existing_nullable=True)
    )
    with pytest.warns(AlterColumnHintWarning, match=r"ae10_add.py:12.*existing_nullable"):
        out = get_dialect("mysql").render(op, users_state())
    assert "NOT NULL" in out[0].sql


@pytest.mark.parametrize(
    ("dialect", "type_", "expected"),
    [
        ("mysql", "foreignkey", "ALTER TABLE orders DROP FOREIGN KEY c1"),
        ("mysql", "primary", "ALTER TABLE orders DROP PRIMARY KEY"),
        ("mysql", "check", "ALTER TABLE orders DROP CONSTRAINT c1"),
        ("mariadb", "check", "ALTER TABLE orders DROP CONSTRAINT c1"),
        ("mariadb", "unique", "ALTER TABLE orders DROP INDEX c1"),
    ],
)
def test_drop_constraint_by_kind(dialect: str, type_: ops.ConstraintType, expected: str) -> None:
    op = ops.DropConstraint("orders", constraint_name="c1", type_=type_)
    assert sqls(get_dialect(dialect).render(op, SchemaState())) == [expected]


def test_drop_constraint_kind_from_state() -> None:
    op = ops.DropConstraint("orders", constraint_name="fk_orders_user")
    assert sqls(get_dialect("mysql").render(op, orders_state())) == [
        "ALTER TABLE orders DROP FOREIGN KEY fk_orders_user"
    ]


def test_drop_constraint_unknown_kind_is_an_error() -> None:
    op = ops.DropConstraint("orders", constraint_name="mystery")
    with pytest.raises(RenderError, match="type_='foreignkey'"):
        get_dialect("mysql").render(op, SchemaState())


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("mysql", "ALTER TABLE orders DROP INDEX uq_orders_id_user"),
        ("mariadb", "ALTER TABLE orders DROP INDEX IF EXISTS uq_orders_id_user"),
    ],
)
def test_drop_constraint_if_exists(dialect: str, expected: str) -> None:
    op = ops.DropConstraint("orders", constraint_name="uq_orders_id_user", if_exists=True)
    assert sqls(get_dialect(dialect).render(op, orders_state())) == [expected]


def test_mysql_drop_if_exists_of_unknown_constraint_is_an_error() -> None:
    op = ops.DropConstraint("orders", constraint_name="nope", type_="check", if_exists=True)
    with pytest.raises(RenderError, match="if_exists"):
        get_dialect("mysql").render(op, SchemaState())


def test_rename_table() -> None:
    op = ops.RenameTable("users", new_table_name="people")
    assert sqls(get_dialect("mysql").render(op, SchemaState())) == ["RENAME TABLE users TO people"]


def test_index_on_text_needs_a_length() -> None:
    op = with_origin(ops.CreateIndex("users", index_name="ix_bio", columns=("bio",)))
    with pytest.raises(RenderError, match="mysql_length"):
        get_dialect("mysql").render(op, users_state())


def test_index_on_text_with_length() -> None:
    op = ops.CreateIndex(
        "users", index_name="ix_bio", columns=("bio",), kw={"mysql_length": {"bio": 20}}
    )
    assert sqls(get_dialect("mysql").render(op, users_state())) == [
        "CREATE INDEX ix_bio ON users (bio(20))"
    ]


def test_create_table_index_on_text_needs_a_length() -> None:
    op = ops.CreateTable("notes", items=(sa.Column("body", sa.Text()), sa.Index("ix_body", "body")))
    with pytest.raises(RenderError, match="mysql_length"):
        get_dialect("mysql").render(op, SchemaState())


def test_drop_index_backing_a_foreign_key_moves_the_key() -> None:
    op = ops.DropIndex("orders", index_name="ix_orders_user_id")
    assert sqls(get_dialect("mysql").render(op, orders_state())) == [
        "ALTER TABLE orders DROP FOREIGN KEY fk_orders_user",
        "DROP INDEX ix_orders_user_id ON orders",
        "ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY(user_id) "
        "REFERENCES users (id) ON DELETE CASCADE",
    ]


def test_drop_index_with_another_covering_index_is_plain() -> None:
    state = orders_state()
    orders = state.get(None, "orders")
    assert orders is not None
    orders.indexes["ix_both"] = IndexState("ix_both", ("user_id", "id"))
    op = ops.DropIndex("orders", index_name="ix_orders_user_id")
    statements = get_dialect("mysql").render(op, state)
    assert sqls(statements) == ["DROP INDEX ix_orders_user_id ON orders"]


@pytest.mark.parametrize(
    ("name", "transactional", "client", "check"),
    [("mysql", False, "mysql", "CONSTRAINT"), ("mariadb", False, "mariadb", "CONSTRAINT")],
)
def test_flags(name: str, transactional: bool, client: str, check: str) -> None:
    dialect = get_dialect(name)
    assert isinstance(dialect, MySQLDialect)
    assert dialect.transactional_ddl is transactional
    assert dialect.begin_statement is None
    assert dialect.max_identifier_length == 64
    assert dialect.client_name == client
    assert dialect.apply_hint.startswith(f"{client} --default-character-set=utf8mb4")
    assert dialect.drop_check_keyword == check
    assert "commits each DDL statement" in dialect.non_transactional_note


# ---- applied on MariaDB ------------------------------------------------------------------

USERS = ops.CreateTable(
    "users",
    items=(
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, server_default="x", comment="the name"),
    ),
)


@pytest.mark.mysql
def test_type_change_keeps_not_null_default_and_comment(mariadb: MariaDB) -> None:
    dialect = get_dialect("mariadb")
    state = users_state()
    change = ops.AlterColumn("users", column_name="name", type_=sa.String(100))
    widen = ops.AlterColumn("users", column_name="id", type_=sa.BigInteger())
    mariadb.apply(
        script(
            dialect,
            dialect.render(USERS, SchemaState())
            + dialect.render(change, state)
            + dialect.render(widen, state),
        )
    )
    assert mariadb.column("users", "name") == {
        "type": "varchar(100)",
        "nullable": False,
        "default": "'x'",
        "extra": "",
        "comment": "the name",
    }
    assert mariadb.column("users", "id")["extra"] == "auto_increment"


@pytest.mark.mysql
def test_rename_and_nullable_apply(mariadb: MariaDB) -> None:
    dialect = get_dialect("mariadb")
    rename = ops.AlterColumn("users", column_name="name", new_column_name="full", nullable=True)
    mariadb.apply(
        script(
            dialect, dialect.render(USERS, SchemaState()) + dialect.render(rename, users_state())
        )
    )
    assert mariadb.column("users", "full")["nullable"] is True
    assert mariadb.column("users", "full")["default"] == "'x'"


@pytest.mark.mysql
def test_drop_index_backing_a_foreign_key_applies(mariadb: MariaDB) -> None:
    dialect = get_dialect("mariadb")
    create = [
        ops.CreateTable("users", items=(sa.Column("id", sa.Integer(), primary_key=True),)),
        ops.CreateTable(
            "orders",
            items=(
                sa.Column("id", sa.Integer(), primary_key=True),
                sa.Column("user_id", sa.Integer(), nullable=False),
            ),
        ),
        ops.CreateIndex("orders", index_name="ix_orders_user_id", columns=("user_id",)),
        ops.CreateForeignKey(
            "orders",
            constraint_name="fk_orders_user",
            referent_table="users",
            local_cols=("user_id",),
            remote_cols=("id",),
            ondelete="CASCADE",
        ),
    ]
    statements = [s for op in create for s in dialect.render(op, SchemaState())]
    drop = ops.DropIndex("orders", index_name="ix_orders_user_id")
    mariadb.apply(script(dialect, statements + dialect.render(drop, orders_state())))
    inspector = mariadb.inspector()
    assert "ix_orders_user_id" not in {i["name"] for i in inspector.get_indexes("orders")}
    [fk] = inspector.get_foreign_keys("orders")
    assert (fk["name"], fk["options"].get("ondelete")) == ("fk_orders_user", "CASCADE")


@pytest.mark.mysql
@pytest.mark.parametrize("action", ["RESTRICT", "NO ACTION", "CASCADE", "SET NULL"])
def test_accepted_foreign_key_actions_apply(mariadb: MariaDB, action: str) -> None:
    dialect = get_dialect("mariadb")
    assert action in dialect.foreign_key_ondelete_actions
    create = [
        ops.CreateTable("users", items=(sa.Column("id", sa.Integer(), primary_key=True),)),
        ops.CreateTable(
            "orders",
            items=(
                sa.Column("id", sa.Integer(), primary_key=True),
                sa.Column(
                    "user_id",
                    sa.Integer(),
                    sa.ForeignKey("users.id", ondelete=action, onupdate=action),
                ),
            ),
        ),
    ]
    mariadb.apply(script(dialect, [s for op in create for s in dialect.render(op, SchemaState())]))
    with mariadb.engine.connect() as conn:
        rules = conn.execute(
            sa.text(
                "SELECT REFERENCED_TABLE_NAME, DELETE_RULE, UPDATE_RULE "
                "FROM information_schema.REFERENTIAL_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = :db AND TABLE_NAME = 'orders'"
            ),
            {"db": mariadb.name},
        ).all()
    assert [tuple(row) for row in rules] == [("users", action, action)]


@pytest.mark.mysql
def test_set_default_is_dropped_by_the_server_so_mig_refuses_it(mariadb: MariaDB) -> None:
    """The flag is right: InnoDB (MariaDB 10.11) accepts ON DELETE SET DEFAULT and silently
    keeps no action at all, so mig refuses it at generation time instead."""
    dialect = get_dialect("mariadb")
    assert "SET DEFAULT" not in dialect.foreign_key_ondelete_actions
    sql = (
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER DEFAULT 1, "
        "FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET DEFAULT);\n"
    )
    mariadb.apply(sql)
    [fk] = mariadb.inspector().get_foreign_keys("orders")
    assert fk["options"].get("ondelete") is None
