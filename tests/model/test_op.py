"""The op facade: each call records the operation dataclass with Alembic's meanings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from recording import StubDialect, recorded
from sqlalchemy.sql.elements import conv

from offline_sql import op
from offline_sql.errors import ScriptError
from offline_sql.operations import (
    UNSET,
    AddColumn,
    AlterColumn,
    BatchAlterTable,
    BulkInsert,
    CreateCheckConstraint,
    CreateForeignKey,
    CreateIndex,
    CreatePrimaryKey,
    CreateTable,
    CreateTableComment,
    CreateUniqueConstraint,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    DropTableComment,
    Execute,
    Operation,
    RenameTable,
)
from offline_sql.recorder import Recorder, recording
from offline_sql.script.loader import load_script, run_revision


@pytest.fixture
def ops() -> Iterator[list[Operation]]:
    with recorded(path=__file__) as found:
        yield found


def only(ops: list[Operation]) -> Any:
    assert len(ops) == 1
    return ops[0]


def test_origin_is_this_line(ops: list[Operation]) -> None:
    op.drop_table("t")
    line = test_origin_is_this_line.__code__.co_firstlineno + 1
    origin = only(ops).origin
    assert (origin.path, origin.line, origin.revision) == (__file__, line, "r1")


CASES: list[tuple[Callable[[], Any], type[Operation], dict[str, Any]]] = [
    (
        lambda: op.drop_table("t", schema="s", if_exists=True),
        DropTable,
        {"table_name": "t", "schema": "s", "if_exists": True},
    ),
    (lambda: op.rename_table("a", "b"), RenameTable, {"table_name": "a", "new_table_name": "b"}),
    (
        lambda: op.drop_column("t", "c", schema="s"),
        DropColumn,
        {"table_name": "t", "column_name": "c", "schema": "s", "if_exists": False},
    ),
    (
        lambda: op.create_index("ix", "t", ["a", "b"], unique=True, postgresql_where="a > 1"),
        CreateIndex,
        {
            "index_name": "ix",
            "columns": ("a", "b"),
            "unique": True,
            "if_not_exists": False,
            "kw": {"postgresql_where": "a > 1"},
        },
    ),
    (
        lambda: op.drop_index("ix"),
        DropIndex,
        {"index_name": "ix", "table_name": "", "if_exists": False},
    ),
    (
        lambda: op.drop_index("ix", "t", if_exists=True),
        DropIndex,
        {"index_name": "ix", "table_name": "t", "if_exists": True},
    ),
    (
        lambda: op.create_primary_key("pk", "t", ["a"]),
        CreatePrimaryKey,
        {"constraint_name": "pk", "columns": ("a",)},
    ),
    (
        lambda: op.create_unique_constraint("uq", "t", ["a", "b"], deferrable=True),
        CreateUniqueConstraint,
        {"constraint_name": "uq", "columns": ("a", "b"), "deferrable": True, "kw": {}},
    ),
    (
        lambda: op.create_foreign_key(
            "fk",
            "src",
            "dst",
            ["a"],
            ["id"],
            ondelete="CASCADE",
            source_schema="s",
            referent_schema="r",
        ),
        CreateForeignKey,
        {
            "table_name": "src",
            "schema": "s",
            "referent_table": "dst",
            "referent_schema": "r",
            "local_cols": ("a",),
            "remote_cols": ("id",),
            "ondelete": "CASCADE",
        },
    ),
    (
        lambda: op.create_check_constraint("ck", "t", "a > 0"),
        CreateCheckConstraint,
        {"constraint_name": "ck", "condition": "a > 0"},
    ),
    (
        lambda: op.drop_constraint("fk", "t", type_="foreignkey"),
        DropConstraint,
        {"constraint_name": "fk", "type_": "foreignkey"},
    ),
    (
        lambda: op.create_table_comment("t", "hello", existing_comment="old"),
        CreateTableComment,
        {"comment": "hello", "existing_comment": "old"},
    ),
    (
        lambda: op.create_table_comment("t", None),
        DropTableComment,
        {"existing_comment": UNSET},
    ),
    (lambda: op.drop_table_comment("t"), DropTableComment, {"existing_comment": UNSET}),
    (
        lambda: op.execute("UPDATE t SET a = :a", {"a": 1}),
        Execute,
        {"sqltext": "UPDATE t SET a = :a", "parameters": {"a": 1}},
    ),
    (
        lambda: op.execute("SELECT 1", execution_options={"x": 1}),
        Execute,
        {"parameters": None, "execution_options": {"x": 1}},
    ),
]


@pytest.mark.parametrize(("call", "kind", "fields"), CASES)
def test_recorded_fields(
    ops: list[Operation], call: Callable[[], Any], kind: type[Operation], fields: dict[str, Any]
) -> None:
    call()
    recorded = only(ops)
    assert type(recorded) is kind
    for name, value in fields.items():
        assert getattr(recorded, name) == value, name
    assert recorded.origin is not None


def test_execute_parameters_keyword(ops: list[Operation]) -> None:
    op.execute("DELETE FROM t WHERE a = :a", parameters={"a": 2})
    assert only(ops).parameters == {"a": 2}


def test_alter_column_defaults_are_unset(ops: list[Operation]) -> None:
    op.alter_column("t", "c")
    recorded = only(ops)
    assert isinstance(recorded, AlterColumn)
    for name in (
        "nullable",
        "type_",
        "server_default",
        "new_column_name",
        "comment",
        "autoincrement",
        "existing_type",
        "existing_nullable",
        "existing_server_default",
        "existing_comment",
    ):
        assert getattr(recorded, name) is UNSET, name


def test_alter_column_given_values(ops: list[Operation]) -> None:
    op.alter_column(
        "t",
        "c",
        nullable=False,
        server_default=None,
        comment=None,
        type_=sa.BigInteger,
        existing_type=sa.Integer(),
        existing_nullable=True,
        existing_server_default="0",
        existing_comment="c",
        new_column_name="d",
        autoincrement=True,
        postgresql_using="c::bigint",
        mysql_charset="utf8",
    )
    recorded = only(ops)
    assert recorded.nullable is False
    assert recorded.server_default is None
    assert recorded.comment is None
    assert isinstance(recorded.type_, sa.BigInteger)
    assert isinstance(recorded.existing_type, sa.Integer)
    assert recorded.existing_nullable is True
    assert recorded.existing_server_default == "0"
    assert recorded.existing_comment == "c"
    assert recorded.new_column_name == "d"
    assert recorded.autoincrement is True
    assert recorded.postgresql_using == "c::bigint"
    assert recorded.kw == {"mysql_charset": "utf8"}


def test_create_table_returns_table_and_keeps_items(ops: list[Operation]) -> None:
    column = sa.Column("id", sa.Integer, primary_key=True)
    table = op.create_table(
        "t",
        column,
        sa.Column("a", sa.String(5)),
        schema="s",
        comment="hi",
        mysql_engine="InnoDB",
        if_not_exists=True,
    )
    recorded = only(ops)
    assert isinstance(recorded, CreateTable)
    assert recorded.items[0] is column
    assert not hasattr(column, "table") or column.table is not table
    assert recorded.comment == "hi"
    assert recorded.kw == {"mysql_engine": "InnoDB"}
    assert recorded.if_not_exists is True
    assert isinstance(table, sa.Table)
    assert (table.name, table.schema, list(table.c.keys())) == ("t", "s", ["id", "a"])


def test_create_table_twice_with_same_column_objects(ops: list[Operation]) -> None:
    column = sa.Column("id", sa.Integer, primary_key=True)
    op.create_table("a", column)
    op.create_table("b", column)
    assert [o.table_key for o in ops] == [(None, "a"), (None, "b")]


def test_add_column(ops: list[Operation]) -> None:
    column = sa.Column("c", sa.Integer)
    op.add_column("t", column, schema="s", if_not_exists=True)
    recorded = only(ops)
    assert isinstance(recorded, AddColumn)
    assert recorded.column is column
    assert (recorded.schema, recorded.if_not_exists) == ("s", True)


def test_bulk_insert(ops: list[Operation]) -> None:
    table = sa.table("t", sa.column("a"), schema="s")
    op.bulk_insert(table, [{"a": 1}], multiinsert=False)
    recorded = only(ops)
    assert isinstance(recorded, BulkInsert)
    assert recorded.table is table
    assert (recorded.table_name, recorded.schema) == ("t", "s")
    assert list(recorded.rows) == [{"a": 1}]
    assert recorded.multiinsert is False


def test_drop_constraint_bad_type(ops: list[Operation]) -> None:
    with pytest.raises(ScriptError, match="type_='fk'"):
        op.drop_constraint("x", "t", type_="fk")


def test_f_and_inline_literal() -> None:
    assert isinstance(op.f("ix_a"), conv)
    literal = op.inline_literal("x", sa.String)
    assert literal.value == "x"
    assert isinstance(literal.type, sa.String)


def test_batch_records_one_operation(ops: list[Operation]) -> None:
    with op.batch_alter_table("t", schema="s", recreate="always") as batch:
        batch.add_column(sa.Column("a", sa.Integer))
        batch.alter_column("b", nullable=False, insert_after="a")
        batch.drop_column("c")
        batch.create_index("ix", ["a"])
        batch.drop_index("ix_old")
        batch.create_unique_constraint("uq", ["a"])
        batch.create_foreign_key("fk", "o", ["a"], ["id"])
        batch.create_check_constraint("ck", "a > 0")
        batch.create_primary_key("pk", ["a"])
        batch.drop_constraint("uq_old", type_="unique")
    recorded = only(ops)
    assert isinstance(recorded, BatchAlterTable)
    assert recorded.recreate == "always"
    kinds = [type(o).__name__ for o in recorded.operations]
    assert kinds == [
        "AddColumn",
        "AlterColumn",
        "DropColumn",
        "CreateIndex",
        "DropIndex",
        "CreateUniqueConstraint",
        "CreateForeignKey",
        "CreateCheckConstraint",
        "CreatePrimaryKey",
        "DropConstraint",
    ]
    assert all(o.table_key == ("s", "t") for o in recorded.operations)
    start = test_batch_records_one_operation.__code__.co_firstlineno
    assert recorded.origin is not None and recorded.origin.line == start + 1
    lines = [o.origin.line for o in recorded.operations if o.origin]
    assert lines == list(range(start + 2, start + 12))


def test_batch_records_nothing_when_block_raises(ops: list[Operation]) -> None:
    with pytest.raises(ValueError), op.batch_alter_table("t") as batch:
        batch.drop_column("c")
        raise ValueError("stop")
    assert ops == []


ALEMBIC_STYLE = '''"""add accounts

