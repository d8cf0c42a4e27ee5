"""SQLite table rebuilds, for every change SQLite's ALTER TABLE cannot make.

SQLite's ALTER TABLE can add, rename and drop columns and rename tables; every other change
(a type, nullability, a default, any constraint) means building the table anew
(https://sqlite.org/lang_altertable.html#otheralter):

    PRAGMA defer_foreign_keys = ON
    CREATE TABLE "_mig_old_t" AS SELECT * FROM t       -- the rows, set aside
    DROP TABLE t
    CREATE TABLE t (<the table as the state says it is after the change>)
    INSERT INTO t (cols) SELECT cols FROM "_mig_old_t"
    DROP TABLE "_mig_old_t"
    CREATE INDEX ... (every index the state knows for t)

all inside the script's transaction, so a failure leaves the database untouched.

Why not SQLite's "create _new, copy, drop t, rename _new to t": ``PRAGMA foreign_keys``
cannot change inside a transaction, so with foreign keys enforced the only tool is
``PRAGMA defer_foreign_keys = ON``, and SQLite counts the violations ``DROP TABLE t`` makes
(its implicit DELETE orphans rows of tables referencing ``t``). A rename does not
uncount them, and COMMIT fails. Inserting the rows into a table *named* ``t`` does: each
row that a child row references cancels that violation. The child tables' ``REFERENCES t``
text is never touched, so no rename rewrites them either. The pragma resets at COMMIT.

Deferring checks does not defer foreign key *actions*: with foreign keys enforced, the
implicit DELETE of ``DROP TABLE t`` runs every ``ON DELETE CASCADE / SET NULL / SET
DEFAULT`` of the tables referencing ``t``, deleting or blanking their rows for good. When
the state knows such a reference, the rebuild first checks ``pragma_foreign_keys`` and stops
the script (``CHECK constraint failed: mig: ...``) unless foreign keys are off, which is
``sqlite3``'s default; ``PRAGMA foreign_keys`` cannot change inside the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa

from offline_sql.dialect_api import constructs as r
from offline_sql.state import SchemaState
from offline_sql.statements import Statement
from offline_sql.table_state import TableState

if TYPE_CHECKING:
    from offline_sql.dialect_api.base import Dialect

OLD_PREFIX = "_mig_old_"
"""Name prefix of the table holding the rows while the table is rebuilt."""

REBUILD_NOTE = "rebuild of {table}: SQLite cannot ALTER this; foreign keys are checked at COMMIT"

DELETE_ACTIONS = frozenset({"CASCADE", "SET NULL", "SET DEFAULT"})
"""``ON DELETE`` actions that ``DROP TABLE`` of the referenced table runs when foreign keys
are enforced."""

FOREIGN_KEYS_CHECK_TABLE = "mig_foreign_keys_off"
"""Temporary table whose CHECK stops the script when foreign keys are enforced."""


def delete_actions_on(state: SchemaState, key: tuple[str | None, str]) -> list[str]:
    """``child(ON DELETE action)`` for every foreign key the state knows that references
    ``key`` with an action a DROP TABLE of it would run."""
    found = []
    for child in state.tables.values():
        for fk in child.foreign_keys:
            action = (fk.ondelete or "").upper()
            if (fk.referent_schema, fk.referent_table) == key and action in DELETE_ACTIONS:
                found.append(f"{child.name} (ON DELETE {action})")
    return sorted(set(found))


def foreign_keys_off_check(dialect: Dialect, table: str, children: list[str]) -> list[Statement]:
    """Statements that stop the script unless foreign keys are off (see module docs)."""
    check = dialect.quote(
        f"mig: rebuilding {table} with foreign keys on would run the ON DELETE actions of "
        f"{', '.join(children)}; apply the script with foreign keys off "
        "(sqlite3's default, or PRAGMA foreign_keys = OFF before it)"
    )
    name = dialect.quote(FOREIGN_KEYS_CHECK_TABLE)
    create = f"CREATE TEMP TABLE {name} (enforced INTEGER, CONSTRAINT {check} CHECK (enforced = 0))"
    note = f"stop unless foreign keys are off: DROP TABLE {table} would run ON DELETE actions"
    return [
        Statement(create, kind="guard", table=table, comment=note),
        Statement(
            f"INSERT INTO temp.{name} (enforced) SELECT foreign_keys FROM pragma_foreign_keys",
            kind="guard",
            table=table,
        ),
        Statement(f"DROP TABLE temp.{name}", kind="guard", table=table),
    ]


def new_table(state: SchemaState, after: TableState) -> sa.Table:
    """The table as the state has it after the change (with its indexes)."""
    table = state.to_table(after.key, sa.MetaData())
    r.add_referent_stubs(table)
    return table


def rebuild(
    dialect: Dialect,
    before: TableState,
    state: SchemaState,
    after: TableState,
    sources: Mapping[str, str],
) -> list[Statement]:
    """Statements turning ``before`` into ``after`` (a table of ``state``); ``sources``
    maps each column of ``after`` whose data survives to its name in ``before``."""
    table = new_table(state, after)
    old = dialect.table_name(before.schema, before.name)
    stash = dialect.table_name(before.schema, f"{OLD_PREFIX}{before.name}")
    # A generated column computes its values again; SQLite refuses to be given them.
    pairs = [
        (n, sources[n])
        for n, column in after.columns.items()
        if sources.get(n) in before.columns and column.computed is None
    ]
    target = ", ".join(dialect.quote(n) for n, _ in pairs)
    select = ", ".join(dialect.quote(o) for _, o in pairs)
    name = after.name
    children = delete_actions_on(state, before.key)
    out = foreign_keys_off_check(dialect, name, children) if children else []
    out += [
        Statement(
            "PRAGMA defer_foreign_keys = ON", table=name, comment=REBUILD_NOTE.format(table=name)
        ),
        Statement(f"CREATE TABLE {stash} AS SELECT * FROM {old}", table=name),
        Statement(f"DROP TABLE {old}", table=name),
        Statement(dialect.ddl(sa.schema.CreateTable(table)), table=name),
    ]
    if pairs:
        new = dialect.table_name(after.schema, after.name)
        insert = f"INSERT INTO {new} ({target}) SELECT {select} FROM {stash}"
        out.append(Statement(insert, table=name))
    out.append(Statement(f"DROP TABLE {stash}", table=name))
    return out + dialect.index_statements(table)
