"""MySQL/MariaDB: the names InnoDB gives unnamed foreign keys are known offline.

``<table>_ibfk_<n>``, numbered as the server numbers them (``dialects/mysql/names.py``):
a history that creates, adds, drops and renames around unnamed keys is applied with the
``mariadb`` client and run online, and the names the server reports are the names in the
replayed schema state. Scripts can therefore drop an unnamed key by its generated name,
and a downgrade that drops the only index of an unnamed key before dropping its table
applies (the index goes with the table; the script says so in a comment).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import DatabasePool, ScratchDatabase
from helpers import Rev, make_project

from offline_sql import migrate, records
from offline_sql import operations as ops
from offline_sql.cli import cli
from offline_sql.config import Config, load_config
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.project import Project, replay_state
from offline_sql.state import SchemaState
from offline_sql.table_state import ForeignKeyState, TableState

NAMED_HISTORY = [
    Rev(
        "a1",
        None,
        "create orders",
        upgrade="""op.create_table(
    "parents",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(10), nullable=False, unique=True),
)
op.create_table(
    "orders",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parents.id")),
    sa.Column("code", sa.String(10)),
    sa.Column("other_id", sa.Integer),
    sa.ForeignKeyConstraint(["code"], ["parents.code"]),
    sa.ForeignKeyConstraint(["other_id"], ["parents.id"], name="orders_ibfk_5"),
)""",
    ),
    Rev(
        "b2",
        "a1",
        "add keys",
        upgrade="""op.add_column("orders", sa.Column("c", sa.Integer))
op.create_foreign_key(None, "orders", "parents", ["c"], ["id"])
op.add_column("orders", sa.Column("d", sa.Integer, sa.ForeignKey("parents.id")))""",
    ),
    Rev(
        "c3",
        "b2",
        "drop by generated names",
        upgrade="""op.drop_constraint("orders_ibfk_7", "orders", type_="foreignkey")
op.drop_constraint("orders_ibfk_1", "orders", type_="foreignkey")
op.create_foreign_key(None, "orders", "parents", ["d"], ["id"])""",
    ),
    Rev(
        "d4",
        "c3",
        "rename",
        upgrade="""op.rename_table("orders", "purchases")
op.add_column("purchases", sa.Column("e", sa.Integer))
op.create_index("ix_purchases_e", "purchases", ["e"])
op.create_foreign_key(None, "purchases", "parents", ["e"], ["id"])""",
    ),
    Rev(
        "e5",
        "d4",
        "drop the only index of an unnamed key",
        upgrade='op.drop_index("ix_purchases_e", table_name="purchases")',
    ),
]
"""Expected along the way (MariaDB 10.11): a1 names orders_ibfk_1 (parent_id),
orders_ibfk_2 (code) beside the named orders_ibfk_5; b2 adds 6 then 7; c3 drops 7 and 1,
then adds 7 again (highest + 1); d4 renames all to purchases_ibfk_* and adds 8; e5 drops
and re-adds purchases_ibfk_8 around the index drop."""


def settings(dialect: str = "mariadb") -> dict[str, str | bool]:
    return {"script_location": "migrations", "dialect": dialect, "cache": False}


def sql(config: Path, *command: str) -> str:
    result = CliRunner().invoke(cli, ["-c", str(config), *command, "--sql"])
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes.decode("utf-8")


def reflected(database: ScratchDatabase) -> set[tuple[str, str, tuple[str, ...]]]:
    inspector = sa.inspect(database.engine())
    return {
        (table, str(fk["name"]), tuple(fk["constrained_columns"]))
        for table in inspector.get_table_names()
        for fk in inspector.get_foreign_keys(table)
    }


def replayed(config: Config) -> set[tuple[str, str, tuple[str, ...]]]:
    state = replay_state(Project.load(config), ["e5"])
    return {
        (table.name, str(fk.name), fk.columns)
        for table in state.tables.values()
        for fk in table.foreign_keys
    }


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[DatabasePool]:
    databases = DatabasePool(tmp_path / "databases")
    yield databases
    databases.close()


@pytest.mark.mysql
def test_generated_names_are_the_servers_offline_and_online(
    tmp_path: Path, pool: DatabasePool
) -> None:
    config_file = make_project(tmp_path / "project", NAMED_HISTORY, settings=settings())
    offline, online = pool.take("mariadb", 2)
    offline.apply_script(sql(config_file, "upgrade", "head"))
    config = load_config(config_file, dialect="mariadb")
    url = online.url.render_as_string(hide_password=False)
    migrate.upgrade(records.replace(config, url=url), "head")
    expected = {
        ("purchases", "purchases_ibfk_2", ("parent_id",)),
        ("purchases", "purchases_ibfk_5", ("other_id",)),
        ("purchases", "purchases_ibfk_6", ("c",)),
        ("purchases", "purchases_ibfk_7", ("d",)),
        ("purchases", "purchases_ibfk_8", ("e",)),
    }
    assert reflected(offline) == expected
    assert reflected(online) == expected
    assert replayed(config) == expected


DOWNGRADE = [
    Rev(
        "a1",
        None,
        "create orders",
        upgrade="""op.create_table(
    "customers", sa.Column("id", sa.Integer, primary_key=True)
)
op.create_table(
    "orders",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, nullable=False),
)
op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
op.create_foreign_key(None, "orders", "customers", ["customer_id"], ["id"])""",
        downgrade="""op.drop_index("ix_orders_customer_id", table_name="orders")
