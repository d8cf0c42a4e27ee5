"""compare(): each kind of model change is found, and models equal to the state give nothing.

The migrations' side is built by applying operations to a SchemaState directly; the models
are plain ``sa.MetaData``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from offline_sql import operations as o
from offline_sql.autogen import compare, compare_metadata, render_script_body
from offline_sql.dialect_api.registry import NAMES
from offline_sql.operations import UNSET
from offline_sql.state import SchemaState

DIALECTS = NAMES


def base_state() -> SchemaState:
    """users(id, name VARCHAR(50) NULL, email) and orders(id, user_id -> users.id)."""
    state = SchemaState()
    state.apply(
        o.CreateTable(
            "users",
            items=(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("name", sa.String(50), nullable=True),
                sa.Column("email", sa.String(200), nullable=False, server_default="none"),
            ),
        )
    )
    state.apply(
        o.CreateTable(
            "orders",
            items=(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("user_id", sa.Integer, nullable=False),
                sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_orders_users"),
            ),
        )
    )
    return state


def base_models(
    *,
    name: sa.types.TypeEngine[Any] | None = None,
    name_nullable: bool = True,
    email_default: str | sa.TextClause = "none",
    users_extra: tuple[SchemaItem, ...] = (),
    orders_extra: tuple[SchemaItem, ...] = (),
    drop_email: bool = False,
    with_orders: bool = True,
) -> sa.MetaData:
    """The models matching :func:`base_state`, with one change asked for."""
    metadata = sa.MetaData()
    columns: list[SchemaItem] = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", name if name is not None else sa.String(50), nullable=name_nullable),
    ]
    if not drop_email:
        columns.append(
            sa.Column("email", sa.String(200), nullable=False, server_default=email_default)
        )
    sa.Table("users", metadata, *columns, *users_extra)
    if with_orders:
        sa.Table(
            "orders",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("user_id", sa.Integer, nullable=False),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_orders_users"),
            *orders_extra,
        )
    return metadata


@pytest.mark.parametrize("dialect", DIALECTS)
def test_models_equal_to_state_give_nothing(dialect: str) -> None:
    assert compare(base_models(), base_state(), dialect) == []


@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d != "oracle"])
def test_spelling_of_equivalent_types_is_not_a_difference(dialect: str) -> None:
    models = base_models(name=sa.VARCHAR(50), email_default=sa.text("'none'"))
    assert compare(models, base_state(), dialect) == []


def _new_table(metadata: sa.MetaData) -> None:
    sa.Table(
        "items",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.ForeignKey("orders.id", name="fk_items_orders")),
        sa.Column("sku", sa.String(20), nullable=False, index=True),
    )


Check = Callable[[list[o.Operation]], None]


def _only(kind: type[o.Operation], **attrs: Any) -> Check:
    def check(ops: list[o.Operation]) -> None:
        assert [type(op) for op in ops] == [kind], ops
        for key, value in attrs.items():
            assert getattr(ops[0], key) == value, (key, ops[0])

    return check


def _kinds(*kinds: type[o.Operation]) -> Check:
    def check(ops: list[o.Operation]) -> None:
        assert [type(op) for op in ops] == list(kinds), ops

    return check


def _created_table(ops: list[o.Operation]) -> None:
    assert [type(op) for op in ops] == [o.CreateTable, o.CreateIndex]
    create = ops[0]
    assert isinstance(create, o.CreateTable) and create.table_name == "items"
    names = [i.name for i in create.items if isinstance(i, sa.Column)]
    assert names == ["id", "order_id", "sku"]
    fks = [i for i in create.items if isinstance(i, sa.ForeignKeyConstraint)]
    assert [fk.name for fk in fks] == ["fk_items_orders"]
    index = ops[1]
    assert isinstance(index, o.CreateIndex) and index.columns == ("sku",)


def _altered(**changes: Any) -> Check:
    def check(ops: list[o.Operation]) -> None:
        assert [type(op) for op in ops] == [o.AlterColumn], ops
        op = ops[0]
        assert isinstance(op, o.AlterColumn)
        for key in ("type_", "nullable", "server_default"):
            if key in changes:
                expected = changes[key]
                value = getattr(op, key)
                assert (repr(value) if key == "type_" else value) == expected, (key, value)
            else:
                assert getattr(op, key) is UNSET, key

    return check


CASES: dict[str, tuple[Callable[[], sa.MetaData], Check]] = {
    "new table": (
        lambda: _with(base_models(), _new_table),
        _created_table,
    ),
    "dropped table": (
        lambda: base_models(with_orders=False),
        _only(o.DropTable, table_name="orders"),
    ),
    "new column": (
        lambda: base_models(users_extra=(sa.Column("age", sa.Integer),)),
        _only(o.AddColumn, table_name="users"),
    ),
    "dropped column": (
        lambda: base_models(drop_email=True),
        _only(o.DropColumn, table_name="users", column_name="email"),
    ),
    "type widened": (
        lambda: base_models(name=sa.String(100)),
        _altered(type_="String(length=100)"),
    ),
    "nullability changed": (
        lambda: base_models(name_nullable=False),
        _altered(nullable=False),
    ),
    "server default changed": (
        lambda: base_models(email_default="unknown"),
        _altered(server_default="unknown"),
    ),
    "new index": (
        lambda: base_models(users_extra=(sa.Index("ix_users_name", "name"),)),
        _only(o.CreateIndex, index_name="ix_users_name", columns=("name",)),
    ),
    "new unique constraint": (
        lambda: base_models(users_extra=(sa.UniqueConstraint("email", name="uq_users_email"),)),
        _only(o.CreateUniqueConstraint, constraint_name="uq_users_email", columns=("email",)),
    ),
    "new foreign key": (
        lambda: base_models(
            orders_extra=(
                sa.Column("referrer_id", sa.Integer),
                sa.ForeignKeyConstraint(["referrer_id"], ["users.id"], name="fk_referrer"),
            )
        ),
        _kinds(o.AddColumn, o.CreateForeignKey),
    ),
}


def _with(metadata: sa.MetaData, change: Callable[[sa.MetaData], None]) -> sa.MetaData:
    change(metadata)
    return metadata


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_each_kind_of_difference_is_found(case: str, dialect: str) -> None:
    models, check = CASES[case]
    check(compare(models(), base_state(), dialect))


def test_new_foreign_key_names_its_referent() -> None:
    models = base_models(
        orders_extra=(
            sa.Column("referrer_id", sa.Integer),
            sa.ForeignKeyConstraint(["referrer_id"], ["users.id"], name="fk_referrer"),
        )
    )
    ops = compare(models, base_state(), "postgresql")
    fk = ops[-1]
    assert isinstance(fk, o.CreateForeignKey)
    assert (fk.constraint_name, fk.table_name, fk.referent_table) == (
        "fk_referrer",
        "orders",
        "users",
    )
    assert (fk.local_cols, fk.remote_cols) == (("referrer_id",), ("id",))


def test_alter_carries_what_existed_for_the_downgrade() -> None:
    ops = compare(base_models(name=sa.String(100), name_nullable=False), base_state(), "mysql")
    (op,) = ops
    assert isinstance(op, o.AlterColumn)
    assert repr(op.existing_type) == "String(length=50)"
    assert op.existing_nullable is True


@pytest.mark.parametrize(
    ("model_type", "state_type", "dialect"),
    [
        (sa.DateTime(timezone=True), sa.DateTime(), "mysql"),
        (sa.Text(), sa.UnicodeText(), "postgresql"),
        (sa.Unicode(30), sa.String(30), "postgresql"),
    ],
)
def test_differences_the_dialect_cannot_see_are_not_flagged(
    model_type: sa.types.TypeEngine[Any], state_type: sa.types.TypeEngine[Any], dialect: str
) -> None:
    state = SchemaState()
    state.apply(o.CreateTable("t", items=(sa.Column("c", state_type),)))
    metadata = sa.MetaData()
    sa.Table("t", metadata, sa.Column("c", model_type))
    assert compare(metadata, state, dialect) == []


def test_new_tables_come_in_foreign_key_order_and_drops_in_reverse() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "c",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("b_id", sa.ForeignKey("b.id")),
    )
    sa.Table(
        "b",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a_id", sa.ForeignKey("a.id")),
    )
    sa.Table("a", metadata, sa.Column("id", sa.Integer, primary_key=True))
    ops = compare(metadata, SchemaState(), "postgresql")
    assert [op.table_name for op in ops if isinstance(op, o.CreateTable)] == ["a", "b", "c"]

    state = SchemaState()
    for op in ops:
        state.apply(op)
    drops = compare(sa.MetaData(), state, "postgresql")
    assert [(type(op), op.table_name) for op in drops if isinstance(op, o.DropTable)] == [
        (o.DropTable, "c"),
        (o.DropTable, "b"),
        (o.DropTable, "a"),
    ]


def test_foreign_key_cycle_is_created_after_the_tables() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "a",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("b_id", sa.Integer),
        sa.ForeignKeyConstraint(["b_id"], ["b.id"], name="fk_a_b"),
    )
    sa.Table(
        "b",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a_id", sa.Integer),
        sa.ForeignKeyConstraint(["a_id"], ["a.id"], name="fk_b_a"),
    )
    ops = compare(metadata, SchemaState(), "postgresql")
    assert [type(op) for op in ops] == [o.CreateTable, o.CreateTable, o.CreateForeignKey]
    state = SchemaState()
    for op in ops:
        state.apply(op)
    assert compare(metadata, state, "postgresql") == []


def test_order_is_deterministic() -> None:
    def run() -> tuple[str, str]:
        models = _with(base_models(name=sa.String(80), drop_email=True), _new_table)
        state = base_state()
        return render_script_body(compare(models, state, "postgresql"), state)

    assert run() == run()


def test_unnamed_constraint_to_drop_is_a_note_not_an_operation() -> None:
    state = base_state()
    state.apply(o.CreateUniqueConstraint("users", constraint_name=None, columns=("email",)))
    found = compare_metadata(base_models(), state, "postgresql")
    assert found.ops == []
    assert len(found.notes) == 1 and "unnamed unique constraint" in found.notes[0]


def test_version_table_and_excluded_tables_are_left_alone() -> None:
    state = base_state()
    state.apply(o.CreateTable("mig_version", items=(sa.Column("version_num", sa.String(32)),)))
    assert compare(base_models(), state, "sqlite", exclude_tables=[(None, "mig_version")]) == []


def test_renamed_column_is_a_drop_and_an_add() -> None:
    metadata = base_models(drop_email=True, users_extra=(sa.Column("mail", sa.String(200)),))
    kinds = [type(op) for op in compare(metadata, base_state(), "postgresql")]
    assert kinds == [o.AddColumn, o.DropColumn]
