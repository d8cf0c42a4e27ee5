"""PostgreSQL renderings: SQL shapes, enum types, CONCURRENTLY, and scripts applied by psql."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from databases import ScratchDatabase

from offline_sql import operations as o
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.state import SchemaState
from offline_sql.statements import Statement


@pytest.fixture
def pg() -> Dialect:
    return get_dialect("postgresql")


def test_flags(pg: Dialect) -> None:
    assert pg.apply_hint == "psql -X -v ON_ERROR_STOP=1 -f {file}"
    assert pg.client_preamble == ("\\set ON_ERROR_STOP on",)
    assert (pg.sqlglot_name, pg.max_identifier_length, pg.transactional_ddl) == (
        "postgres",
        63,
        True,
    )


MOOD = sa.Enum("happy", "sad", name="mood")

CASES: list[tuple[str, o.Operation, list[str]]] = [
    (
        "alter_all",
        o.AlterColumn(
            "t",
            column_name="y",
            type_=sa.BigInteger(),
            nullable=False,
            server_default=sa.text("0"),
            comment="k",
            new_column_name="z",
            postgresql_using="y::bigint",
        ),
        [
            "ALTER TABLE t ALTER COLUMN y TYPE BIGINT USING y::bigint",
            "ALTER TABLE t ALTER COLUMN y SET NOT NULL",
            "ALTER TABLE t ALTER COLUMN y SET DEFAULT 0",
            "COMMENT ON COLUMN t.y IS 'k'",
            "ALTER TABLE t RENAME COLUMN y TO z",
        ],
    ),
    (
        "alter_drop",
        o.AlterColumn("t", column_name="y", nullable=True, server_default=None, comment=None),
        [
            "ALTER TABLE t ALTER COLUMN y DROP NOT NULL",
            "ALTER TABLE t ALTER COLUMN y DROP DEFAULT",
            "COMMENT ON COLUMN t.y IS NULL",
        ],
    ),
    (
        "alter_to_new_enum",
        o.AlterColumn("t", column_name="m", type_=MOOD),
        [
            "CREATE TYPE mood AS ENUM ('happy', 'sad')",
            "ALTER TABLE t ALTER COLUMN m TYPE mood USING m::text::mood",
        ],
    ),
    (
        "add_column_enum_fk_comment",
        o.AddColumn(
            "t",
            schema="s",
            column=sa.Column(
                "m",
                MOOD,
                sa.ForeignKey("s.o.m", ondelete="CASCADE"),
                nullable=False,
                server_default="happy",
                comment="feel",
            ),
        ),
        [
            "CREATE TYPE mood AS ENUM ('happy', 'sad')",
            "ALTER TABLE s.t ADD COLUMN m mood DEFAULT 'happy' NOT NULL",
            "ALTER TABLE s.t ADD FOREIGN KEY(m) REFERENCES s.o (m) ON DELETE CASCADE",
            "COMMENT ON COLUMN s.t.m IS 'feel'",
        ],
    ),
    (
        "drop_column_if_exists",
        o.DropColumn("t", column_name="c", if_exists=True),
        ["ALTER TABLE t DROP COLUMN IF EXISTS c"],
    ),
    (
        "partial_index",
        o.CreateIndex(
            "t",
            index_name="ix",
            columns=("a", "lower(b)"),
            unique=True,
            kw={"postgresql_where": sa.text("a > 1"), "postgresql_using": "btree"},
        ),
        ["CREATE UNIQUE INDEX ix ON t USING btree (a, lower(b)) WHERE a > 1"],
    ),
    ("drop_index_schema", o.DropIndex("t", schema="s", index_name="ix"), ["DROP INDEX s.ix"]),
    (
        "deferrable_fk",
        o.CreateForeignKey(
            "t",
            constraint_name="fk",
            referent_table="o",
            local_cols=("a",),
            remote_cols=("id",),
            referent_schema="s",
            ondelete="CASCADE",
            onupdate="SET NULL",
            deferrable=True,
            initially="DEFERRED",
            match="FULL",
        ),
        [
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY(a) REFERENCES s.o (id) MATCH FULL "
            "ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED"
        ],
    ),
    (
        "unique_deferrable",
        o.CreateUniqueConstraint("t", constraint_name="uq", columns=("a",), deferrable=True),
        ["ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a) DEFERRABLE"],
    ),
    (
        "table_comment",
        o.CreateTableComment("t", comment="it's"),
        ["COMMENT ON TABLE t IS 'it''s'"],
    ),
    ("drop_table_comment", o.DropTableComment("t"), ["COMMENT ON TABLE t IS NULL"]),
    (
        "quoted_names",
        o.RenameTable("User", schema="Sales", new_table_name="order"),
        ['ALTER TABLE "Sales"."User" RENAME TO "order"'],
    ),
]


@pytest.mark.parametrize(("op", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sql(pg: Dialect, op: o.Operation, expected: list[str]) -> None:
    assert [s.sql for s in pg.render(op, SchemaState())] == expected


def test_create_table_creates_enum_once_then_comments_and_indexes(pg: Dialect) -> None:
    op = o.CreateTable(
        "t",
        items=(
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("a", MOOD, index=True),
            sa.Column("b", MOOD, comment="b's"),
        ),
        comment="table",
    )
    sql = [s.sql for s in pg.render(op, SchemaState())]
    assert sql[0] == "CREATE TYPE mood AS ENUM ('happy', 'sad')"
    assert sql[1].startswith("CREATE TABLE t (")
    assert sql[2:] == [
        "COMMENT ON TABLE t IS 'table'",
        "COMMENT ON COLUMN t.b IS 'b''s'",
        "CREATE INDEX ix_t_a ON t (a)",
    ]


def test_known_enum_is_not_created_again(pg: Dialect) -> None:
    state = SchemaState()
    state.enums[(None, "mood")] = ("happy", "sad")
    op = o.AddColumn("t", column=sa.Column("m", MOOD))
    assert [s.sql for s in pg.render(op, state)] == ["ALTER TABLE t ADD COLUMN m mood"]


def _state_with(*ops: o.Operation) -> SchemaState:
    state = SchemaState("postgres")
    for op in ops:
        state.apply(op)
    return state


def test_drop_table_keeps_enum_types_as_alembic_does(pg: Dialect) -> None:
    """The script drops a type (``op.execute("DROP TYPE ...")``), never the table for it."""
    kind = sa.Enum("a", "b", name="kind")
    state = _state_with(
        o.CreateTable("t", items=(sa.Column("m", MOOD), sa.Column("k", kind))),
        o.CreateTable("u", items=(sa.Column("k", kind),)),
    )
    sql = [s.sql for s in pg.render(o.DropTable("t"), state)]
    assert sql == ["DROP TABLE t"]
    state.apply(o.DropTable("t"))
    assert (None, "mood") in state.enums


@pytest.mark.parametrize("op_cls", [o.CreateIndex, o.DropIndex])
def test_concurrently_is_outside_the_transaction(pg: Dialect, op_cls: type) -> None:
    kw = {"postgresql_concurrently": True}
    op = (
        o.CreateIndex("t", index_name="ix", columns=("a",), kw=kw)
        if op_cls is o.CreateIndex
        else o.DropIndex("t", index_name="ix", kw=kw)
    )
    [statement] = pg.render(op, SchemaState())
    assert "CONCURRENTLY" in statement.sql
    assert statement.transactional is False
    assert statement.comment


# ---- applied with psql ------------------------------------------------------------------


def script(dialect: Dialect, statements: list[Statement]) -> str:
    inside = [s for s in statements if s.transactional]
    outside = [s for s in statements if not s.transactional]
    lines = [*dialect.client_preamble, "BEGIN;"]
    lines += [f"{s.sql};" for s in inside] + ["COMMIT;"] + [f"{s.sql};" for s in outside]
    return "\n".join(lines) + "\n"


def render_all(dialect: Dialect, ops: list[o.Operation]) -> list[Statement]:
    state = SchemaState(dialect.sqlglot_name)
    out: list[Statement] = []
    for op in ops:
        out += dialect.render(op, state)
        state.apply(op)
    return out


@pytest.mark.postgresql
def test_applies_with_psql(pg: Dialect, postgresql_database: ScratchDatabase) -> None:
    ops: list[o.Operation] = [
        o.CreateTable("o", items=(sa.Column("id", sa.Integer, primary_key=True),)),
        o.CreateTable(
            "t",
            items=(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("m", MOOD, nullable=False, server_default="happy"),
                sa.Column("o_id", sa.Integer, sa.ForeignKey("o.id")),
                sa.Column("name", sa.String(20), comment="who's"),
            ),
            comment="tab",
        ),
        o.BulkInsert(
            "t",
            table=sa.table("t", sa.column("id", sa.Integer), sa.column("name", sa.String)),
            rows=[{"id": 1, "name": "50%\tdone\\"}],
        ),
        o.AlterColumn("t", column_name="name", type_=sa.Text(), nullable=False),
        o.AddColumn("t", column=sa.Column("k", sa.Enum("x", "y", name="kind"))),
        o.AlterColumn("t", column_name="name", new_column_name="label"),
        o.CreateIndex(
            "t", index_name="ix_t_name", columns=("label",), kw={"postgresql_concurrently": True}
        ),
    ]
    postgresql_database.apply_script(script(pg, render_all(pg, ops)))
    insp = sa.inspect(postgresql_database.engine())
    cols = {c["name"]: c for c in insp.get_columns("t")}
    assert not cols["label"]["nullable"]
    assert isinstance(cols["label"]["type"], sa.Text)
    assert cols["label"]["comment"] == "who's"
    assert [i["name"] for i in insp.get_indexes("t")] == ["ix_t_name"]
    with postgresql_database.engine().connect() as conn:
        assert conn.scalar(sa.text("SELECT label FROM t")) == "50%\tdone\\"