op.drop_table("orders")
op.drop_table("customers")""",
    ),
    Rev(
        "b2",
        "a1",
        "note",
        upgrade='op.add_column("orders", sa.Column("note", sa.Text))',
        downgrade='op.drop_column("orders", "note")',
    ),
]


@pytest.mark.mysql
def test_a_downgrade_dropping_the_index_of_an_unnamed_key_then_its_table_applies(
    tmp_path: Path, mariadb_database: ScratchDatabase
) -> None:
    config = make_project(tmp_path, DOWNGRADE, settings=settings())
    mariadb_database.apply_script(sql(config, "upgrade", "head"))
    back = sql(config, "downgrade", "head:base")
    assert "DROP INDEX" not in back and "FOREIGN KEY" not in back
    assert (
        "-- index ix_orders_customer_id is not dropped here: it is the only index of foreign "
        "key orders_ibfk_1, which mariadb refuses to drop on its own, and DROP TABLE orders "
        "later in this revision drops both\nDROP TABLE orders;"
    ) in back
    mariadb_database.apply_script(back)
    assert sa.inspect(mariadb_database.engine()).get_table_names() == ["mig_version"]


def test_the_index_drop_stays_when_the_table_is_not_dropped_in_the_same_step(
    tmp_path: Path,
) -> None:
    """Without the DROP TABLE after it, the key is dropped and re-added by its generated
    name around the index drop (it used to be refused: "drop the foreign key first")."""
    revs = [dataclasses.replace(DOWNGRADE[0], downgrade=DOWNGRADE[0].downgrade.split("\n")[0])]
    config = make_project(tmp_path, revs, settings=settings("mysql"))
    back = sql(config, "downgrade", "head:base")
    assert (
        "ALTER TABLE orders DROP FOREIGN KEY orders_ibfk_1;\n"
        "DROP INDEX ix_orders_customer_id ON orders;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_ibfk_1 FOREIGN KEY(customer_id) "
        "REFERENCES customers (id);"
    ) in back


def test_other_databases_leave_unnamed_keys_unnamed(tmp_path: Path) -> None:
    config = make_project(tmp_path, DOWNGRADE[:1], settings=settings("postgresql"))
    state = replay_state(Project.load(load_config(config)), ["a1"])
    assert [fk.name for fk in state.tables[(None, "orders")].foreign_keys] == [None]


# ---- the look-ahead ---------------------------------------------------------------------------


def test_tables_dropped_later_stops_at_anything_that_could_need_the_table() -> None:
    t, u = (None, "t"), (None, "u")
    drop_ix = ops.DropIndex("t", index_name="ix")
    steps = [
        drop_ix,
        ops.DropConstraint("t", constraint_name="c"),
        ops.DropTable("u"),
        ops.DropTable("t"),
    ]
    assert ops.tables_dropped_later(steps) == [
        frozenset({t, u}),
        frozenset({t, u}),
        frozenset({t}),
        frozenset(),
    ]
    for between in (
        ops.CreateIndex("t", index_name="ix", columns=("a",)),
        ops.RenameTable("v", new_table_name="t"),
        ops.RenameTable("t", new_table_name="v"),
        ops.Execute(sqltext="DROP INDEX ix ON t"),
    ):
        assert ops.tables_dropped_later([drop_ix, between, ops.DropTable("t")])[0] == frozenset()


def test_the_namer_numbers_as_innodb() -> None:
    namer = get_dialect("mysql").foreign_key_namer  # InnoDBForeignKeyNames
    assert namer is not None

    def fk(name: str | None) -> ForeignKeyState:
        return ForeignKeyState(name, ("a",), None, "p", ("id",))

    table = TableState("w", foreign_keys=[fk("w_ibfk_5"), fk(None), fk(None)])
    namer.created(table)
    assert [k.name for k in table.foreign_keys] == ["w_ibfk_5", "w_ibfk_1", "w_ibfk_2"]
    added = [fk(None), fk(None)]
    table.foreign_keys += added
    namer.added(table, added)
    assert [k.name for k in added] == ["w_ibfk_6", "w_ibfk_7"]
    state = SchemaState()
    state.foreign_key_namer = namer
    state.add_table(TableState("x", foreign_keys=[fk("x_ibfk_foo"), fk(None)]))
    state.rename_table((None, "x"), "y")
    assert [k.name for k in state.tables[(None, "y")].foreign_keys] == ["y_ibfk_foo", "y_ibfk_1"]
