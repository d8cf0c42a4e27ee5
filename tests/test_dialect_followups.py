"""Dialect follow-ups found by the offline==online and schema-state tests.

Each fix is checked on the rendered SQL and, where a server exists, applied with the
database's own client (``psql``, ``mariadb``) through ``tests/databases.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from databases import ScratchDatabase
from helpers import Rev, make_project
from test_offline_equals_online import cli_script, online_config

from offline_sql import migrate
from offline_sql import operations as o
from offline_sql.dialects import get_dialect
from offline_sql.dialects.base import Dialect
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

MOOD = sa.Enum("happy", "sad", name="mood")


def replayed(dialect: Dialect, *operations: o.Operation) -> SchemaState:
    """The state after the operations, as the migrations would leave it."""
    state = SchemaState(dialect.sqlglot_name)
    for op in operations:
        state.apply(op)
    return state


def rendered(dialect: Dialect, state: SchemaState, op: o.Operation) -> list[str]:
    return [s.sql for s in dialect.render(op, state)]


def render_all(dialect: Dialect, operations: list[o.Operation]) -> list[Statement]:
    """Each operation rendered on the state the earlier ones left, as mig does."""
    state = SchemaState(dialect.sqlglot_name)
    out: list[Statement] = []
    for op in operations:
        out += dialect.render(op, state)
        state.apply(op)
    return out


def as_script(dialect: Dialect, statements: list[Statement]) -> str:
    body = "".join(f"{s.sql}{dialect.terminator}\n" for s in statements)
    if dialect.begin_statement is None:
        return body
    preamble = "".join(f"{line}\n" for line in dialect.client_preamble)
    return f"{preamble}{dialect.begin_statement};\n{body}{dialect.commit_statement};\n"


# ---- 1. PostgreSQL: an enum type goes with its last column ------------------------------


@pytest.fixture
def pg() -> Dialect:
    return get_dialect("postgresql")


def two_tables(*extra: sa.Column[object]) -> tuple[o.Operation, ...]:
    kind = sa.Enum("a", "b", name="kind")
    return (
        o.CreateTable("t", items=(sa.Column("id", sa.Integer), sa.Column("m", MOOD), *extra)),
        o.CreateTable("u", items=(sa.Column("k", kind),)),
    )


def test_drop_column_drops_the_enum_it_used_last(pg: Dialect) -> None:
    state = replayed(pg, *two_tables())
    assert rendered(pg, state, o.DropColumn("t", column_name="m")) == [
        "ALTER TABLE t DROP COLUMN m",
        "DROP TYPE mood",
    ]


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(lambda: o.CreateTable("v", items=(sa.Column("m", MOOD),)), id="other-table"),
        pytest.param(lambda: o.AddColumn("t", column=sa.Column("m2", MOOD)), id="same-table"),
    ],
)
def test_drop_column_keeps_an_enum_still_used(pg: Dialect, other: object) -> None:
    assert callable(other)
    state = replayed(pg, *two_tables(), other())
    assert rendered(pg, state, o.DropColumn("t", column_name="m")) == [
        "ALTER TABLE t DROP COLUMN m"
    ]
    state.apply(o.DropColumn("t", column_name="m"))
    assert (None, "mood") in state.enums


def test_drop_column_keeps_a_type_mig_did_not_create(pg: Dialect) -> None:
    theirs = sa.Enum("x", name="theirs", create_type=False)
    state = replayed(
        pg, o.CreateTable("t", items=(sa.Column("id", sa.Integer), sa.Column("x", theirs)))
    )
    assert rendered(pg, state, o.DropColumn("t", column_name="x")) == [
        "ALTER TABLE t DROP COLUMN x"
    ]


def test_state_forgets_the_enum_with_its_last_column(pg: Dialect) -> None:
    state = replayed(pg, *two_tables(), o.DropColumn("t", column_name="m"))
    assert set(state.enums) == {(None, "kind")}
    assert rendered(pg, state, o.AddColumn("t", column=sa.Column("m", MOOD))) == [
        "CREATE TYPE mood AS ENUM ('happy', 'sad')",
        "ALTER TABLE t ADD COLUMN m mood",
    ]


def test_alter_column_away_from_an_enum_drops_it(pg: Dialect) -> None:
    state = replayed(pg, *two_tables())
    op = o.AlterColumn("t", column_name="m", type_=sa.Text())
    assert rendered(pg, state, op) == ["ALTER TABLE t ALTER COLUMN m TYPE TEXT", "DROP TYPE mood"]
    state.apply(op)
    assert set(state.enums) == {(None, "kind")}


def test_alter_column_to_the_same_enum_keeps_it(pg: Dialect) -> None:
    state = replayed(pg, *two_tables())
    op = o.AlterColumn("t", column_name="m", type_=MOOD, nullable=False)
    assert "DROP TYPE mood" not in rendered(pg, state, op)
    state.apply(op)
    assert (None, "mood") in state.enums


def test_enum_to_enum_with_a_default_moves_the_default_around_the_change(pg: Dialect) -> None:
    state = replayed(pg, o.CreateTable("t", items=(sa.Column("m", MOOD, server_default="sad"),)))
    feeling = sa.Enum("happy", "sad", "calm", name="feeling")
    assert rendered(pg, state, o.AlterColumn("t", column_name="m", type_=feeling)) == [
        "CREATE TYPE feeling AS ENUM ('happy', 'sad', 'calm')",
        "ALTER TABLE t ALTER COLUMN m DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN m TYPE feeling USING m::text::feeling",
        "ALTER TABLE t ALTER COLUMN m SET DEFAULT 'sad'",
        "DROP TYPE mood",
    ]


def test_enum_to_text_dropping_the_default_drops_it_once(pg: Dialect) -> None:
    state = replayed(pg, o.CreateTable("t", items=(sa.Column("m", MOOD, server_default="sad"),)))
    op = o.AlterColumn("t", column_name="m", type_=sa.Text(), server_default=None)
    assert rendered(pg, state, op) == [
        "ALTER TABLE t ALTER COLUMN m DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN m TYPE TEXT",
        "DROP TYPE mood",
    ]


MOOD_SRC = 'sa.Enum("happy", "sad", name="mood")'
FEELING_SRC = 'sa.Enum("happy", "sad", "calm", name="feeling")'
ENUM_HISTORY = (
    Rev(
        "e1",
        None,
        upgrade='op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
        downgrade='op.drop_table("t")',
    ),
    Rev(
        "e2",
        "e1",
        upgrade=f'op.add_column("t", sa.Column("m", {MOOD_SRC}, server_default="sad"))',
        downgrade='op.drop_column("t", "m")',
    ),
    Rev(
        "e3",
        "e2",
        upgrade=f'op.alter_column("t", "m", type_={FEELING_SRC})',
        downgrade=f'op.alter_column("t", "m", type_={MOOD_SRC})',
    ),
    Rev(
        "e4",
        "e3",
        upgrade='op.alter_column("t", "m", type_=sa.String(10))',
        downgrade=f'op.alter_column("t", "m", type_={FEELING_SRC})',
    ),
)
ENUM_STEPS = [
    ("upgrade", "base:e4"),
    ("downgrade", "e4:e3"),
    ("downgrade", "e3:e2"),
    ("downgrade", "e2:e1"),
    ("upgrade", "e1:e2"),
    ("upgrade", "e2:e4"),
    ("downgrade", "e4:e1"),
    ("upgrade", "e1:e3"),
]
"""Down and up again across the enum changes: each way must find the types it expects."""


def enum_types(database: ScratchDatabase) -> list[str]:
    with database.engine().connect() as connection:
        return list(
            connection.scalars(
                sa.text("SELECT typname FROM pg_type WHERE typtype = 'e' ORDER BY 1")
            )
        )


def column_default(database: ScratchDatabase) -> str | None:
    columns = {c["name"]: c for c in sa.inspect(database.engine()).get_columns("t")}
    default = columns["m"]["default"]
    return None if default is None else str(default)


@pytest.mark.postgresql
def test_enum_history_goes_down_and_up_offline(
    postgresql_database: ScratchDatabase, tmp_path: Path
) -> None:
    config = make_project(tmp_path / "project", ENUM_HISTORY)
    for command, span in ENUM_STEPS:
        postgresql_database.apply_script(cli_script(config, "postgresql", command, span))
        postgresql_database.dispose()
    assert enum_types(postgresql_database) == ["feeling"]
    assert column_default(postgresql_database) == "'sad'::feeling"


@pytest.mark.postgresql
def test_enum_history_goes_down_and_up_online(
    postgresql_database: ScratchDatabase, tmp_path: Path
) -> None:
    config = online_config(make_project(tmp_path / "project", ENUM_HISTORY), postgresql_database)
    for command, span in ENUM_STEPS:
        target = span.partition(":")[2]
        (migrate.upgrade if command == "upgrade" else migrate.downgrade)(config, target)
    assert enum_types(postgresql_database) == ["feeling"]
    assert column_default(postgresql_database) == "'sad'::feeling"
