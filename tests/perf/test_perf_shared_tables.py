"""Tables built once per operation: what the renderers and the replay share must not leak.

``op.create_table`` builds the ``sa.Table`` it returns, reads the state from it and renders
it before the script gets it; the replay adds copies of that state, and a renderer that
must change a constraint (a foreign-key action the database lacks) works on a copy of its
own. So a script changing the returned table, several dialects rendering one recorded
run, or one operation replayed twice all give what fresh copies gave.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from offline_sql import operations as o
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.recorder import Recorder, recording
from offline_sql.schema_items import Built, build_table
from offline_sql.state import SchemaState


def record(dialect: Dialect, body: Any) -> list[o.Operation]:
    """The operations ``body(op)`` records under a recorder for ``dialect``."""
    from offline_sql import op

    recorded: list[o.Operation] = []
    with recording(Recorder("r1", "<test>", dialect, recorded.append, True)):
        body(op)
    return recorded


def render(dialect: Dialect, operations: list[o.Operation]) -> list[str]:
    state = SchemaState(dialect.sqlglot_name)
    state.apply(o.CreateTable("parent", items=(sa.Column("id", sa.Integer, primary_key=True),)))
    out: list[str] = []
    for operation in operations:
        out += [s.sql for s in dialect.render(operation, state)]
        state.apply(operation)
    return out


def fresh(operation: o.Operation) -> o.Operation:
    """The same operation without anything built for it (as a test or autogen makes it)."""
    if isinstance(operation, o.CreateTable):
        return o.CreateTable(
            operation.table_name,
            schema=operation.schema,
            items=operation.items,
            comment=operation.comment,
            kw=operation.kw,
            if_not_exists=operation.if_not_exists,
        )
    if isinstance(operation, o.AddColumn):
        return o.AddColumn(operation.table_name, schema=operation.schema, column=operation.column)
    return operation


def body(op: Any) -> None:
    op.create_table(
        "child",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", name="fk_child_parent")),
        sa.Column("name", sa.String(20), unique=True, comment="shown"),
        sa.Index("ix_child_name", "name"),
        comment="children",
    )
    op.add_column("child", sa.Column("ref", sa.Integer, sa.ForeignKey("parent.id"), index=True))


@pytest.mark.parametrize("name", NAMES)
def test_prerendered_equals_rendering_a_copy(name: str) -> None:
    dialect = get_dialect(name)
    recorded = record(dialect, body)
    create = recorded[0]
    assert isinstance(create, o.CreateTable) and isinstance(create.built, Built)
    assert create.built.prerendered is not None
    assert render(dialect, recorded) == render(get_dialect(name), [fresh(x) for x in recorded])


def test_script_changing_the_returned_table_changes_nothing() -> None:
    dialect = get_dialect("postgresql")

    def changing(op: Any) -> None:
        table = op.create_table("child", sa.Column("id", sa.Integer, primary_key=True))
        table.append_column(sa.Column("extra", sa.Integer))
        sa.Index("ix_extra", table.c.extra)
        table.comment = "changed"

    recorded = record(dialect, changing)
    assert render(dialect, recorded) == [
        "CREATE TABLE child (\n\tid SERIAL NOT NULL, \n\tPRIMARY KEY (id)\n)"
    ]
    state = SchemaState()
    state.apply(recorded[0])
    child = state.get(None, "child")
    assert child is not None
    assert list(child.columns) == ["id"] and not child.indexes and child.comment is None


@pytest.mark.parametrize("name", NAMES)
def test_one_recorded_run_renders_for_every_dialect(name: str) -> None:
    """Recorded for PostgreSQL, rendered for each dialect: as if recorded for it."""

    def actions(op: Any) -> None:
        op.create_table(
            "child",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("parent_id", sa.Integer),
            sa.ForeignKeyConstraint(
                ["parent_id"], ["parent.id"], name="fk_a", ondelete="RESTRICT", onupdate="NO ACTION"
            ),
        )
        op.add_column(
            "child",
            sa.Column(
                "other", sa.Integer, sa.ForeignKey("parent.id", name="fk_b", ondelete="RESTRICT")
            ),
        )

    shared = record(get_dialect("postgresql"), actions)
    render(get_dialect("oracle"), shared)  # changes the actions on copies of its own
    dialect = get_dialect(name)
    assert render(dialect, shared) == render(get_dialect(name), record(get_dialect(name), actions))


def test_replaying_twice_gives_independent_tables() -> None:
    recorded = record(get_dialect("sqlite"), body)
    first, second = SchemaState(), SchemaState()
    for state in (first, second):
        state.apply(o.CreateTable("parent", items=(sa.Column("id", sa.Integer, primary_key=True),)))
        for operation in recorded:
            state.apply(operation)
    one, two = first.get(None, "child"), second.get(None, "child")
    assert one is not None and two is not None and one == two
    one.columns["name"].nullable = False
    one.foreign_keys[0].referent_table = "elsewhere"
    one.indexes["ix_child_name"].kw["x"] = 1
    one.uniques.clear()
    assert two.columns["name"].nullable is True
    assert two.foreign_keys[0].referent_table == "parent"
    assert "x" not in two.indexes["ix_child_name"].kw
    assert two.uniques


def test_items_recorded_stay_unattached() -> None:
    recorded = record(get_dialect("postgresql"), body)
    render(get_dialect("postgresql"), recorded)
    create = recorded[0]
    assert isinstance(create, o.CreateTable)
    for item in create.items:
        assert getattr(item, "table", None) is None or not isinstance(item, sa.Column)
    # the script's items still build a table of their own
    build_table("again", create.items, sa.MetaData())
