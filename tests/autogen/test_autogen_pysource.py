"""render_script_body(): generated bodies compile, replaying them reaches the models, and the
downgrade brings the migrations' schema back."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from offline_sql import operations as o
from offline_sql.autogen import compare, render_script, render_script_body
from offline_sql.autogen.pysource import render_type
from offline_sql.recorder import Recorder, recording
from offline_sql.state import SchemaState


def start_state() -> SchemaState:
    state = SchemaState()
    state.apply(
        o.CreateTable(
            "users",
            items=(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("name", sa.String(50)),
                sa.Column("legacy", sa.Integer, server_default=sa.text("0")),
                sa.Index("ix_users_legacy", "legacy"),
            ),
        )
    )
    state.apply(
        o.CreateTable(
            "old_audit",
            items=(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("user_id", sa.Integer),
                sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_audit_user"),
                sa.UniqueConstraint("user_id", name="uq_audit_user"),
            ),
            comment="kept for a year",
        )
    )
    return state


def models() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, server_default="it's\t50%\\"),
        sa.Column("email", sa.Unicode(200), comment="héllo \U0001f600"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    sa.Table(
        "orders",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.ForeignKey("users.id", name="fk_orders_user", ondelete="CASCADE")),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.Enum("new", "paid", name="order_status")),
        sa.Column("data", postgresql.JSONB()),
        sa.Column("tags", sa.ARRAY(sa.String(20))),
        sa.CheckConstraint("total >= 0", name="ck_orders_total"),
        sa.Index("ix_orders_lower_status", sa.text("lower(status)")),
        comment="orders",
    )
    return metadata


def run_body(body: str, imports: tuple[str, ...] = ()) -> list[o.Operation]:
    """Execute a generated body with ``op`` bound to a recorder; return what it recorded."""
    from offline_sql import op
    from offline_sql.dialect_api.registry import get_dialect

    source = "\n".join(imports) + "\ndef body():\n" + body + "\n"
    namespace: dict[str, Any] = {"sa": sa, "op": op}
    exec(compile(source, "<generated>", "exec"), namespace)
    recorded: list[o.Operation] = []
    recorder = Recorder(
        "gen", "<generated>", get_dialect("postgresql"), recorded.append, True, None
    )
    with recording(recorder):
        namespace["body"]()
    return recorded


def replay(state: SchemaState, ops: list[o.Operation]) -> SchemaState:
    after = state.copy()
    for op in ops:
        after.apply(op)
    return after


@pytest.fixture
def generated() -> tuple[SchemaState, Any]:
    state = start_state()
    ops = compare(models(), state, "postgresql")
    return state, render_script(ops, state)


def test_bodies_compile(generated: tuple[SchemaState, Any]) -> None:
    _, script = generated
    for body in (script.upgrade, script.downgrade):
        compile("def f() -> None:\n" + body + "\n", "<generated>", "exec")


def test_upgrade_replayed_reaches_the_models(generated: tuple[SchemaState, Any]) -> None:
    state, script = generated
    after = replay(state, run_body(script.upgrade, script.imports))
    assert compare(models(), after, "postgresql") == []


def test_downgrade_replayed_returns_to_the_migrations(generated: tuple[SchemaState, Any]) -> None:
    state, script = generated
    after = replay(state, run_body(script.upgrade, script.imports))
    before = replay(after, run_body(script.downgrade, script.imports))
    back = sa.MetaData()
    for key in state.tables:
        state.to_table(key, back)
    assert compare(back, before, "postgresql") == []


def test_dialect_types_bring_their_import(generated: tuple[SchemaState, Any]) -> None:
    _, script = generated
    assert script.imports == ("from sqlalchemy.dialects import postgresql",)
    assert "postgresql.JSONB(astext_type=sa.Text())" in script.upgrade


def test_literals_are_written_exactly(generated: tuple[SchemaState, Any]) -> None:
    _, script = generated
    assert 'server_default="it\'s\\t50%\\\\"' in script.upgrade
    assert 'comment="héllo \U0001f600"' in script.upgrade


def test_nothing_to_do_is_pass() -> None:
    assert render_script_body([], SchemaState()) == ("    pass", "    pass")


def test_rename_is_never_guessed_but_hinted() -> None:
    state = start_state()
    metadata = sa.MetaData()
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("full_name", sa.String(50)),
        sa.Column("legacy", sa.Integer, server_default=sa.text("0"), index=True),
    )
    sa.Table(
        "audit",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_audit_user"),
        sa.UniqueConstraint("user_id", name="uq_audit_user"),
        comment="kept for a year",
    )
    upgrade, _ = render_script_body(compare(metadata, state, "sqlite"), state)
    assert "op.rename_table(old, new)" in upgrade
    assert 'op.alter_column("users", old, new_column_name=new)' in upgrade
    assert "new_column_name=" not in upgrade.replace("new_column_name=new)", "")
    assert 'op.drop_table("old_audit")' in upgrade
    assert 'op.drop_column("users", "name")' in upgrade


def test_downgrade_of_a_dropped_table_recreates_it_fully() -> None:
    state = start_state()
    ops = compare(sa.MetaData(), state, "postgresql")
    _, downgrade = render_script_body(ops, state)
    assert 'sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_audit_user")' in downgrade
    assert 'sa.UniqueConstraint("user_id", name="uq_audit_user")' in downgrade
    assert 'comment="kept for a year"' in downgrade
    assert 'op.create_index("ix_users_legacy", "users", ["legacy"])' in downgrade
    assert downgrade.index('"users"') < downgrade.index('"old_audit"')


@pytest.mark.parametrize(
    ("type_", "expected", "imports"),
    [
        (sa.String(length=50), "sa.String(length=50)", set()),
        (sa.Numeric(precision=12, scale=2), "sa.Numeric(precision=12, scale=2)", set()),
        (sa.Enum("a", "b", name="x"), "sa.Enum('a', 'b', name='x')", set()),
        (sa.ARRAY(sa.Integer), "sa.ARRAY(sa.Integer())", set()),
        (sa.DateTime(timezone=True), "sa.DateTime(timezone=True)", set()),
        (
            postgresql.JSONB(),
            "postgresql.JSONB(astext_type=sa.Text())",
            {"from sqlalchemy.dialects import postgresql"},
        ),
        (
            postgresql.ARRAY(postgresql.INET()),
            "postgresql.ARRAY(postgresql.INET())",
            {"from sqlalchemy.dialects import postgresql"},
        ),
    ],
)
def test_types_are_qualified(
    type_: sa.types.TypeEngine[Any], expected: str, imports: set[str]
) -> None:
    found: set[str] = set()
    assert render_type(type_, found) == expected
    assert found == imports