Revision ID: 1975ea83b712
Revises:
Create Date: 2011-11-08 11:40:27.089406

"""
from offline_sql import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "1975ea83b712"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("description", sa.Unicode(200)),
    )
    op.add_column("account", sa.Column("last_transaction_date", sa.DateTime))
    op.create_index(op.f("ix_account_name"), "account", ["name"], unique=False)
    if op.get_context().dialect.name == "postgresql":
        op.execute("COMMENT ON TABLE account IS 'accounts'")


def downgrade() -> None:
    op.drop_index(op.f("ix_account_name"), table_name="account")
    op.drop_column("account", "last_transaction_date")
    op.drop_table("account")
'''


def line_of(text: str) -> int:
    """1-based line of the script that starts the call ``text``."""
    return next(n for n, line in enumerate(ALEMBIC_STYLE.splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("direction", "kinds", "calls"),
    [
        (
            "upgrade",
            ["CreateTable", "AddColumn", "CreateIndex", "Execute"],
            ["op.create_table(", "op.add_column(", "op.create_index(", "op.execute("],
        ),
        (
            "downgrade",
            ["DropIndex", "DropColumn", "DropTable"],
            ["op.drop_index(", "op.drop_column(", "op.drop_table("],
        ),
    ],
)
def test_alembic_style_script(
    tmp_path: Path, direction: str, kinds: list[str], calls: list[str]
) -> None:
    path = tmp_path / "1975ea83b712_add_accounts.py"
    path.write_text(ALEMBIC_STYLE)
    recorded: list[Operation] = []
    recorder = Recorder("1975ea83b712", str(path), StubDialect(), recorded.append, True)  # type: ignore[arg-type]
    module = load_script(str(path), "1975ea83b712")
    with recording(recorder):
        run_revision(module, direction)  # type: ignore[arg-type]
    assert [type(o).__name__ for o in recorded] == kinds
    assert [o.origin.line for o in recorded if o.origin] == [line_of(c) for c in calls]


def _fields(operation: Operation) -> dict[str, Any]:
    """Every dataclass field but the origin (the script line differs)."""
    return {k: v for k, v in vars(operation).items() if k != "origin"}


TWINS: list[tuple[Callable[[], Any], Callable[[Any], Any]]] = [
    (
        lambda: op.drop_column("t", "c", schema="s", if_exists=True, mssql_drop_check=True),
        lambda b: b.drop_column("c", if_exists=True, mssql_drop_check=True),
    ),
    (
        lambda: op.drop_index("ix", "t", schema="s", if_exists=True, postgresql_concurrently=True),
        lambda b: b.drop_index("ix", if_exists=True, postgresql_concurrently=True),
    ),
    (
        lambda: op.create_foreign_key(
            "fk",
            "t",
            "dst",
            ["a"],
            ["id"],
            ondelete="CASCADE",
            onupdate="SET NULL",
            deferrable=True,
            initially="DEFERRED",
            match="FULL",
            source_schema="s",
            referent_schema="r",
        ),
        lambda b: b.create_foreign_key(
            "fk",
            "dst",
            ["a"],
            ["id"],
            ondelete="CASCADE",
            onupdate="SET NULL",
            deferrable=True,
            initially="DEFERRED",
            match="FULL",
            referent_schema="r",
        ),
    ),
    (
        lambda: op.create_table_comment("t", "new", existing_comment="old", schema="s"),
        lambda b: b.create_table_comment("new", existing_comment="old"),
    ),
    (
        lambda: op.create_table_comment("t", None, existing_comment="old", schema="s"),
        lambda b: b.create_table_comment(None, existing_comment="old"),
    ),
    (
        lambda: op.drop_table_comment("t", schema="s"),
        lambda b: b.drop_table_comment(),
    ),
    (
        lambda: op.alter_column("t", "c", type_=sa.BigInteger, existing_nullable=False, schema="s"),
        lambda b: b.alter_column("c", type_=sa.BigInteger, existing_nullable=False),
    ),
]


@pytest.mark.parametrize(("direct", "batched"), TWINS)
def test_batch_methods_build_what_their_op_twins_build(
    ops: list[Operation], direct: Callable[[], Any], batched: Callable[[Any], Any]
) -> None:
    direct()
    with op.batch_alter_table("t", schema="s") as batch:
        batched(batch)
    alone, block = ops
    assert isinstance(block, BatchAlterTable)
    (inside,) = block.operations
    assert type(inside) is type(alone)
    first, second = _fields(inside), _fields(alone)
    if isinstance(alone, AlterColumn):  # a fresh type instance on each side
        assert type(first.pop("type_")) is type(second.pop("type_"))
    assert first == second
