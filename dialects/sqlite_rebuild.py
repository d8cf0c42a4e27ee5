"""SQLite table rebuilds: the "12 steps" of https://sqlite.org/lang_altertable.html#otheralter.

SQLite's ALTER TABLE can add, rename and drop columns and rename tables; every other change
(a type, nullability, a default, any constraint) means building the table anew:

    PRAGMA defer_foreign_keys = ON
    CREATE TABLE "_mig_new_t" (<the table as the state says it is after the change>)
    INSERT INTO "_mig_new_t" (cols) SELECT cols FROM t
    DROP TABLE t
    ALTER TABLE "_mig_new_t" RENAME TO t
    CREATE INDEX ... (every index the state knows for t)

all inside the script's transaction, so a failure leaves the database untouched.
``PRAGMA foreign_keys`` cannot change inside a transaction, hence ``defer_foreign_keys``:
when the connection enforces foreign keys, ``DROP TABLE t`` would otherwise fail (or
cascade) for rows of other tables that reference ``t``; deferred, the check runs at COMMIT,
when the renamed table holds the same rows again. The pragma resets itself at COMMIT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa

from offline_sql.dialects import render as r
from offline_sql.state import SchemaState, TableState
from offline_sql.statements import Statement

if TYPE_CHECKING:
    from offline_sql.dialects.base import Dialect

NEW_PREFIX = "_mig_new_"
"""Name prefix of the table being built; it holds the final name once the old one is gone."""

DEFER_NOTE = "rebuild of {table}: SQLite cannot ALTER this; foreign keys are checked at COMMIT"


def new_table(state: SchemaState, after: TableState) -> sa.Table:
    """The table as the state has it after the change, named ``_mig_new_<t>``. Its
    indexes are not created with it: they are created after the rename, under their names."""
    table = state.to_table(after.key, sa.MetaData()).to_metadata(
        sa.MetaData(), name=f"{NEW_PREFIX}{after.name}"
    )
    r.add_referent_stubs(table)
    return table


def index_statements(dialect: Dialect, ts: TableState) -> list[Statement]:
    """``CREATE INDEX`` for every index the state knows on ``ts``, by name."""
    out: list[Statement] = []
    for name in sorted(ts.indexes):
        ix = ts.indexes[name]
        elements = [r.index_element(e, ts) for e in (ix.expressions or ix.columns)]
        names = [e for e in elements if isinstance(e, str)]
        table = r.table_with_columns(ts.schema, ts.name, names)
        index = sa.Index(ix.name, *elements, unique=ix.unique, **ix.kw)
        index._set_parent(table)
        out.append(Statement(dialect.ddl(sa.schema.CreateIndex(index)), table=ts.name))
    return out


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
    new = dialect.table_name(after.schema, table.name)
    pairs = [(n, sources[n]) for n in after.columns if sources.get(n) in before.columns]
    target = ", ".join(dialect.quote(n) for n, _ in pairs)
    select = ", ".join(dialect.quote(o) for _, o in pairs)
    out = [
        Statement(
            "PRAGMA defer_foreign_keys = ON",
            table=after.name,
            comment=DEFER_NOTE.format(table=after.name),
        ),
        Statement(dialect.ddl(sa.schema.CreateTable(table)), table=after.name),
    ]
    if pairs:
        out.append(
            Statement(f"INSERT INTO {new} ({target}) SELECT {select} FROM {old}", table=after.name)
        )
    out += [
        Statement(f"DROP TABLE {old}", table=after.name),
        Statement(f"ALTER TABLE {new} RENAME TO {dialect.quote(after.name)}", table=after.name),
    ]
    return out + index_statements(dialect, after)
