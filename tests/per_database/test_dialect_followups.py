"""Dialect follow-ups found by the offline==online and schema-state tests.

Each fix is checked on the rendered SQL and, where a server exists, applied with the
database's own client (``psql``, ``mariadb``) through ``tests/support/databases.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from databases import ScratchDatabase, ScriptFailed
from helpers import Rev, make_project
from offline_online import cli_script, online_config
from sqlalchemy.dialects import postgresql

from offline_sql import migrate
from offline_sql import operations as o
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState
from offline_sql.statements import Statement

SQLALCHEMY_2_1 = tuple(int(part) for part in sa.__version__.split(".")[:2]) >= (2, 1)
"""Python 3.10 gets SQLAlchemy 2.0, whose own behaviour some tests here describe differently."""

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


# ---- 1. PostgreSQL: an enum type stays until the script drops it (as with Alembic) -------


@pytest.fixture
def pg() -> Dialect:
    return get_dialect("postgresql")


def two_tables(*extra: sa.Column[object]) -> tuple[o.Operation, ...]:
    kind = sa.Enum("a", "b", name="kind")
    return (
        o.CreateTable("t", items=(sa.Column("id", sa.Integer), sa.Column("m", MOOD), *extra)),
        o.CreateTable("u", items=(sa.Column("k", kind),)),
    )


def test_drop_column_keeps_the_enum_it_used_last(pg: Dialect) -> None:
    state = replayed(pg, *two_tables())
    assert rendered(pg, state, o.DropColumn("t", column_name="m")) == [
        "ALTER TABLE t DROP COLUMN m",
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


THEIR_ENUMS = {
    "postgresql.ENUM": lambda: postgresql.ENUM("x", name="theirs", create_type=False),
    "sa.Enum": pytest.param(
        lambda: sa.Enum("x", name="theirs", create_type=False),
        marks=pytest.mark.skipif(
            not SQLALCHEMY_2_1, reason="SQLAlchemy 2.0's sa.Enum ignores create_type"
        ),
    ),
}


@pytest.mark.parametrize("make", THEIR_ENUMS.values(), ids=THEIR_ENUMS.keys())
def test_drop_column_keeps_a_type_mig_did_not_create(pg: Dialect, make: Any) -> None:
    theirs = make()
    state = replayed(
        pg, o.CreateTable("t", items=(sa.Column("id", sa.Integer), sa.Column("x", theirs)))
    )
    assert rendered(pg, state, o.DropColumn("t", column_name="x")) == [
        "ALTER TABLE t DROP COLUMN x"
    ]


def test_state_forgets_the_enum_when_raw_sql_drops_it(pg: Dialect) -> None:
    state = replayed(pg, *two_tables(), o.DropColumn("t", column_name="m"))
    assert set(state.enums) == {(None, "kind"), (None, "mood")}
    add = o.AddColumn("t", column=sa.Column("m", MOOD))
    assert rendered(pg, state, add) == ["ALTER TABLE t ADD COLUMN m mood"]
    state.apply(o.Execute(sqltext="DROP TYPE Mood"))
    assert set(state.enums) == {(None, "kind")}
    assert rendered(pg, state, o.AddColumn("t", column=sa.Column("m", MOOD))) == [
        "CREATE TYPE mood AS ENUM ('happy', 'sad')",
        "ALTER TABLE t ADD COLUMN m mood",
    ]


def test_alter_column_away_from_an_enum_keeps_it(pg: Dialect) -> None:
    state = replayed(pg, *two_tables())
    op = o.AlterColumn("t", column_name="m", type_=sa.Text())
    assert rendered(pg, state, op) == ["ALTER TABLE t ALTER COLUMN m TYPE TEXT"]
    state.apply(op)
    assert set(state.enums) == {(None, "kind"), (None, "mood")}


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
    ]


def test_enum_to_text_dropping_the_default_drops_it_once(pg: Dialect) -> None:
    """The default is dropped once; the type stays (the script drops it if it wants)."""
    state = replayed(pg, o.CreateTable("t", items=(sa.Column("m", MOOD, server_default="sad"),)))
    op = o.AlterColumn("t", column_name="m", type_=sa.Text(), server_default=None)
    assert rendered(pg, state, op) == [
        "ALTER TABLE t ALTER COLUMN m DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN m TYPE TEXT",
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
        downgrade='op.drop_column("t", "m")\nop.execute("DROP TYPE mood")',
    ),
    Rev(
        "e3",
        "e2",
        upgrade=f'op.alter_column("t", "m", type_={FEELING_SRC})',
        downgrade=f'op.alter_column("t", "m", type_={MOOD_SRC})\nop.execute("DROP TYPE feeling")',
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
"""Down and up again across the enum changes: each way must find the types it expects
(the downgrades drop the types their upgrades created, as Alembic histories do)."""


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
    assert enum_types(postgresql_database) == ["feeling", "mood"]
    assert column_default(postgresql_database) == "'sad'::feeling"


@pytest.mark.postgresql
def test_enum_history_goes_down_and_up_online(
    postgresql_database: ScratchDatabase, tmp_path: Path
) -> None:
    config = online_config(make_project(tmp_path / "project", ENUM_HISTORY), postgresql_database)
    for command, span in ENUM_STEPS:
        target = span.partition(":")[2]
        (migrate.upgrade if command == "upgrade" else migrate.downgrade)(config, target)
    assert enum_types(postgresql_database) == ["feeling", "mood"]
    assert column_default(postgresql_database) == "'sad'::feeling"


# ---- 2. PostgreSQL: a generated column must say persisted= -------------------------------


def computed_column(persisted: bool | None) -> sa.Column[int]:
    return sa.Column("double", sa.Integer, sa.Computed("n * 2", persisted=persisted))


COMPUTED_OPS = {
    "create_table": lambda c: o.CreateTable("t", items=(sa.Column("n", sa.Integer), c)),
    "add_column": lambda c: o.AddColumn("t", column=c),
}


@pytest.mark.parametrize("make", COMPUTED_OPS.values(), ids=COMPUTED_OPS.keys())
def test_computed_without_persisted_is_refused_on_postgresql(pg: Dialect, make: object) -> None:
    assert callable(make)
    with pytest.raises(RenderError, match=r"'double' without persisted=.*persisted=True"):
        pg.render(make(computed_column(None)), SchemaState())


@pytest.mark.parametrize(("persisted", "keyword"), [(True, "STORED"), (False, "VIRTUAL")])
def test_computed_with_persisted_says_so(pg: Dialect, persisted: bool, keyword: str) -> None:
    [sql] = rendered(pg, SchemaState(), o.AddColumn("t", column=computed_column(persisted)))
    assert sql == f"ALTER TABLE t ADD COLUMN double INTEGER GENERATED ALWAYS AS (n * 2) {keyword}"


@pytest.mark.parametrize("dialect", ["mysql", "mariadb", "mssql", "oracle"])
def test_computed_without_persisted_stays_allowed_elsewhere(dialect: str) -> None:
    op = o.AddColumn("t", column=computed_column(None))
    assert get_dialect(dialect).render(op, SchemaState())


@pytest.mark.postgresql
def test_stored_generated_column_applies_with_psql(
    pg: Dialect, postgresql_database: ScratchDatabase
) -> None:
    operations: list[o.Operation] = [
        o.CreateTable("t", items=(sa.Column("n", sa.Integer), computed_column(True))),
        o.AddColumn("t", column=sa.Column("triple", sa.Integer, sa.Computed("n * 3", True))),
        o.Execute("INSERT INTO t (n) VALUES (7)"),
    ]
    postgresql_database.apply_script(as_script(pg, render_all(pg, operations)))
    with postgresql_database.engine().connect() as connection:
        assert connection.execute(sa.text("SELECT double, triple FROM t")).one() == (14, 21)


@pytest.mark.postgresql
@pytest.mark.skipif(
    not SQLALCHEMY_2_1, reason="SQLAlchemy 2.0 writes STORED when persisted= is missing"
)
def test_what_sqlalchemy_writes_without_persisted_fails_before_postgresql_18(
    postgresql_database: ScratchDatabase,
) -> None:
    """Why mig refuses: without a connection SQLAlchemy writes no keyword, which PostgreSQL
    before 18 rejects and 18 reads as VIRTUAL (connected to an older server, SQLAlchemy
    writes STORED with a warning instead)."""
    with postgresql_database.engine().connect() as connection:
        version = connection.dialect.server_version_info
        if version is not None and version >= (18,):
            pytest.skip("PostgreSQL 18 accepts virtual generated columns")
    table = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Integer), computed_column(None))
    sql = str(
        sa.schema.CreateTable(table).compile(
            dialect=sa.create_engine("postgresql+psycopg://").dialect
        )
    )
    assert "STORED" not in sql
    with pytest.raises(ScriptFailed, match="syntax error"):
        postgresql_database.apply_script(f"{sql};\n")


# ---- 3. MySQL/MariaDB: expressions in indexes --------------------------------------------

EXPRESSIONS = {
    "text": (sa.text("lower(name)"),),
    "string": ("lower(name)",),
    "function": (sa.func.lower(sa.column("name")),),
    "cast": (sa.cast(sa.column("name"), sa.CHAR(5)),),
    "desc-function": (sa.desc(sa.func.lower(sa.column("name"))),),
    "text-desc": ("id", sa.text("lower(name) DESC")),
}
MYSQL_KEY_PARTS = {
    "text": "((lower(name)))",
    "string": "((lower(name)))",
    "function": "((lower(name)))",
    "cast": "((CAST(name AS CHAR(5))))",
    "desc-function": "((lower(name)) DESC)",
    "text-desc": "(id, (lower(name)) DESC)",
}


@pytest.mark.parametrize("case", EXPRESSIONS)
def test_mysql_writes_functional_key_parts(case: str) -> None:
    op = o.CreateIndex("t", index_name="ix", columns=EXPRESSIONS[case])
    assert rendered(get_dialect("mysql"), SchemaState(), op) == [
        f"CREATE INDEX ix ON t {MYSQL_KEY_PARTS[case]}"
    ]


@pytest.mark.parametrize(
    "columns",
    [
        ("name",),
        (sa.text("name DESC"), "id"),
        (sa.desc(sa.column("name")),),
        (sa.text("name(10)"),),
    ],
    ids=["name", "text-name-desc", "desc-column", "prefix"],
)
@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_plain_key_parts_are_unchanged(dialect: str, columns: tuple[object, ...]) -> None:
    op = o.CreateIndex("t", index_name="ix", columns=columns)  # type: ignore[arg-type]
    [sql] = rendered(get_dialect(dialect), SchemaState(), op)
    assert "((" not in sql and sql.startswith("CREATE INDEX ix ON t (")


def test_mysql_create_table_index_on_an_expression() -> None:
    op = o.CreateTable(
        "t",
        items=(sa.Column("name", sa.String(20)), sa.Index("ix", sa.text("lower(name)"))),
    )
    assert rendered(get_dialect("mysql"), SchemaState(), op)[1:] == [
        "CREATE INDEX ix ON t ((lower(name)))"
    ]


MARIADB_EXPRESSION_OPS = {
    **{
        f"create_index-{case}": (
            lambda cols=cols: o.CreateIndex("t", index_name="ix", columns=cols)
        )
        for case, cols in EXPRESSIONS.items()
    },
    "create_table": lambda: o.CreateTable(
        "t",
        items=(sa.Column("name", sa.String(20)), sa.Index("ix", sa.func.lower(sa.text("name")))),
    ),
}


@pytest.mark.parametrize("make", MARIADB_EXPRESSION_OPS.values(), ids=MARIADB_EXPRESSION_OPS.keys())
def test_mariadb_refuses_an_index_on_an_expression(make: object) -> None:
    assert callable(make)
    with pytest.raises(RenderError, match=r"not supported on mariadb; add a generated column"):
        get_dialect("mariadb").render(make(), SchemaState())


@pytest.mark.mysql
@pytest.mark.parametrize("key_part", ["((lower(name)))", "(lower(name))"])
def test_mariadb_server_rejects_both_spellings(
    mariadb_database: ScratchDatabase, key_part: str
) -> None:
    mariadb_database.apply_script("CREATE TABLE t (name VARCHAR(20));\n")
    with pytest.raises(ScriptFailed, match="1064"):
        mariadb_database.apply_script(f"CREATE INDEX ix ON t {key_part};\n")


@pytest.mark.mysql
def test_mariadb_way_out_generated_column_and_index_applies(
    mariadb_database: ScratchDatabase,
) -> None:
    maria = get_dialect("mariadb")
    operations: list[o.Operation] = [
        o.CreateTable("t", items=(sa.Column("name", sa.String(20)),)),
        o.AddColumn("t", column=sa.Column("name_lower", sa.String(20), sa.Computed("lower(name)"))),
        o.CreateIndex("t", index_name="ix_t_name_lower", columns=("name_lower",)),
        o.Execute("INSERT INTO t (name) VALUES ('MiG')"),
    ]
    mariadb_database.apply_script(as_script(maria, render_all(maria, operations)))
    inspector = sa.inspect(mariadb_database.engine())
    assert [i["column_names"] for i in inspector.get_indexes("t")] == [["name_lower"]]
    with mariadb_database.engine().connect() as connection:
        assert connection.scalar(sa.text("SELECT name_lower FROM t")) == "mig"


# ---- 4. MySQL/MariaDB: a column the state does not know needs existing_comment -----------

HINTED: dict[str, Any] = {
    "existing_type": sa.String(20),
    "existing_nullable": False,
    "existing_server_default": "x",
}


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_unknown_column_asks_for_existing_comment(dialect: str) -> None:
    op = o.AlterColumn("ghost", column_name="c", type_=sa.String(40), **HINTED)
    with pytest.raises(RenderError, match=r"add existing_comment=\.\.\. .*existing_comment=''"):
        get_dialect(dialect).render(op, SchemaState())


@pytest.mark.parametrize(
    ("kw", "comment"),
    [
        ({"existing_comment": "the note"}, " COMMENT 'the note'"),
        ({"existing_comment": ""}, ""),
        ({"comment": "new"}, " COMMENT 'new'"),
        ({"comment": None}, ""),
    ],
    ids=["kept", "none", "changed", "dropped"],
)
def test_unknown_column_comment_from_the_call(kw: dict[str, Any], comment: str) -> None:
    op = o.AlterColumn("ghost", column_name="c", type_=sa.String(40), **HINTED, **kw)
    assert rendered(get_dialect("mariadb"), SchemaState(), op) == [
        f"ALTER TABLE ghost MODIFY COLUMN c VARCHAR(40) NOT NULL{comment} DEFAULT 'x'"
    ]


def test_known_column_needs_no_comment_hint() -> None:
    maria = get_dialect("mariadb")
    state = replayed(maria, o.CreateTable("t", items=(sa.Column("c", sa.String(20), comment="n"),)))
    op = o.AlterColumn("t", column_name="c", type_=sa.String(40))
    assert rendered(maria, state, op) == ["ALTER TABLE t MODIFY COLUMN c VARCHAR(40) COMMENT 'n'"]


def column_comment(database: ScratchDatabase, table: str, column: str) -> str | None:
    columns = {c["name"]: c for c in sa.inspect(database.engine()).get_columns(table)}
    comment = columns[column].get("comment")
    return None if comment is None else str(comment)


@pytest.mark.mysql
@pytest.mark.parametrize("note", ["the note", ""])
def test_existing_comment_keeps_the_comment_of_a_table_mig_never_saw(
    mariadb_database: ScratchDatabase, note: str
) -> None:
    comment = f" COMMENT '{note}'" if note else ""
    mariadb_database.apply_script(
        f"CREATE TABLE ghost (c VARCHAR(20) NOT NULL DEFAULT 'x'{comment});\n"
    )
    maria = get_dialect("mariadb")
    op = o.AlterColumn(
        "ghost", column_name="c", type_=sa.String(40), existing_comment=note, **HINTED
    )
    mariadb_database.apply_script(as_script(maria, maria.render(op, SchemaState())))
    assert column_comment(mariadb_database, "ghost", "c") == (note or None)


# ---- 5. MariaDB: a type change of a column a foreign key uses ------------------------------


def keyed(parent: sa.types.TypeEngine[Any], child: sa.types.TypeEngine[Any]) -> list[o.Operation]:
    return [
        o.CreateTable("users", items=(sa.Column("code", parent, primary_key=True),)),
        o.CreateTable(
            "orders",
            items=(
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("code", child, sa.ForeignKey("users.code", name="fk_orders_user")),
            ),
        ),
    ]


def test_type_change_of_a_foreign_key_column_moves_the_key() -> None:
    maria = get_dialect("mariadb")
    state = replayed(maria, *keyed(sa.String(40), sa.String(20)))
    op = o.AlterColumn("orders", column_name="code", type_=sa.String(40))
    statements = maria.render(op, state)
    assert [s.sql for s in statements] == [
        "ALTER TABLE orders DROP FOREIGN KEY fk_orders_user",
        "ALTER TABLE orders MODIFY COLUMN code VARCHAR(40)",
        "ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY(code) "
        "REFERENCES users (code)",
    ]
    assert statements[0].comment and "re-added" in statements[0].comment


@pytest.mark.parametrize(
    ("table", "column"), [("orders", "code"), ("users", "code")], ids=["child", "parent"]
)
def test_one_sided_integer_change_names_the_way_out(table: str, column: str) -> None:
    maria = get_dialect("mariadb")
    state = replayed(maria, *keyed(sa.Integer(), sa.Integer()))
    op = o.AlterColumn(table, column_name=column, type_=sa.BigInteger())
    with pytest.raises(RenderError, match=r"op\.drop_constraint\('fk_orders_user', 'orders'"):
        maria.render(op, state)


def test_changes_that_keep_the_type_leave_the_key_alone() -> None:
    maria = get_dialect("mariadb")
    state = replayed(maria, *keyed(sa.Integer(), sa.Integer()))
    op = o.AlterColumn("orders", column_name="code", nullable=False)
    assert rendered(maria, state, op) == ["ALTER TABLE orders MODIFY COLUMN code INTEGER NOT NULL"]


@pytest.mark.mysql
def test_mariadb_refuses_the_bare_modify(mariadb_database: ScratchDatabase) -> None:
    maria = get_dialect("mariadb")
    mariadb_database.apply_script(
        as_script(maria, render_all(maria, keyed(sa.String(40), sa.String(20))))
    )
    with pytest.raises(ScriptFailed, match="1832"):
        mariadb_database.apply_script("ALTER TABLE orders MODIFY COLUMN code VARCHAR(40);\n")


@pytest.mark.mysql
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param((sa.String(40), sa.String(20)), id="child-string"),
        pytest.param((sa.String(10), sa.String(10)), id="both-strings"),
    ],
)
def test_moved_key_applies_with_the_mariadb_client(
    mariadb_database: ScratchDatabase, changes: tuple[sa.String, sa.String]
) -> None:
    maria = get_dialect("mariadb")
    parent, child = changes
    operations = [
        *keyed(parent, child),
        o.AlterColumn("users", column_name="code", type_=sa.String(30)),
        o.AlterColumn("orders", column_name="code", type_=sa.String(30), new_column_name="ucode"),
    ]
    mariadb_database.apply_script(as_script(maria, render_all(maria, operations)))
    inspector = sa.inspect(mariadb_database.engine())
    [fk] = inspector.get_foreign_keys("orders")
    assert (fk["name"], fk["constrained_columns"], fk["referred_columns"]) == (
        "fk_orders_user",
        ["ucode"],
        ["code"],
    )
    types = {c["name"]: str(c["type"]) for c in inspector.get_columns("orders")}
    assert types["ucode"] == "VARCHAR(30)"


@pytest.mark.mysql
def test_integer_way_out_applies(mariadb_database: ScratchDatabase) -> None:
    """What the error asks for: drop the key, change both sides, add it again."""
    maria = get_dialect("mariadb")
    operations = [
        *keyed(sa.Integer(), sa.Integer()),
        o.DropConstraint("orders", constraint_name="fk_orders_user", type_="foreignkey"),
        o.AlterColumn("users", column_name="code", type_=sa.BigInteger()),
        o.AlterColumn("orders", column_name="code", type_=sa.BigInteger()),
        o.CreateForeignKey(
            "orders",
            constraint_name="fk_orders_user",
            referent_table="users",
            local_cols=("code",),
            remote_cols=("code",),
        ),
    ]
    mariadb_database.apply_script(as_script(maria, render_all(maria, operations)))
    [fk] = sa.inspect(mariadb_database.engine()).get_foreign_keys("orders")
    assert fk["name"] == "fk_orders_user"
