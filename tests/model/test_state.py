"""SchemaState replay: every operation, renames that follow, require(), to_table()."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable as SACreateTable

from offline_sql.errors import RenderError
from offline_sql.operations import (
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
    Operation,
    Origin,
    RenameTable,
)
from offline_sql.state import SchemaState
from offline_sql.table_state import TableState

ORIGIN = Origin("versions/r2.py", 12, "r2")


def replay(*ops: Operation) -> SchemaState:
    state = SchemaState("postgres")
    for operation in ops:
        state.apply(operation)
    return state


def users() -> CreateTable:
    return CreateTable(
        "users",
        items=(
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String(100), nullable=False, unique=True),
            sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id", ondelete="CASCADE")),
            sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
            sa.Column("n", sa.Integer, server_default="0", comment="count", index=True),
            sa.Column("seq", sa.Integer, sa.Identity(start=5)),
            sa.CheckConstraint("n >= 0", name="ck_n"),
            sa.Index("ix_lower_email", sa.text("lower(email)")),
        ),
        comment="people",
        kw={"mysql_engine": "InnoDB"},
    )


def orgs() -> CreateTable:
    return CreateTable(
        "orgs",
        items=(
            sa.Column("id", sa.Integer),
            sa.Column("name", sa.String(10)),
            sa.PrimaryKeyConstraint("id", name="pk_orgs"),
            sa.UniqueConstraint("name", name="uq_orgs_name"),
        ),
    )


def table(state: SchemaState, name: str, schema: str | None = None) -> TableState:
    found = state.get(schema, name)
    assert found is not None
    return found


# ---- create_table ---------------------------------------------------------------------


def test_create_table_columns() -> None:
    t = table(replay(users()), "users")
    assert list(t.columns) == ["id", "email", "org_id", "mood", "n", "seq"]
    assert t.columns["id"].primary_key and not t.columns["id"].nullable
    assert not t.columns["email"].nullable
    assert isinstance(t.columns["email"].type, sa.String)
    assert t.columns["n"].server_default == "0"
    assert t.columns["n"].comment == "count"
    assert t.columns["seq"].identity is not None
    assert t.columns["seq"].server_default is None
    assert t.comment == "people"
    assert t.kw == {"mysql_engine": "InnoDB"}


def test_create_table_constraints() -> None:
    t = table(replay(users()), "users")
    assert t.primary_key is not None and t.primary_key.columns == ("id",)
    assert [(u.name, u.columns) for u in t.uniques] == [(None, ("email",))]
    [fk] = t.foreign_keys
    assert (fk.columns, fk.referent_table, fk.referent_columns, fk.ondelete) == (
        ("org_id",),
        "orgs",
        ("id",),
        "CASCADE",
    )
    assert [(c.name, c.sqltext) for c in t.checks] == [("ck_n", "n >= 0")]
    assert sorted(t.indexes) == ["ix_lower_email", "ix_users_n"]
    assert t.indexes["ix_lower_email"].columns == ("lower(email)",)


def test_create_table_items_untouched() -> None:
    operation = users()
    replay(operation)
    replay(operation)
    column = operation.items[0]
    assert isinstance(column, sa.Column)
    assert getattr(column, "table", None) is None


def test_named_primary_key_and_unique() -> None:
    t = table(replay(orgs()), "orgs")
    assert t.primary_key is not None and t.primary_key.name == "pk_orgs"
    assert not t.columns["id"].nullable
    assert [u.name for u in t.uniques] == ["uq_orgs_name"]


def test_enum_recorded_once() -> None:
    other = CreateTable("t2", items=(sa.Column("m", sa.Enum("x", name="mood")),))
    state = replay(users(), other)
    assert state.enums == {(None, "mood"): ("happy", "sad")}


def test_create_table_if_not_exists_keeps_existing() -> None:
    again = CreateTable("orgs", items=(sa.Column("other", sa.Integer),), if_not_exists=True)
    t = table(replay(orgs(), again), "orgs")
    assert list(t.columns) == ["id", "name"]


# ---- tables ---------------------------------------------------------------------------


def test_drop_table() -> None:
    assert replay(orgs(), DropTable("orgs")).get(None, "orgs") is None


def test_rename_table_moves_key_and_fks_follow() -> None:
    state = replay(orgs(), users(), RenameTable("orgs", new_table_name="companies"))
    assert state.get(None, "orgs") is None
    assert table(state, "companies").name == "companies"
    assert table(state, "users").foreign_keys[0].referent_table == "companies"


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (CreateTableComment("orgs", comment="c"), "c"),
        (DropTableComment("orgs"), None),
    ],
)
def test_table_comment(operation: Operation, expected: str | None) -> None:
    start = CreateTable("orgs", items=(sa.Column("id", sa.Integer),), comment="old")
    assert table(replay(start, operation), "orgs").comment == expected


def test_bulk_insert_changes_nothing() -> None:
    state = replay(orgs())
    before = repr(state.tables)
    state.apply(BulkInsert("orgs", table=sa.table("orgs"), rows=[{"id": 1}]))
    assert repr(state.tables) == before


# ---- columns --------------------------------------------------------------------------


def test_add_column_with_fk_unique_index() -> None:
    column = sa.Column("boss_id", sa.Integer, sa.ForeignKey("users.id"), unique=True)
    indexed = sa.Column("code", sa.String(3), index=True, nullable=False)
    state = replay(users(), AddColumn("users", column=column), AddColumn("users", column=indexed))
    t = table(state, "users")
    assert list(t.columns)[-2:] == ["boss_id", "code"]
    assert not t.columns["code"].nullable
    assert ("boss_id",) in [u.columns for u in t.uniques]
    assert ("boss_id",) in [fk.columns for fk in t.foreign_keys]
    assert "ix_users_code" in t.indexes


def test_add_column_if_not_exists() -> None:
    state = replay(orgs(), AddColumn("orgs", column=sa.Column("name", sa.Text), if_not_exists=True))
    assert isinstance(table(state, "orgs").columns["name"].type, sa.String)


def test_add_primary_key_column() -> None:
    start = CreateTable("t", items=(sa.Column("a", sa.Integer),))
    added = AddColumn("t", column=sa.Column("id", sa.Integer, primary_key=True))
    t = table(replay(start, added), "t")
    assert t.primary_key is not None and t.primary_key.columns == ("id",)


def test_drop_column_drops_dependents() -> None:
    state = replay(
        users(), DropColumn("users", column_name="n"), DropColumn("users", column_name="org_id")
    )
    t = table(state, "users")
    assert "n" not in t.columns
    assert "ix_users_n" not in t.indexes
    assert t.checks == []
    assert t.foreign_keys == []


def test_alter_column_attributes() -> None:
    alter = AlterColumn(
        "users",
        column_name="n",
        nullable=False,
        type_=sa.BigInteger(),
        server_default=None,
        comment=None,
    )
    column = table(replay(users(), alter), "users").columns["n"]
    assert (column.nullable, column.server_default, column.comment) == (False, None, None)
    assert isinstance(column.type, sa.BigInteger)


def test_alter_column_unset_changes_nothing() -> None:
    column = table(replay(users(), AlterColumn("users", column_name="n")), "users").columns["n"]
    assert (column.nullable, column.server_default, column.comment) == (True, "0", "count")


def test_alter_server_default_identity_replaces() -> None:
    alter = AlterColumn("users", column_name="n", server_default=sa.Identity())
    column = table(replay(users(), alter), "users").columns["n"]
    assert column.identity is not None and column.server_default is None


def test_alter_column_enum_type_registers_enum() -> None:
    alter = AlterColumn("orgs", column_name="name", type_=sa.Enum("a", name="kind"))
    assert replay(orgs(), alter).enums == {(None, "kind"): ("a",)}


def test_rename_column_follows_everywhere() -> None:
    state = replay(
        orgs(),
        users(),
        CreateIndex("orgs", index_name="ix_multi", columns=("name", "id")),
        AlterColumn("orgs", column_name="id", new_column_name="org_key"),
        AlterColumn("users", column_name="email", new_column_name="mail"),
    )
    o, u = table(state, "orgs"), table(state, "users")
    assert list(o.columns) == ["org_key", "name"]
    assert o.columns["org_key"].name == "org_key"
    assert o.primary_key is not None and o.primary_key.columns == ("org_key",)
    assert o.indexes["ix_multi"].columns == ("name", "org_key")
    assert u.foreign_keys[0].referent_columns == ("org_key",)
    assert list(u.columns)[1] == "mail"
    assert u.uniques[0].columns == ("mail",)


def test_unknown_table_operations_are_ignored() -> None:
    state = replay(
        AddColumn("ghost", column=sa.Column("a", sa.Integer)),
        AlterColumn("ghost", column_name="a", nullable=False),
        DropColumn("ghost", column_name="a"),
        CreateIndex("ghost", index_name="ix", columns=("a",)),
        DropIndex("", index_name="ix_nowhere"),
        DropConstraint("ghost", constraint_name="x"),
    )
    assert state.tables == {}


# ---- indexes and constraints ----------------------------------------------------------


def test_create_and_drop_index_with_table() -> None:
    create = CreateIndex(
        "orgs", index_name="ix_name", columns=("name",), unique=True, kw={"postgresql_where": "x"}
    )
    state = replay(orgs(), create)
    index = table(state, "orgs").indexes["ix_name"]
    assert (index.columns, index.unique, index.kw) == (("name",), True, {"postgresql_where": "x"})
    state.apply(DropIndex("orgs", index_name="ix_name"))
    assert "ix_name" not in table(state, "orgs").indexes


def test_drop_index_without_table_finds_it() -> None:
    state = replay(orgs(), users(), DropIndex("", index_name="ix_users_n"))
    assert "ix_users_n" not in table(state, "users").indexes


def test_expression_index() -> None:
    create = CreateIndex("orgs", index_name="ix_l", columns=(sa.func.lower(sa.column("name")),))
    assert table(replay(orgs(), create), "orgs").indexes["ix_l"].columns == ("lower(name)",)


def test_constraints_added() -> None:
    state = replay(
        CreateTable(
            "t", items=(sa.Column("a", sa.Integer, nullable=True), sa.Column("b", sa.Integer))
        ),
        orgs(),
        CreatePrimaryKey("t", constraint_name="pk_t", columns=("a",)),
        CreateUniqueConstraint("t", constraint_name="uq_t", columns=("a", "b")),
        CreateForeignKey(
            "t",
            constraint_name="fk_t",
            referent_table="orgs",
            local_cols=("b",),
            remote_cols=("id",),
        ),
        CreateCheckConstraint("t", constraint_name="ck_t", condition=sa.column("b") > 5),
    )
    t = table(state, "t")
    assert t.primary_key is not None and t.primary_key.name == "pk_t"
    assert t.columns["a"].primary_key and not t.columns["a"].nullable
    assert [u.name for u in t.uniques] == ["uq_t"]
    assert [fk.name for fk in t.foreign_keys] == ["fk_t"]
    assert [(c.name, c.sqltext) for c in t.checks] == [("ck_t", "b > 5")]


@pytest.mark.parametrize(
    ("name", "type_", "gone"),
    [
        ("pk_orgs", None, "primary"),
        ("pk_orgs", "primary", "primary"),
        ("uq_orgs_name", "unique", "unique"),
        ("uq_orgs_name", None, "unique"),
        ("ck_orgs", "check", "check"),
        ("fk_orgs", "foreignkey", "foreignkey"),
    ],
)
def test_drop_constraint(name: str, type_: str | None, gone: str) -> None:
    state = replay(
        orgs(),
        CreateCheckConstraint("orgs", constraint_name="ck_orgs", condition="id > 0"),
        CreateForeignKey(
            "orgs",
            constraint_name="fk_orgs",
            referent_table="orgs",
            local_cols=("id",),
            remote_cols=("id",),
        ),
        DropConstraint("orgs", constraint_name=name, type_=type_),  # type: ignore[arg-type]
    )
    t = table(state, "orgs")
    remaining = {
        "primary": t.primary_key is not None,
        "unique": bool(t.uniques),
        "check": bool(t.checks),
        "foreignkey": bool(t.foreign_keys),
    }
    assert remaining == {kind: kind != gone for kind in remaining}


def test_drop_constraint_of_wrong_type_keeps_it() -> None:
    state = replay(orgs(), DropConstraint("orgs", constraint_name="uq_orgs_name", type_="check"))
    assert table(state, "orgs").uniques


def test_batch_applies_in_order() -> None:
    batch = BatchAlterTable(
        "orgs",
        operations=(
            AddColumn("orgs", column=sa.Column("x", sa.Integer)),
            AlterColumn("orgs", column_name="x", new_column_name="y", nullable=False),
            DropColumn("orgs", column_name="name"),
        ),
    )
    t = table(replay(orgs(), batch), "orgs")
    assert list(t.columns) == ["id", "y"]
    assert not t.columns["y"].nullable


# ---- helpers for the renderers ---------------------------------------------------------


def test_require_unknown_table() -> None:
    with pytest.raises(RenderError) as info:
        SchemaState().require(None, "legacy", ORIGIN)
    message = str(info.value)
    assert "table legacy is not known at revision r2 (versions/r2.py:12)" in message
    assert "existing_*" in message and "baseline" in message


def test_require_unknown_since_names_both_scripts() -> None:
    state = replay(orgs())
    state.mark_unknown((None, "orgs"), Origin("versions/r1.py", 7, "r1"))
    with pytest.raises(RenderError) as info:
        state.require(None, "orgs", ORIGIN)
    assert "versions/r1.py:7" in str(info.value)
    assert "versions/r2.py:12" in str(info.value)


def test_require_known() -> None:
    assert replay(orgs()).require(None, "orgs", ORIGIN).name == "orgs"


def test_column_helper() -> None:
    state = replay(orgs())
    found = state.column((None, "orgs"), "name")
    assert found is not None and found.name == "name"
    assert state.column((None, "orgs"), "nope") is None
    assert state.column((None, "nope"), "name") is None


def test_copy_is_deep() -> None:
    state = replay(orgs())
    snapshot = state.copy()
    state.apply(DropColumn("orgs", column_name="name"))
    assert "name" in table(snapshot, "orgs").columns


def test_to_table_compiles() -> None:
    state = replay(orgs(), users())
    metadata = sa.MetaData()
    built = state.to_table((None, "users"), metadata)
    ddl = str(SACreateTable(built).compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    assert "email VARCHAR(100) NOT NULL" in ddl
    assert "n INTEGER DEFAULT '0'" in ddl
    assert "CONSTRAINT ck_n CHECK (n >= 0)" in ddl
    assert "FOREIGN KEY(org_id) REFERENCES orgs (id) ON DELETE CASCADE" in ddl
    assert sorted(i.name for i in built.indexes if i.name) == ["ix_lower_email", "ix_users_n"]
    assert built.comment == "people"


def test_to_table_round_trips_state() -> None:
    state = replay(orgs())
    again = SchemaState()
    rebuilt = state.to_table((None, "orgs"), sa.MetaData())
    again.apply(CreateTable("orgs", items=tuple(rebuilt.columns) + tuple(rebuilt.constraints)))
    assert table(again, "orgs").primary_key == table(state, "orgs").primary_key
    assert table(again, "orgs").uniques == table(state, "orgs").uniques
